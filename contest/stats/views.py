"""Organizer page: contest statistics (entries by category / state / day, plays, judging progress)."""
from flask import Blueprint, render_template

from contest.auth.access import require_role
from contest.extensions import db
from contest.models import Contest, EntryState, Role
from contest.services.metrics.stats import contest_stats

bp = Blueprint("stats", __name__)
require_role(bp, Role.ORGANIZER)


@bp.route("/contests/<int:contest_id>/stats")
def stats(contest_id: int):
    contest = db.get_or_404(Contest, contest_id)
    return render_template("stats/stats.html", contest=contest, stats=contest_stats(contest=contest),
                           states=list(EntryState))
