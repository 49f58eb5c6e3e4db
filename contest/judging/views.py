"""Judge pages: queue and review form. (To be built.)"""
from flask import Blueprint, render_template

from contest.auth.access import require_role
from contest.models import Role

bp = Blueprint("judging", __name__)
require_role(bp, Role.JUDGE)


@bp.route("/")
def queue():
    return render_template("judging/queue.html")
