"""Contest statistics for organizers: entries by category, state and day, play counts, judging progress.

Read-only: every number comes from a handful of aggregate queries (GROUP BY); nothing here loops over entries
issuing queries, and nothing writes.
"""
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, select

from contest.extensions import db
from contest.models import (
    SITE,
    Assignment,
    Category,
    Contest,
    Entry,
    EntryState,
    PlayCount,
    Review,
    ReviewState,
    User,
)

#: Submission days are counted in China Standard Time, the contest's local time.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
#: Length of :attr:`ContestStats.top_by_plays`.
TOP_N = 10


@dataclass(frozen=True)
class CategoryCounts:
    """Entries of one category (组别) by state."""

    category_id: int
    name: str
    submitted: int = 0
    draft: int = 0
    withdrawn: int = 0
    disqualified: int = 0

    @property
    def total(self) -> int:
        return self.submitted + self.draft + self.withdrawn + self.disqualified


@dataclass(frozen=True)
class DayCount:
    """Submitted entries whose ``submitted_at`` falls on ``day`` (an Asia/Shanghai calendar date)."""

    day: date
    submitted: int


@dataclass(frozen=True)
class PlayRow:
    """An entry with its plays summed over all platforms."""

    entry_id: int
    number: str
    title: str
    category: str
    creator: str
    state: EntryState
    plays: int


@dataclass(frozen=True)
class JudgingProgress:
    """Assignments of the contest's entries and the reviews written for them."""

    judges: int = 0
    assignments: int = 0
    reviews_submitted: int = 0
    reviews_draft: int = 0

    @property
    def reviews_missing(self) -> int:
        """Assignments without a submitted review."""
        return self.assignments - self.reviews_submitted

    @property
    def percent_done(self) -> int | None:
        """Submitted reviews as a whole percentage of assignments (rounded down), None without assignments."""
        return None if not self.assignments else self.reviews_submitted * 100 // self.assignments


@dataclass(frozen=True)
class ContestStats:
    by_category: list[CategoryCounts]
    by_state: dict[EntryState, int]
    by_day: list[DayCount]
    total_plays: int
    site_plays: int
    top_by_plays: list[PlayRow]
    judging: JudgingProgress

    @property
    def total_entries(self) -> int:
        return sum(self.by_state.values())

    @property
    def submitted(self) -> int:
        return self.by_state[EntryState.SUBMITTED]


def contest_stats(*, contest: Contest) -> ContestStats:
    """All statistics of ``contest`` (see :class:`ContestStats`).

    - ``by_category``: every category of the contest in its display order (zeros included), entries counted
      per state; ``by_state``: every :class:`EntryState` with its count (zeros included).
    - ``by_day``: entries *currently submitted*, counted by the Asia/Shanghai calendar date of their
      ``submitted_at``; every day from the first to the last such date is listed, days without submissions
      as 0, so the counts add up to ``by_state[SUBMITTED]`` (a withdrawn or disqualified entry leaves the
      day it was submitted on). The UTC → Shanghai conversion is done **in Python** over the ``submitted_at``
      values fetched in one query, so the bucketing is identical on SQLite (naive UTC text) and PostgreSQL
      (timestamptz) whatever the server's time zone.
    - ``total_plays``: sum of :attr:`PlayCount.plays` over all platforms and all entries of the contest
      (any state), a Python int (64-bit and beyond, no overflow); ``top_by_plays``: the ``TOP_N`` entries
      with most plays, ties broken by entry number, entries without any plays left out. ``site_plays``: the
      plays counted on this site alone (本站播放: once per viewer per ``PLAY_WINDOW_S``,
      :func:`contest.services.metrics.plays.record_play`).
    - ``judging``: assignments of the contest's entries, distinct judges, reviews submitted / still draft.
    """
    return ContestStats(
        by_category=_by_category(contest),
        by_state=_by_state(contest),
        by_day=_by_day(contest),
        total_plays=_total_plays(contest),
        site_plays=_total_plays(contest, platform=SITE),
        top_by_plays=_top_by_plays(contest),
        judging=_judging(contest),
    )


