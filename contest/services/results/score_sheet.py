"""The 评分汇总表 (score sheet) of one round, as CSV (streamed) and XLSX (openpyxl's write-only mode into a
temporary file): one row per entry in rank order with every judge's points per criterion and total, the scores
the trimmed mean dropped marked, the raw mean, the round's score, the disagreement and the ranks.

Judge columns. A round whose judges number at most :data:`MAX_JUDGE_GROUPS` gets one column group per judge
(criteria then total), the same judge in the same columns on every row. A bigger panel (a province-wide
round: 1,000 judges) would make thousands of mostly empty columns, so it gets one group per *seat* instead
(评委1 … up to the most reviews an entry has), each group starting with the judge's name. In a blind round the
judges are named 评委1, 评委2 … (numbered by account, the same number on every row) for anyone but organizers
(``reveal_judges``).

Dropped scores (去掉的最高分 / 最低分, only when the round ranks by the trimmed mean): the judge's total is
highlighted in XLSX (orange fill) and followed by " ↓去" (dropped low) or " ↑去" (dropped high) in CSV.

Memory: entries are read in batches of :data:`BATCH` from the round's kept standings
(:mod:`contest.services.results.standings`), and their scores fetched per batch, so what an export adds on top
of the standings stays the same whatever the number of entries. Header labels follow the current locale
(Chinese by default): call inside a request or under ``flask_babel.force_locale``. Read-only.
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import PatternFill
from sqlalchemy import select

from contest.extensions import db
from contest.models import Aggregation, Assignment, CriterionScore, Review, ReviewState, Round
from contest.services.exports.streaming import drain
from contest.services.results.exports import BOM, FORMULA_TRIGGERS
from contest.services.results.standings import RoundStandings, Standing, round_standings

#: Entries per batch of scores fetched.
BATCH = 1000
#: Largest panel exported with one column group per judge (beyond: one group per seat).
MAX_JUDGE_GROUPS = 50
DROPPED_FILL = PatternFill("solid", start_color="FFF4B183", end_color="FFF4B183")


@dataclass(frozen=True)
class _Judged:
    """One judge's review of one entry: ``total`` and ``points`` (criterion id → points), ``dropped`` "low",
    "high" or ""."""

    judge_id: int
    total: Decimal | None
    points: dict[int, Decimal]
    dropped: str


class ScoreSheet:
    """The sheet's layout and rows for one round and one audience."""

    def __init__(self, round_: Round, *, reveal_judges: bool):
        self.round = round_
        self.standings: RoundStandings = round_standings(round_)
        self.criteria = list(round_.contest.criteria)
        judges = self.standings.judges
        self.reveal = reveal_judges or not round_.blind
        pseudonyms = {j.judge_id: _("Judge %(n)s", n=n)
                      for n, j in enumerate(sorted(judges, key=lambda j: j.judge_id), start=1)}
        self.names = {j.judge_id: (j.name if self.reveal else pseudonyms[j.judge_id]) for j in judges}
        self.per_judge = len(judges) <= MAX_JUDGE_GROUPS
        if self.per_judge:
            self.groups = [j.judge_id for j in sorted(judges, key=lambda j: (self.names[j.judge_id], j.judge_id))]
        else:
            seats = max((row.reviews for row in self.standings.rows), default=0)
            self.groups = list(range(seats))
        self.trimmed = round_.aggregation == Aggregation.TRIMMED_MEAN
        self.round_id = round_.id

    def header(self) -> list[str]:
        head = [_("Rank"), _("Category rank"), _("Entry number"), _("Title"), _("Category"), _("Creator")]
        for group in self.groups:
            label = self.names[group] if self.per_judge else _("Judge %(n)s", n=group + 1)
            if not self.per_judge:
                head.append(f"{label} · {_('Judge')}")
            head += [f"{label} · {c.name}" for c in self.criteria] + [f"{label} · {_('Total')}"]
        return head + [_("Mean (out of 100)"), _("Score (out of 100)"), _("Reviews"), _("Judges assigned"),
                       _("Std. dev."), _("Max − min"), _("Flags")]

    def rows(self) -> Iterator[list]:
        """Each entry's cells; a judge total is a ``(total, dropped)`` pair for the writers to mark."""
        rows = self.standings.rows
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            judged = self._judged(batch)
            for row in batch:
                yield self._cells(row, judged.get(row.entry_id, {}))

    def _cells(self, row: Standing, judged: dict[int, _Judged]) -> list:
        cells = [row.rank, row.category_rank, row.number, row.title, row.category, row.creator_name]
        if self.per_judge:
            for judge_id in self.groups:
                cells += self._group(judged.get(judge_id))
        else:
            ordered = sorted(judged.values(), key=lambda j: (self.names.get(j.judge_id, ""), j.judge_id))
            for seat in self.groups:
                one = ordered[seat] if seat < len(ordered) else None
                cells.append(self.names.get(one.judge_id) if one else None)
                cells += self._group(one)
        flags = ", ".join(sorted(row.flags))
        return cells + [row.mean, row.score, row.reviews, row.assigned, row.std, row.range, flags or None]

    def _group(self, judged: _Judged | None) -> list:
        if judged is None:
            return [None] * (len(self.criteria) + 1)
        return [judged.points.get(c.id) for c in self.criteria] + [(judged.total, judged.dropped)]

    def _judged(self, batch: list[Standing]) -> dict[int, dict[int, _Judged]]:
        """entry id → judge id → that judge's submitted review of it, for one batch (one query)."""
        dropped = {}
        if self.trimmed:
            for row in batch:
                ids = row.dropped_review_ids
                half = len(ids) // 2
                dropped.update({review_id: "low" for review_id in ids[:half]})
                dropped.update({review_id: "high" for review_id in ids[half:]})
        found: dict[int, dict[int, _Judged]] = defaultdict(dict)
        points: dict[int, dict[int, Decimal]] = defaultdict(dict)
        heads = {}
        stmt = (select(Assignment.entry_id, Assignment.judge_id, Review.id, Review.total,
                       CriterionScore.criterion_id, CriterionScore.points)
                .join(Review, Review.assignment_id == Assignment.id)
                .outerjoin(CriterionScore, CriterionScore.review_id == Review.id)
                .where(Assignment.round_id == self.round_id, Review.state == ReviewState.SUBMITTED,
                       Assignment.entry_id.in_([row.entry_id for row in batch])))
        for entry_id, judge_id, review_id, total, criterion_id, value in db.session.execute(stmt):
            heads[review_id] = (entry_id, judge_id, total)
            if criterion_id is not None:
                points[review_id][criterion_id] = value
        for review_id, (entry_id, judge_id, total) in heads.items():
            found[entry_id][judge_id] = _Judged(judge_id, total, points[review_id], dropped.get(review_id, ""))
        return found


