"""Organizer page: contest statistics (entries by category / state / day, plays, judging progress)."""
from flask import Blueprint, render_template

from contest.auth.access import require_contest_staff
from contest.extensions import db
from contest.models import Contest, EntryState
from contest.services.metrics.stats import contest_stats

bp = Blueprint("stats", __name__)
require_contest_staff(bp)


@bp.route("/contests/<int:contest_id>/stats")
def stats(contest_id: int):
    contest = db.get_or_404(Contest, contest_id)
    return render_template("stats/stats.html", contest=contest, stats=contest_stats(contest=contest),
                           states=list(EntryState))
