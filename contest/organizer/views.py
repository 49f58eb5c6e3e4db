"""Organizer pages. (To be built.)"""
from flask import Blueprint, render_template

from contest.auth.access import require_role
from contest.models import Role

bp = Blueprint("organizer", __name__)
require_role(bp, Role.ORGANIZER)


@bp.route("/")
def index():
    return render_template("organizer/index.html")


@bp.route("/judges")
def judges():
    return render_template("organizer/index.html")
