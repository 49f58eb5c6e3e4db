"""Results: entries of a contest ranked by the mean of their submitted reviews (read only).

The ranking rule lives in :func:`rank_entries` (its docstring states the tie-break); :data:`TIE_BREAK_RULE` is
the same rule as a sentence for the results page.
"""
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from contest.extensions import db
from contest.models import (
    Assignment,
    Category,
    Contest,
    Criterion,
    CriterionScore,
    Entry,
    EntryState,
    Review,
    ReviewState,
    Round,
    User,
)
from contest.services.judging.rounds import current_round, round_entry_ids

#: Means are shown and compared with three decimals.
MEAN_STEP = Decimal("0.001")

TIE_BREAK_RULE = _l(
    "Entries with equal totals are ordered by their mean score on the criterion with the highest weight, "
    "then on the criterion with the next-highest weight, and so on (criteria of equal weight in rubric "
    "order). Entries that are still equal share a rank, and the next rank is skipped (1, 2, 2, 4)."
)


class CategoryRef(NamedTuple):
    id: int
    name: str


class CreatorRef(NamedTuple):
    id: int
    display_name: str


class RankedEntry(NamedTuple):
    """The columns of an entry a ranking shows, read as plain values (no ORM object: loading 100,000 entries
    with their category and creator as ORM objects took several times as long); ``category.name`` and
    ``creator.display_name`` read as on an :class:`~contest.models.Entry`."""

    id: int
    number: str
    title: str
    category_id: int
    category: CategoryRef
    creator: CreatorRef


@dataclass
class ResultRow:
    """One entry's result. ``total`` is the mean of its submitted reviews' totals (points out of 100, 3 dp),
    None without a submitted review; ``criterion_means`` maps criterion id → mean points (3 dp) over the
    submitted reviews; ``reviews`` counts the submitted reviews and ``assigned`` the entry's assignments (its
    review coverage is ``reviews / assigned``); ``rank``/``category_rank`` are None for an entry left out of
    the ranking (no total, or not fully reviewed when only those are ranked)."""

    entry: RankedEntry
    criterion_means: dict[int, Decimal] = field(default_factory=dict)
    total: Decimal | None = None
    #: The raw mean of the submitted reviews' totals (equal to ``total`` unless the round ranks by another
    #: score: see ``scores`` of :func:`rank_entries`).
    mean: Decimal | None = None
    reviews: int = 0
    assigned: int = 0
    rank: int | None = None
    category_rank: int | None = None

    @property
    def fully_reviewed(self) -> bool:
        """Every judge assigned to the entry has submitted a review (and at least one judge is assigned)."""
        return 0 < self.assigned <= self.reviews


def rank_entries(*, contest: Contest, fully_reviewed_only: bool = False,
                 round_: Round | None = None, scores: Mapping[int, Decimal | None] | None = None) -> list[ResultRow]:
    """Rank the entries of one judging round (default: the contest's current round, see
    :func:`contest.services.judging.rounds.current_round`), best first, from that round's reviews only.

    ``scores`` (entry id → points out of 100): rank by these instead of the mean (the round's aggregation
    method, :mod:`contest.services.results.standings`); each row's ``total`` is then its score and ``mean``
    keeps the raw mean. Everything below about "total" applies to that score.

    Only submitted reviews count. Each row tells its review coverage: ``reviews`` submitted of ``assigned``
    assignments, ``fully_reviewed`` when every assigned judge has submitted. With ``fully_reviewed_only`` only
    fully reviewed entries are ranked; the others keep their means and total but get no rank and are listed
    after the ranked ones, by entry number (as entries without a submitted review always are). An entry's total is the mean of its submitted reviews' totals and each
    criterion mean is the mean of its points over those reviews, both rounded half-up to 3 decimals; ranking
    compares these shown values, so anyone can check it against the published table.

    Order: total descending. Tie-break: equal totals are ordered by the mean points on the criterion with the
    highest weight (compared as a fraction of its max points), then on the criterion with the next-highest
    weight, and so on; criteria of equal weight are taken in rubric order. Entries still equal on all of these
    share a rank (standard competition ranking: 1, 2, 2, 4). ``category_rank`` applies the same rule among the
    entries of the same category. Entries sharing a rank are listed by entry number. Entries without a
    submitted review come last, by entry number, with rank None.

    Runs three queries (entries, totals and coverage per entry, points per entry and criterion), however many
    entries.
    """
    round_ = round_ or current_round(contest)
    rows = {entry.id: ResultRow(entry=entry) for entry in _entries_of(round_)}
    _fill_totals(round_, rows)
    _fill_criterion_means(round_, rows)
    for row in rows.values():
        row.mean = row.total
        if scores is not None:
            row.total = scores.get(row.entry.id)

    sort_key = _sort_key(contest.criteria)
    rankable = [row for row in rows.values()
                if row.total is not None and (row.fully_reviewed or not fully_reviewed_only)]
    keys = {row.entry.id: sort_key(row) for row in rankable}  # once per row, not at every sort and rank

    def key(row: ResultRow) -> tuple:
        return keys[row.entry.id]

    ranked = sorted(rankable, key=key, reverse=True)
    _assign_ranks(ranked, key, "rank")
    by_category = sorted(ranked, key=lambda row: row.entry.category_id)
    for _category, group in groupby(by_category, key=lambda row: row.entry.category_id):
        _assign_ranks(sorted(group, key=key, reverse=True), key, "category_rank")
    ranked.sort(key=lambda row: (row.rank, row.entry.number))
    return ranked + [row for row in rows.values() if row.rank is None]


