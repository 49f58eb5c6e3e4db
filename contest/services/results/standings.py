"""A round's standings (成绩): every entry of the round with its raw mean and its score by the round's
aggregation method side by side, review coverage, the disagreement among its judges and its flags, overall and
category ranks by that score; and each judge's spread and deviation from the panel.

Computed once per change, not per request: :func:`round_standings` keeps the result in the process cache until
a judging write of the contest commits (:func:`contest.services.judging.changes.progress_changed`) or
:data:`MAX_AGE_S` passes (other processes), so pages and exports page through plain data. The methods and
their formulas are in :mod:`contest.services.results.aggregation`; the ranking rule and tie-break in
:func:`contest.services.results.ranking.rank_entries`.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from contest.extensions import db
from contest.infra.cache import process_cache
from contest.models import Aggregation, Assignment, Entry, EntryState, Review, ReviewState, Round, User, utcnow
from contest.services.judging.changes import STANDINGS
from contest.services.results.aggregation import (
    STRONG_DISAGREEMENT,
    TRIM_FELL_BACK,
    ZERO_SPREAD_JUDGE,
    EntryAggregate,
    TrimmedMean,
    aggregate_round,
)
from contest.services.results.ranking import rank_entries
from contest.services.results.scores import gc_paused

#: Seconds a process keeps standings it computed (a write in the same process drops them at once).
MAX_AGE_S = 60.0
#: One computation at a time in a process (each takes seconds and most of a core at 100,000 entries).
_COMPUTING = threading.Lock()
#: Entry flags, in the order pages list them.
ENTRY_FLAGS = (STRONG_DISAGREEMENT, TRIM_FELL_BACK, ZERO_SPREAD_JUDGE)


@dataclass(frozen=True, slots=True)
class Standing:
    """One entry of the round. Points out of 100 (3 dp): ``mean`` raw mean of the submitted reviews' totals,
    ``score`` the round's method (what ranks), ``median``, ``trimmed`` (None without reviews), ``adjusted``
    (z-score); ``std`` / ``range`` the disagreement among its judges; ``dropped_review_ids`` the reviews the
    trimmed mean left out; ``flags`` from :data:`ENTRY_FLAGS` (the fall-back only under the trimmed mean,
    the flat judge only under z-scores); ``criterion_means`` criterion id → mean points;
    ``reviews`` submitted of ``assigned``; ``rank`` / ``category_rank`` None when unranked."""

    entry_id: int
    number: str
    title: str
    category_id: int
    category: str
    creator_name: str
    reviews: int
    assigned: int
    mean: Decimal | None
    score: Decimal | None
    median: Decimal | None
    trimmed: Decimal | None
    adjusted: Decimal | None
    std: Decimal | None
    range: Decimal | None
    flags: frozenset[str]
    dropped_review_ids: tuple[int, ...]
    criterion_means: dict[int, Decimal]
    rank: int | None
    category_rank: int | None

    @property
    def fully_reviewed(self) -> bool:
        return 0 < self.assigned <= self.reviews


@dataclass(frozen=True, slots=True)
class JudgeStanding:
    """One judge of the round: ``reviews`` submitted, their ``mean`` and ``std`` (points), ``offset`` from the
    other judges on shared entries (points, None when nothing is shared), ``correlation`` with them (None when
    fewer than 3 shared entries), ``flags`` (``zero_spread``, ``large_offset``, ``low_correlation``)."""

    judge_id: int
    name: str
    reviews: int
    mean: Decimal
    std: Decimal
    offset: Decimal | None
    correlation: Decimal | None
    flags: frozenset[str]


@dataclass(frozen=True)
class RoundStandings:
    """The standings of a round: ``rows`` ranked first (best first), then the unranked by entry number;
    ``judges`` by name; ``method`` and ``k`` as the round had them; ``computed_at`` (UTC)."""

    round_id: int
    method: Aggregation
    k: int
    fully_reviewed_only: bool
    rows: tuple[Standing, ...]
    judges: tuple[JudgeStanding, ...]
    computed_at: datetime
    by_entry: dict[int, Standing] = field(repr=False, default_factory=dict)
    #: Entries not fully reviewed (counted once, with the standings).
    unfinished: int = 0

    def judges_to_show(self, limit: int = 50) -> list[JudgeStanding]:
        """At most ``limit`` judges for the page: the flagged ones first (largest offset first), then the
        others by name — a province-wide round has 1,000 judges."""
        flagged = sorted((j for j in self.judges if j.flags), key=lambda j: -abs(j.offset or 0))
        others = [j for j in self.judges if not j.flags]
        return (flagged + others)[:limit]

    def filtered(self, *, category_id: int | None = None, coverage: str | None = None,
                 flagged: bool = False) -> list[Standing]:
        """The rows kept by the page's filters: one category; ``coverage`` "full" or "partial"; only entries
        with a flag."""
        rows = self.rows
        if category_id is not None:
            rows = [r for r in rows if r.category_id == category_id]
        if coverage == "full":
            rows = [r for r in rows if r.fully_reviewed]
        elif coverage == "partial":
            rows = [r for r in rows if not r.fully_reviewed]
        if flagged:
            rows = [r for r in rows if r.flags]
        return list(rows)


def round_standings(round_: Round, *, fully_reviewed_only: bool = False) -> RoundStandings:
    """The round's standings, computed at most once per change (see the module docstring)."""
    # the age counts from when each standings were computed: computing takes a minute on a loaded machine at
    # 100,000 entries, and counted from before it, standings would be stale as soon as they were ready
    kept = process_cache().get_or_count(STANDINGS, round_.contest_id, dict, max_age=math.inf)
    key = (round_.id, fully_reviewed_only, round_.aggregation, round_.trim_k)
    standings = kept.get(key)
    if not _fresh(standings):
        with _COMPUTING:  # threads asking meanwhile wait for this result instead of computing it again
            standings = kept.get(key)
            if not _fresh(standings):
                standings = kept[key] = compute(round_, fully_reviewed_only=fully_reviewed_only)
    return standings