def _by_category(contest: Contest) -> list[CategoryCounts]:
    rows = db.session.execute(
        select(Entry.category_id, Entry.state, func.count(Entry.id))
        .where(Entry.contest_id == contest.id)
        .group_by(Entry.category_id, Entry.state)
    )
    counts: dict[int, dict[str, int]] = {}
    for category_id, state, n in rows:
        counts.setdefault(category_id, {})[EntryState(state).value] = n
    categories = db.session.execute(
        select(Category.id, Category.name).where(Category.contest_id == contest.id)
        .order_by(Category.position, Category.id)
    )
    return [CategoryCounts(category_id=cid, name=name, **counts.get(cid, {})) for cid, name in categories]


def _by_state(contest: Contest) -> dict[EntryState, int]:
    rows = db.session.execute(
        select(Entry.state, func.count(Entry.id)).where(Entry.contest_id == contest.id).group_by(Entry.state)
    )
    by_state = dict.fromkeys(EntryState, 0)
    by_state.update({EntryState(state): n for state, n in rows})
    return by_state


def _by_day(contest: Contest) -> list[DayCount]:
    times = db.session.scalars(
        select(Entry.submitted_at)
        .where(Entry.contest_id == contest.id, Entry.state == EntryState.SUBMITTED)
        .where(Entry.submitted_at.is_not(None))
    )
    per_day: dict[date, int] = {}
    for at in times:
        day = at.astimezone(LOCAL_TZ).date()
        per_day[day] = per_day.get(day, 0) + 1
    if not per_day:
        return []
    first, last = min(per_day), max(per_day)
    days = (first + timedelta(days=i) for i in range((last - first).days + 1))
    return [DayCount(day=day, submitted=per_day.get(day, 0)) for day in days]


def _total_plays(contest: Contest, platform: str | None = None) -> int:
    query = (select(func.coalesce(func.sum(PlayCount.plays), 0))
             .join(Entry, Entry.id == PlayCount.entry_id).where(Entry.contest_id == contest.id))
    if platform is not None:
        query = query.where(PlayCount.platform == platform)
    total = db.session.scalar(query)
    return int(total)  # PostgreSQL's sum(bigint) is numeric → Decimal


def _top_by_plays(contest: Contest) -> list[PlayRow]:
    plays = func.sum(PlayCount.plays).label("plays")
    rows = db.session.execute(
        select(Entry.id, Entry.number, Entry.title, Category.name, User.display_name, Entry.state, plays)
        .join(PlayCount, PlayCount.entry_id == Entry.id)
        .join(Category, Category.id == Entry.category_id)
        .join(User, User.id == Entry.creator_id)
        .where(Entry.contest_id == contest.id)
        .group_by(Entry.id, Entry.number, Entry.title, Category.name, User.display_name, Entry.state)
        .having(func.sum(PlayCount.plays) > 0)
        .order_by(plays.desc(), Entry.number)
        .limit(TOP_N)
    )
    return [
        PlayRow(entry_id=eid, number=number, title=title, category=category, creator=creator,
                state=EntryState(state), plays=int(n))
        for eid, number, title, category, creator, state, n in rows
    ]


def _judging(contest: Contest) -> JudgingProgress:
    assignments, judges = db.session.execute(
        select(func.count(Assignment.id), func.count(distinct(Assignment.judge_id)))
        .join(Entry, Entry.id == Assignment.entry_id)
        .where(Entry.contest_id == contest.id)
    ).one()
    reviews = dict(db.session.execute(
        select(Review.state, func.count(Review.id))
        .join(Assignment, Assignment.id == Review.assignment_id)
        .join(Entry, Entry.id == Assignment.entry_id)
        .where(Entry.contest_id == contest.id)
        .group_by(Review.state)
    ).all())
    return JudgingProgress(judges=judges, assignments=assignments,
                           reviews_submitted=reviews.get(ReviewState.SUBMITTED, 0),
                           reviews_draft=reviews.get(ReviewState.DRAFT, 0))
