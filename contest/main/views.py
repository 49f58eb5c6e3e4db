"""Landing page and language choice."""
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from contest.auth.access import safe_next
from contest.services.contests.queries import open_contests

bp = Blueprint("main", __name__)

HOME_BY_ROLE = {"creator": "submissions.index", "judge": "judging.queue", "organizer": "organizer.index"}


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for(HOME_BY_ROLE[current_user.role]))
    return render_template("main/index.html", contests=open_contests())


@bp.route("/lang/<code>")
def set_language(code: str):
    response = redirect(safe_next(request.args.get("next")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