def _entries_of(round_: Round) -> list[RankedEntry]:
    """The round's entries by number, as plain values (one query)."""
    categories: dict[int, CategoryRef] = {}
    entries = []
    for entry_id, number, title, category_id, category, creator_id, creator in db.session.execute(
        select(Entry.id, Entry.number, Entry.title, Entry.category_id, Category.name, Entry.creator_id,
               User.display_name)
        .join(Category, Category.id == Entry.category_id).join(User, User.id == Entry.creator_id)
        .where(Entry.id.in_(round_entry_ids(round_))).order_by(Entry.number)
    ):
        ref = categories.setdefault(category_id, CategoryRef(category_id, category))
        creator_ref = CreatorRef(creator_id, creator)
        entries.append(RankedEntry(entry_id, number, title, category_id, ref, creator_ref))
    return entries


def _submitted_reviews_of(round_: Round):
    """FROM/WHERE shared by the aggregate queries: submitted reviews of the round's submitted entries."""
    return (
        select()
        .select_from(Review)
        .join(Assignment, Assignment.id == Review.assignment_id)
        .join(Entry, Entry.id == Assignment.entry_id)
        .where(Assignment.round_id == round_.id, Entry.state == EntryState.SUBMITTED,
               Review.state == ReviewState.SUBMITTED)
        .group_by(Assignment.entry_id)
    )


def _fill_totals(round_: Round, rows: dict[int, ResultRow]) -> None:
    """Assignments, submitted reviews and the mean of their totals per entry: one GROUP BY over the round's
    assignments of submitted entries, their submitted reviews joined."""
    stmt = (
        select(Assignment.entry_id, func.count(Assignment.id), func.count(Review.id), func.sum(Review.total),
               func.count(Review.total))
        .join(Entry, Entry.id == Assignment.entry_id)
        .outerjoin(Review, (Review.assignment_id == Assignment.id) & (Review.state == ReviewState.SUBMITTED))
        .where(Assignment.round_id == round_.id, Entry.state == EntryState.SUBMITTED)
        .group_by(Assignment.entry_id)
    )
    for entry_id, assigned, reviews, total_sum, with_total in db.session.execute(stmt):
        row = rows.get(entry_id)
        if row is None:  # assigned in the round but no longer in it (e.g. a promotion was reverted)
            continue
        row.assigned, row.reviews = assigned, reviews
        row.total = _mean(total_sum, with_total)


def _fill_criterion_means(round_: Round, rows: dict[int, ResultRow]) -> None:
    stmt = (
        _submitted_reviews_of(round_)
        .join(CriterionScore, CriterionScore.review_id == Review.id)
        .add_columns(Assignment.entry_id, CriterionScore.criterion_id, func.sum(CriterionScore.points),
                     func.count(CriterionScore.id))
        .group_by(CriterionScore.criterion_id)
    )
    for entry_id, criterion_id, points_sum, count in db.session.execute(stmt):
        if entry_id in rows:
            rows[entry_id].criterion_means[criterion_id] = _mean(points_sum, count)


def _mean(total, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / count).quantize(MEAN_STEP, rounding=ROUND_HALF_UP)


def _sort_key(criteria: list[Criterion]):
    """Key (total, fraction of max on the heaviest criterion, …): larger is better. ``criteria`` is in rubric
    order and ``sorted`` is stable, so equal weights keep rubric order."""
    order = sorted(criteria, key=lambda c: -c.weight)
    missing = Decimal(-1)

    def key(row: ResultRow) -> tuple:
        means = row.criterion_means
        fractions = tuple(means[c.id] / c.max_points if c.id in means else missing for c in order)
        return (row.total, *fractions)

    return key


def _assign_ranks(ordered: list[ResultRow], key, attribute: str) -> None:
    """Standard competition ranking over rows already sorted best first: equal keys share a rank, and the
    following rank skips as many places as rows shared (1, 2, 2, 4)."""
    previous = None
    for position, row in enumerate(ordered, start=1):
        current = key(row)
        rank = position if current != previous else getattr(ordered[position - 2], attribute)
        setattr(row, attribute, rank)
        previous = current
