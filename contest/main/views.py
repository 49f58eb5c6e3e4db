"""Public pages: the landing page, each contest's public page, and the language choice."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from contest.auth.access import my_roles, safe_next
from contest.models import ContestRoleName, utcnow
from contest.services.contests import roles
from contest.services.contests.queries import open_contests, public_contest
from contest.services.submissions.entries import count_active_entries

bp = Blueprint("main", __name__)

@bp.app_context_processor
def _navigation():
    """``my_roles()``: the contest roles the signed-in user holds somewhere (the navigation's links)."""
    return {"my_roles": my_roles}


def home_endpoint() -> str:
    """Where a signed-in user starts: the organizer's contests (administrators, organizers, supervisors), else
    the judging queue (judges), else their entries."""
    held = my_roles()
    if held & roles.STAFF:
        return "organizer.index"
    if ContestRoleName.JUDGE in held:
        return "judging.queue"
    return "submissions.index"


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint()))
    return render_template("main/index.html", contests=open_contests())


@bp.route("/contests/<code>")
def contest(code: str):
    """What anyone may read before taking part: theme, rules, technical requirements, categories, rubric,
    dates, and the way in for whoever is looking (no entries, creators or judges)."""
    contest = public_contest(code=code)
    if contest is None:
        abort(404)
    mine = refusal = None
    if current_user.is_authenticated:
        refusal = roles.entry_refusal(current_user, contest)
        mine = count_active_entries(contest=contest, creator=current_user)
    return render_template("main/contest.html", contest=contest, now=utcnow(), my_entries=mine,
                           entry_refusal=refusal, staff=roles.is_staff(current_user, contest.id),
                           judge=roles.is_judge(current_user, contest.id))


@bp.route("/lang/<code>")
def set_language(code: str):
    response = redirect(safe_next(request.args.get("next")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
