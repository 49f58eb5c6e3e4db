"""Organizer pages: the ranked results of a contest and their CSV / XLSX downloads."""
import io

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from contest.auth.access import require_contest_staff
from contest.extensions import db
from contest.infra import tasks
from contest.models import Contest, Round
from contest.services.results.exports import (
    CSV_MIMETYPE,
    XLSX_MIMETYPE,
    results_csv,
    results_xlsx,
)
from contest.infra.pagination import page_of
from contest.infra.storage import attachment_disposition
from contest.rounds.forms import AGGREGATION_LABELS
from contest.services.contests import roles
from contest.services.exports.jobs import needs_job, request_score_sheet, score_sheet_name
from contest.services.judging.rounds import current_round
from contest.services.results.ranking import TIE_BREAK_RULE
from contest.services.results.score_sheet import score_sheet_csv, score_sheet_xlsx
from contest.services.results.standings import round_standings

#: What the results page says for each flag of an entry or a judge.
FLAG_LABELS = {
    "strong_disagreement": _l("Judges disagree strongly"),
    "trim_fell_back": _l("Too few reviews to trim: plain mean"),
    "zero_spread_judge": _l("A judge gave everything the same score"),
    "zero_spread": _l("Gives every entry the same score"),
    "large_offset": _l("Far from the panel"),
    "low_correlation": _l("Ranks unlike the panel"),
}

bp = Blueprint("results", __name__)
require_contest_staff(bp)


@bp.route("/contests/<int:contest_id>/results")
def results(contest_id: int):
    """One round's standings, paged: ``?round=<id>`` (default: the current round), ``?category=<id>`` keeps
    one category (an unknown id shows every category), ``?coverage=full|partial``, ``?flagged=1`` keeps
    entries with a flag, ``?fully_reviewed=1`` ranks only the fully reviewed entries, ``?page=n``."""
    contest = db.get_or_404(Contest, contest_id)
    round_ = next((r for r in contest.rounds if r.id == request.args.get("round", type=int)), None) \
        or current_round(contest)
    category = next((c for c in contest.categories if c.id == request.args.get("category", type=int)), None)
    coverage = request.args.get("coverage") if request.args.get("coverage") in ("full", "partial") else None
    flagged = request.args.get("flagged", "") in ("1", "on", "true")
    standings = round_standings(round_, fully_reviewed_only=_fully_reviewed_only())
    rows = standings.filtered(category_id=category and category.id, coverage=coverage, flagged=flagged)
    page = page_of(rows, page=request.args.get("page", 1, type=int), per_page=current_app.config["PAGE_SIZE"])
    filters = {key: value for key, value in (("round", round_.id), ("category", category and category.id),
                                             ("coverage", coverage), ("flagged", 1 if flagged else None),
                                             ("fully_reviewed", 1 if _fully_reviewed_only() else None)) if value}
    return render_template("results/results.html", contest=contest, round=round_, standings=standings,
                           page=page, category=category, coverage=coverage, flagged=flagged, filters=filters,
                           unfinished=standings.unfinished,
                           fully_reviewed=_fully_reviewed_only(), tie_break_rule=TIE_BREAK_RULE,
                           method_label=AGGREGATION_LABELS[round_.aggregation], flag_labels=FLAG_LABELS)


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


@bp.route("/rounds/<int:round_id>/score-sheet.csv")
def score_sheet_csv_download(round_id: int):
    return _score_sheet(round_id, "csv")


@bp.route("/rounds/<int:round_id>/score-sheet.xlsx")
def score_sheet_xlsx_download(round_id: int):
    return _score_sheet(round_id, "xlsx")


def _score_sheet(round_id: int, kind: str):
    """The round's 评分汇总表: every judge's points per criterion, the dropped scores marked (streamed CSV, or
    XLSX built in a temporary file). Judges are named for organizers (评委1, 评委2 … for others in a blind
    round). A round of more than ``EXPORT_DIRECT_MAX_ENTRIES`` entries is exported by a background job: the
    answer is a redirect to the job's page."""
    round_ = db.get_or_404(Round, round_id)
    reveal = roles.is_organizer(current_user, round_.contest_id)  # a supervisor reads 评委1, 评委2 … in blind rounds
    if needs_job(round_):
        job = request_score_sheet(round_=round_, fmt=kind, reveal_judges=reveal, requested_by=current_user,
                                  locale=str(get_locale()))
        db.session.commit()
        tasks.enqueue("run_export", job.id)
        return redirect(url_for("exports.job", job_id=job.id))
    name = score_sheet_name(round_, kind)
    if kind == "csv":
        response = Response(stream_with_context(score_sheet_csv(round_, reveal_judges=reveal)),
                            mimetype=CSV_MIMETYPE)
        response.headers["Content-Disposition"] = attachment_disposition(name)
    else:
        response = send_file(score_sheet_xlsx(round_, reveal_judges=reveal), mimetype=XLSX_MIMETYPE,
                             as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


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
