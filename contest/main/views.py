"""Public pages: the landing page, each contest's public page, and the language choice."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from contest.auth.access import safe_next
from contest.models import utcnow
from contest.services.contests.queries import open_contests, public_contest
from contest.services.submissions.entries import count_active_entries

bp = Blueprint("main", __name__)

HOME_BY_ROLE = {"creator": "submissions.index", "judge": "judging.queue", "organizer": "organizer.index"}


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for(HOME_BY_ROLE[current_user.role]))
    return render_template("main/index.html", contests=open_contests())


@bp.route("/contests/<code>")
def contest(code: str):
    """What anyone may read before taking part: theme, rules, technical requirements, categories, rubric,
    dates, and the way in for whoever is looking (no entries, creators or judges)."""
    contest = public_contest(code=code)
    if contest is None:
        abort(404)
    mine = None
    if current_user.is_authenticated and current_user.is_creator:
        mine = count_active_entries(contest=contest, creator=current_user)
    return render_template("main/contest.html", contest=contest, now=utcnow(), my_entries=mine)


@bp.route("/lang/<code>")
def set_language(code: str):
    response = redirect(safe_next(request.args.get("next")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
