"""Results exports for organizers: CSV for any spreadsheet, XLSX with the scores of every judge.

The numbers are those of :func:`contest.services.results.ranking.rank_entries` (ranks, per-criterion means, totals);
nothing is recomputed here. Header labels are translated into the current locale (Chinese by default), so
call these inside a request or under ``flask_babel.force_locale``. Read-only.
"""
import csv
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from sqlalchemy import select

from contest.extensions import db
from contest.models import (
    Assignment,
    Contest,
    CriterionScore,
    Entry,
    EntryState,
    Review,
    ReviewState,
    User,
)
from contest.services.results.ranking import rank_entries
from contest.services.submissions.declarations import aigc_answers

BOM = "\ufeff"
BEIJING = ZoneInfo("Asia/Shanghai")
#: A text cell starting with one of these is read as a formula by spreadsheets (OWASP "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"  # Flask adds "; charset=utf-8"

Cell = str | int | Decimal | datetime | None


def results_csv(*, contest: Contest, fully_reviewed_only: bool = False) -> bytes:
    """The results table as CSV bytes: UTF-8 **with a BOM** (``b"\\xef\\xbb\\xbf"`` first, so that Excel reads
    Chinese correctly), ``\\r\\n`` line ends, a header row then one row per ranked entry in rank order:
    rank, category rank, entry number, title, category, creator, the mean points of each criterion (rubric
    order, headed with the criterion name), total (points out of 100), number of submitted reviews, number of
    judges assigned, review status ("Fully reviewed" / "Not fully reviewed", translated: 已评完 / 未评完), and
    the creator's AIGC declaration (e.g. "未使用生成式人工智能", or the answer with the tools named).
    ``fully_reviewed_only``: rank only fully reviewed entries (:func:`rank_entries`).

    Numbers are written as plain decimals (``8.50``), missing values (no review yet) as empty cells. A text
    cell that begins with ``= + - @`` (or tab / carriage return) gets a leading ``'`` so that a title typed by
    a creator is never run as a formula; numbers are left alone.
    """
    header, rows = _results_table(contest, fully_reviewed_only)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_csv_cell(v) for v in header])
    writer.writerows([_csv_cell(v) for v in row] for row in rows)
    return (BOM + out.getvalue()).encode("utf-8")


def results_xlsx(*, contest: Contest, fully_reviewed_only: bool = False) -> bytes:
    """The results as an XLSX workbook (bytes) with two sheets.

    Sheet 1 (``Results``): the columns of :func:`results_csv` (``fully_reviewed_only`` as there); ranks and
    counts as integers, means and totals as numbers. Sheet 2 (``Scores by judge``): one row per submitted review of a submitted entry, ordered by
    entry number then judge: entry number, title, judge display name, points per criterion, the review's
    weighted total (out of 100), comment, submitted at (Beijing time, a date-time cell without time zone).
    Every text cell is stored as a string cell, so text such as ``=HYPERLINK(…)`` is shown, never evaluated.
    """
    wb = Workbook()
    results = wb.active
    results.title = _("Results")
    header, rows = _results_table(contest, fully_reviewed_only)
    _fill_sheet(results, header, rows, widths={3: 14, 4: 30, 5: 14, 6: 14})
    by_judge = wb.create_sheet(_("Scores by judge"))
    header, rows = _reviews_table(contest)
    _fill_sheet(by_judge, header, rows, widths={1: 14, 2: 30, 3: 14, len(header) - 1: 40, len(header): 18})
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _results_table(contest: Contest, fully_reviewed_only: bool) -> tuple[list[str], list[list[Cell]]]:
    criteria = contest.criteria
    header = [_("Rank"), _("Category rank"), _("Entry number"), _("Title"), _("Category"), _("Creator"),
              *(c.name for c in criteria), _("Total (out of 100)"), _("Reviews"), _("Judges assigned"),
              _("Review status"), _("AIGC")]
    done, not_done = _("Fully reviewed"), _("Not fully reviewed")
    ranked = rank_entries(contest=contest, fully_reviewed_only=fully_reviewed_only)
    aigc = aigc_answers(entry_ids=[row.entry.id for row in ranked])
    rows = [
        [row.rank, row.category_rank, row.entry.number, row.entry.title, row.entry.category.name,
         row.entry.creator.display_name, *(row.criterion_means.get(c.id) for c in criteria), row.total,
         row.reviews, row.assigned, done if row.fully_reviewed else not_done, aigc.get(row.entry.id)]
        for row in ranked
    ]
    return header, rows


def _reviews_table(contest: Contest) -> tuple[list[str], list[list[Cell]]]:
    """One row per submitted review of the contest's submitted entries (two queries in all)."""
    criteria = contest.criteria
    counted = (Entry.contest_id == contest.id, Entry.state == EntryState.SUBMITTED,
               Review.state == ReviewState.SUBMITTED)
    reviews = db.session.execute(
        select(Review.id, Entry.number, Entry.title, User.display_name, Review.total, Review.comment,
               Review.submitted_at)
        .join(Assignment, Assignment.id == Review.assignment_id)
        .join(Entry, Entry.id == Assignment.entry_id)
        .join(User, User.id == Assignment.judge_id)
        .where(*counted)
        .order_by(Entry.number, User.display_name, Review.id)
    ).all()
    points: dict[tuple[int, int], Decimal] = {
        (review_id, criterion_id): p for review_id, criterion_id, p in db.session.execute(
            select(CriterionScore.review_id, CriterionScore.criterion_id, CriterionScore.points)
            .join(Review, Review.id == CriterionScore.review_id)
            .join(Assignment, Assignment.id == Review.assignment_id)
            .join(Entry, Entry.id == Assignment.entry_id)
            .where(*counted)
        )
    }
    header = [_("Entry number"), _("Title"), _("Judge"), *(c.name for c in criteria), _("Review total"),
              _("Comment"), _("Submitted at (Beijing time)")]
    rows = [
        [number, title, judge, *(points.get((rid, c.id)) for c in criteria), total, comment,
         at.astimezone(BEIJING).replace(tzinfo=None) if at else None]
        for rid, number, title, judge, total, comment, at in reviews
    ]
    return header, rows


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_TRIGGERS) else value
    return str(value)


def _fill_sheet(ws, header: list[str], rows: list[list[Cell]], *, widths: dict[int, int]) -> None:
    """Write ``header`` (bold, frozen) and ``rows``, then set the given column widths (characters)."""
    for r, values in enumerate([header, *rows], start=1):
        for c, value in enumerate(values, start=1):
            _write_cell(ws.cell(row=r, column=c), value)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for column, width in widths.items():
        ws.column_dimensions[ws.cell(row=1, column=column).column_letter].width = width


def _write_cell(cell, value: Cell) -> None:
    """Text is forced to a string cell (openpyxl would turn a value starting with ``=`` into a formula), with
    the characters XML cannot hold removed; empty text and None leave the cell empty. A Decimal keeps its
    decimals on screen (``8.50`` is shown as 8.50); a datetime is shown as ``yyyy-mm-dd hh:mm:ss``."""
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value) or None
        cell.data_type = "s"
        return
    cell.value = value
    if isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    elif isinstance(value, Decimal) and value.as_tuple().exponent < 0:
        cell.number_format = "0." + "0" * -value.as_tuple().exponent