def _fresh(standings: RoundStandings | None) -> bool:
    return standings is not None and (utcnow() - standings.computed_at).total_seconds() < MAX_AGE_S


def review_rows(round_: Round) -> list[tuple[int, int, int, Decimal]]:
    """``(entry_id, judge_id, review_id, total)`` of the round's submitted reviews of submitted entries (one
    query; the input of :func:`contest.services.results.aggregation.aggregate_round`)."""
    with gc_paused():
        return list(db.session.execute(
            select(Assignment.entry_id, Assignment.judge_id, Review.id, Review.total)
            .join(Review, Review.assignment_id == Assignment.id).join(Entry, Entry.id == Assignment.entry_id)
            .where(Assignment.round_id == round_.id, Review.state == ReviewState.SUBMITTED,
                   Review.total.is_not(None), Entry.state == EntryState.SUBMITTED)
        ).all())


def compute(round_: Round, *, fully_reviewed_only: bool = False) -> RoundStandings:
    """Aggregate the round's submitted reviews by every method, rank by the round's own method (ties as
    :func:`~contest.services.results.ranking.rank_entries` breaks them) and return plain data."""
    aggregate = aggregate_round(review_rows(round_), k=round_.trim_k)
    scores = {entry_id: _score(round_.aggregation, agg) for entry_id, agg in aggregate.entries.items()}
    ranked = rank_entries(contest=round_.contest, round_=round_, fully_reviewed_only=fully_reviewed_only,
                          scores=scores)
    rows = tuple(_standing(row, aggregate.entries.get(row.entry.id), round_.aggregation) for row in ranked)
    names = dict(db.session.execute(select(User.id, User.display_name)
                                    .where(User.id.in_(list(aggregate.judges)))).all())
    judges = tuple(sorted((JudgeStanding(judge_id=j.judge_id, name=names.get(j.judge_id, ""),
                                         reviews=j.spread.reviews, mean=j.spread.mean, std=j.spread.std,
                                         offset=j.deviation.offset, correlation=j.deviation.correlation,
                                         flags=j.flags) for j in aggregate.judges.values()),
                          key=lambda j: (j.name, j.judge_id)))
    return RoundStandings(round_id=round_.id, method=round_.aggregation, k=round_.trim_k,
                          fully_reviewed_only=fully_reviewed_only, rows=rows, judges=judges,
                          computed_at=utcnow(), by_entry={row.entry_id: row for row in rows},
                          unfinished=sum(1 for row in rows if not row.fully_reviewed))


def _score(method: Aggregation, agg: EntryAggregate) -> Decimal | None:
    if method == Aggregation.TRIMMED_MEAN:
        return agg.trimmed.value
    if method == Aggregation.MEDIAN:
        return agg.median
    if method == Aggregation.ZSCORE:
        return agg.adjusted
    return agg.mean


#: Flags that only mean something for one method: the trimmed mean's fall-back, the z-score's flat judge.
_METHOD_FLAGS = {TRIM_FELL_BACK: Aggregation.TRIMMED_MEAN, ZERO_SPREAD_JUDGE: Aggregation.ZSCORE}


def _dropped_review_ids(trimmed: TrimmedMean) -> tuple[int, ...]:
    """``trimmed.dropped_review_ids`` (the low ones first) read from its sorted rows ``(thousandths,
    review_id, judge_id)``, without making the dropped reviews' Decimal points (~15 % of computing the
    standings)."""
    if not trimmed.trimmed:
        return ()
    k, rows = trimmed.k, trimmed.rows
    return tuple(review_id for _milli, review_id, _judge in rows[:k] + rows[-k:])


def _standing(row, agg: EntryAggregate | None, method: Aggregation) -> Standing:
    entry = row.entry
    flags = frozenset(f for f in agg.flags if _METHOD_FLAGS.get(f, method) == method) if agg else frozenset()
    return Standing(
        entry_id=entry.id, number=entry.number, title=entry.title, category_id=entry.category_id,
        category=entry.category.name, creator_name=entry.creator.display_name, reviews=row.reviews,
        assigned=row.assigned, mean=row.mean, score=row.total,
        median=agg.median if agg else None, trimmed=agg.trimmed.value if agg else None,
        adjusted=agg.adjusted if agg else None, std=agg.std if agg else None, range=agg.range if agg else None,
        flags=flags, dropped_review_ids=_dropped_review_ids(agg.trimmed) if agg else (),
        criterion_means=dict(row.criterion_means), rank=row.rank, category_rank=row.category_rank)
