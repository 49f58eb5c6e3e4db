"""Creator pages: entries, uploads, submission. (To be built.)"""
from flask import Blueprint, render_template

from contest.auth.access import require_role
from contest.models import Role

bp = Blueprint("submissions", __name__)
require_role(bp, Role.CREATOR)


@bp.route("/")
def index():
    return render_template("submissions/index.html")
