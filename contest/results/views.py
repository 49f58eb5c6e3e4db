"""Organizer pages: the ranked results of a contest and their CSV / XLSX downloads."""
import io

from flask import Blueprint, render_template, request, send_file

from contest.auth.access import require_contest_staff
from contest.extensions import db
from contest.models import Contest
from contest.services.results.exports import (
    CSV_MIMETYPE,
    XLSX_MIMETYPE,
    results_csv,
    results_xlsx,
)
from contest.services.results.ranking import TIE_BREAK_RULE, rank_entries

bp = Blueprint("results", __name__)
require_contest_staff(bp)


@bp.route("/contests/<int:contest_id>/results")
def results(contest_id: int):
    """The ranked table; ``?category=<id>`` keeps one category (an unknown id shows every category);
    ``?fully_reviewed=1`` ranks only the fully reviewed entries."""
    contest = db.get_or_404(Contest, contest_id)
    category = next((c for c in contest.categories if c.id == request.args.get("category", type=int)), None)
    rows = rank_entries(contest=contest, fully_reviewed_only=_fully_reviewed_only())
    if category is not None:
        rows = [row for row in rows if row.entry.category_id == category.id]
    return render_template("results/results.html", contest=contest, rows=rows, category=category,
                           fully_reviewed=_fully_reviewed_only(), tie_break_rule=TIE_BREAK_RULE)


@bp.route("/contests/<int:contest_id>/results.csv")
def export_csv(contest_id: int):
    """CSV download; ``?fully_reviewed=1`` as on the results page."""
    contest = db.get_or_404(Contest, contest_id)
    data = results_csv(contest=contest, fully_reviewed_only=_fully_reviewed_only())
    return _download(data, CSV_MIMETYPE, f"{contest.code}-results.csv")


@bp.route("/contests/<int:contest_id>/results.xlsx")
def export_xlsx(contest_id: int):
    """XLSX download; ``?fully_reviewed=1`` as on the results page."""
    contest = db.get_or_404(Contest, contest_id)
    data = results_xlsx(contest=contest, fully_reviewed_only=_fully_reviewed_only())
    return _download(data, XLSX_MIMETYPE, f"{contest.code}-results.xlsx")


def _fully_reviewed_only() -> bool:
    """``?fully_reviewed=1`` (the results page's checkbox): rank only fully reviewed entries."""
    return request.args.get("fully_reviewed", "") in ("1", "on", "true")


def _download(data: bytes, mimetype: str, filename: str):
    """An attachment; Werkzeug writes ``filename*=UTF-8''…`` (plus an ASCII fallback) for non-ASCII names.
    Results are confidential until published, so nothing is cached."""
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename,
                         max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