def score_sheet_csv(round_: Round, *, reveal_judges: bool) -> Iterator[bytes]:
    """The sheet as CSV byte chunks: UTF-8 with a BOM, ``\\r\\n`` line ends, a header row, one row per entry;
    numbers as plain decimals, empty cells for nothing, a dropped total followed by " ↓去" / " ↑去", text
    starting with ``= + - @`` prefixed with ``'`` (never run as a formula).

    The layout, the header and the round's standings are read now, while the caller's session holds
    ``round_``; the rows are read as the chunks are consumed (a streamed response runs after the view has
    returned, when ``round_`` is no longer attached to a session)."""
    sheet = ScoreSheet(round_, reveal_judges=reveal_judges)
    return _csv_chunks(sheet, sheet.header())


def _csv_chunks(sheet: ScoreSheet, header: list[str]) -> Iterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    yield BOM.encode("utf-8") + drain(out)
    for n, cells in enumerate(sheet.rows(), start=1):
        writer.writerow([_csv_cell(value) for value in cells])
        if n % 200 == 0:
            yield drain(out)
    yield drain(out)


def score_sheet_xlsx(round_: Round, *, reveal_judges: bool) -> IO[bytes]:
    """The sheet as an XLSX workbook in a temporary file (read from the start; removed when closed): numbers
    as numbers, a dropped total highlighted (orange), the header frozen."""
    sheet = ScoreSheet(round_, reveal_judges=reveal_judges)
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(_("Score sheet")[:31])
    ws.freeze_panes = "D2"
    ws.append(sheet.header())
    for cells in sheet.rows():
        ws.append([_xlsx_cell(ws, value) for value in cells])
    out = tempfile.TemporaryFile()
    workbook.save(out)
    out.seek(0)
    return out


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        total, dropped = value
        mark = {"low": " ↓去", "high": " ↑去"}.get(dropped, "")
        return ("" if total is None else str(total)) + mark
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_TRIGGERS) else value
    return str(value)


def _xlsx_cell(ws, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws)
    if isinstance(value, tuple):
        value, dropped = value
        if dropped:
            cell.fill = DROPPED_FILL
    if isinstance(value, str):
        cell.value, cell.data_type = ILLEGAL_CHARACTERS_RE.sub("", value), "s"
    elif value is not None:
        cell.value = float(value) if isinstance(value, Decimal) else value
    return cell
