"""Judging, read side: a judge's queue (paged, with its progress), the next entry to score, and one assignment
with all its review page shows. Read-only; the writes are in :mod:`contest.services.judging.reviews`.

The queue's order: by contest (the newest first; the page shows a heading per contest), in each contest the
reviews not yet submitted (none or a draft) first, then by entry number.

The queue starts from the judge's assignments — a few hundred, read from the index
``ix_assignment_judge_queue`` — and looks their entries up one by one (:func:`_entry_value`), so its cost
follows the judge's workload, not the size of the contest.
"""
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, bindparam, case, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from contest.extensions import db
from contest.models import (
    Assignment,
    Category,
    Contest,
    ContestRole,
    ContestRoleName,
    Entry,
    EntryState,
    Review,
    ReviewState,
    Round,
    User,
    Video,
    utcnow,
)


def _entry_value(column):
    """``column`` of the assignment's entry, as a correlated subquery.

    The queue helpers below start from the judge's assignments (hundreds, read from the index
    ``ix_assignment_judge_queue``) and need two values of each one's entry. Written as a join, PostgreSQL's
    default costs (``random_page_cost`` 4) make it hash-join a scan of the whole entry table (100,000 rows,
    ~20 ms); a subquery looks each entry up by primary key instead (~3 ms for 500 assignments)."""
    return select(column).where(Entry.id == Assignment.entry_id).scalar_subquery()


def _open_for_judging(judge_id):
    """Condition on Assignment: its entry is in state submitted (withdrawn or disqualified ones drop out) and
    in a contest where the judge holds the judge grant (a revoked grant hides that contest's assignments)."""
    return and_(_entry_value(Entry.state) == EntryState.SUBMITTED,
                _entry_value(Entry.contest_id).in_(_judged_contests(judge_id)))


def _judged_contests(judge_id):
    """Ids of the contests where the judge holds the judge grant (a subquery)."""
    return select(ContestRole.contest_id).where(ContestRole.user_id == judge_id,
                                                ContestRole.role == ContestRoleName.JUDGE)


def _is_submitted():
    """1 when the assignment's review is submitted, else 0: counts submitted reviews, sorts them last."""
    return case((Review.state == ReviewState.SUBMITTED, 1), else_=0)


def _queue_select(judge: User):
    """The judge's assignments to submitted entries with entry (contest, category, video) and review (with
    scores) loaded, in the queue's order (see the module's docstring)."""
    return (
        select(Assignment)
        .join(Assignment.entry)
        .outerjoin(Assignment.review)
        .where(Assignment.judge_id == judge.id, Entry.state == EntryState.SUBMITTED,
               Entry.contest_id.in_(_judged_contests(judge.id)))
        .options(
            contains_eager(Assignment.entry).joinedload(Entry.category),
            contains_eager(Assignment.entry).joinedload(Entry.contest),
            contains_eager(Assignment.entry).joinedload(Entry.video),
            contains_eager(Assignment.review).selectinload(Review.scores),
        )
        .order_by(Entry.contest_id.desc(), _is_submitted(), Entry.number, Assignment.id)
    )


def judge_queue(*, judge: User) -> list[Assignment]:
    """The whole queue of :func:`_queue_select` in the same few queries (for scripts; pages use
    :func:`judge_queue_page`)."""
    return list(db.session.scalars(_queue_select(judge)).unique())


#: What a queue row shows of its entry and video (the other columns, e.g. descriptions, are not loaded).
_QUEUE_ENTRY_COLUMNS = (Entry.number, Entry.title, Entry.blind_title, Entry.state, Entry.category_id,
                        Entry.contest_id)
_QUEUE_VIDEO_COLUMNS = (Video.state, Video.poster_key)
#: What the player (templates/_macros/player.html) reads of a video.
_PLAYER_VIDEO_COLUMNS = (Video.state, Video.rendition_key, Video.poster_key)


@dataclass
class QueueGroup:
    """The rows of one contest on a page of the queue; ``submitted`` of ``total`` counts the judge's reviews
    of that contest over the whole queue, not only this page."""

    contest: Contest
    submitted: int
    total: int
    assignments: list[Assignment] = field(default_factory=list)


class QueuePagination(Pagination):
    """A page of a judge's queue (see :func:`judge_queue_page`); ``submitted`` counts the submitted reviews
    of the whole queue (``total`` assignments); ``groups`` are the page's rows by contest."""

    submitted: int
    groups: list[QueueGroup]

    def _query_items(self) -> list[Assignment]:
        judge_id, entry = self._query_args["judge_id"], contains_eager(Assignment.entry)
        mine = (
            select(Assignment.id.label("id"), _entry_value(Entry.contest_id).label("contest_id"),
                   _entry_value(Entry.number).label("number"), _is_submitted().label("done"))
            .select_from(Assignment).outerjoin(Review, Review.assignment_id == Assignment.id)
            .where(Assignment.judge_id == judge_id, _open_for_judging(judge_id))
            .subquery()
        )
        in_contest = {"partition_by": mine.c.contest_id}
        page = (
            select(mine.c.id, mine.c.contest_id, func.count().over().label("total"),
                   func.sum(mine.c.done).over().label("submitted"),
                   func.count().over(**in_contest).label("contest_total"),
                   func.sum(mine.c.done).over(**in_contest).label("contest_submitted"))
            .order_by(mine.c.contest_id.desc(), mine.c.done, mine.c.number, mine.c.id)
            .offset(self._query_offset).limit(self.per_page)
            .subquery()
        )
        rows = db.session.execute(
            select(Assignment, page.c.total, page.c.submitted, page.c.contest_total, page.c.contest_submitted)
            .join(page, page.c.id == Assignment.id).join(Assignment.entry).outerjoin(Assignment.review)
            .options(entry.load_only(*_QUEUE_ENTRY_COLUMNS),
                     entry.joinedload(Entry.contest).load_only(Contest.title, Contest.code),
                     entry.joinedload(Entry.category).load_only(Category.name),
                     entry.joinedload(Entry.video).load_only(*_QUEUE_VIDEO_COLUMNS),
                     joinedload(Assignment.round).load_only(Round.name, Round.blind, Round.position),
                     contains_eager(Assignment.review).load_only(Review.state, Review.total))
            .order_by(page.c.contest_id.desc(), _is_submitted(), Entry.number, Assignment.id)
        ).all()
        if rows:
            self._total, self.submitted = rows[0].total, int(rows[0].submitted)
        else:  # past the end (or nothing assigned): the totals come from their own query
            self.submitted, self._total = _progress(judge_id)
        self.groups = []
        for row in rows:
            contest = row.Assignment.entry.contest
            if not self.groups or self.groups[-1].contest is not contest:
                self.groups.append(QueueGroup(contest, int(row.contest_submitted), row.contest_total))
            self.groups[-1].assignments.append(row.Assignment)
        return [row.Assignment for row in rows]

    def _query_count(self) -> int:
        return self._total


def judge_queue_page(*, judge: User, page: int = 1, per_page: int = 50) -> QueuePagination:
    """One page of the judge's queue: the same rows and order as :func:`judge_queue`, with entry (contest,
    category, video) and review loaded, in a Flask-SQLAlchemy ``Pagination`` (``items``, ``total``, ``pages``,
    ``first``/``last``) that also tells ``submitted``, the queue's submitted reviews — the numbers of
    :func:`judge_progress`, counted over the whole queue in the same query — and ``groups``, the page's rows
    by contest (:class:`QueueGroup`) with each contest's numbers, counted in the same query too.

    ``page`` is 1-based (below 1 counts as 1; past the end gives no items, and a second query for the
    totals). One query: the judge's assignments sorted by contest, review state and entry number, counted
    (over the queue and per contest), cut to the page, joined to their rows. The order depends on review state, which no index holds, so this is OFFSET
    paging over the judge's own assignments (hundreds, found through ``ix_assignment_judge_queue``): the last
    page costs what the first does.
    """
    return QueuePagination(page=max(page, 1), per_page=per_page, max_per_page=None, error_out=False,
                           judge_id=judge.id)


def judge_progress(*, judge: User) -> tuple[int, int]:
    """``(submitted reviews, assignments)`` of the judge over entries in state submitted — the queue's
    "k of n submitted" — from one aggregate query over all the judge's assignments (not one page)."""
    return _progress(judge.id)


def _progress(judge_id: int) -> tuple[int, int]:
    submitted, total = db.session.execute(
        select(func.count(case((Review.state == ReviewState.SUBMITTED, 1))), func.count(Assignment.id))
        .select_from(Assignment).outerjoin(Review, Review.assignment_id == Assignment.id)
        .where(Assignment.judge_id == judge_id, _open_for_judging(judge_id))
    ).one()
    return submitted, total


def next_unsubmitted(*, judge: User) -> Assignment | None:
    """"Save and next": the judge's next assignment whose review is not submitted yet (no review or a draft),
    in a round that accepts reviews — within the queue's first contest (newest first, as the queue groups them),
    the entry with the fewest submitted reviews first (so every entry gets its reviews), then by entry number. None when all are submitted. One query (LIMIT 1)."""
    others = aliased(Assignment)
    submitted_reviews = (
        select(func.count(others.id)).join(Review, Review.assignment_id == others.id)
        .where(others.entry_id == Assignment.entry_id, others.round_id == Assignment.round_id,
               Review.state == ReviewState.SUBMITTED)
        .scalar_subquery()
    )
    now = utcnow()
    return db.session.scalar(
        select(Assignment)
        .outerjoin(Assignment.review).join(Round, Round.id == Assignment.round_id)
        .where(Assignment.judge_id == judge.id, _open_for_judging(judge.id),
               or_(Review.id.is_(None), Review.state != ReviewState.SUBMITTED),
               Round.closed_at.is_(None), or_(Round.closes_at.is_(None), Round.closes_at > now),
               or_(Round.opens_at.is_(None), Round.opens_at <= now))
        .order_by(_entry_value(Entry.contest_id).desc(), submitted_reviews, _entry_value(Entry.number),
                  Assignment.id)
        .limit(1)
    )


@dataclass(frozen=True)
class RoundPosition:
    """Where an assignment sits among the judge's assignments of its round (to submitted entries, by entry
    number): the previous and next entry ids (None at either end) and the judge's progress in the round,
    ``submitted`` reviews of ``total`` assignments."""

    previous_id: int | None
    next_id: int | None
    submitted: int
    total: int


def round_position(*, judge: User, assignment: Assignment) -> RoundPosition:
    """The :class:`RoundPosition` of ``assignment``, for the judge's previous / next links and keys and the
    round's progress bar: one query (window functions over the judge's assignments of the round)."""
    number = _entry_value(Entry.number)
    ordered = (
        select(Assignment.id.label("id"),
               func.lag(Assignment.entry_id).over(order_by=(number, Assignment.id)).label("previous_id"),
               func.lead(Assignment.entry_id).over(order_by=(number, Assignment.id)).label("next_id"),
               func.sum(_is_submitted()).over().label("submitted"), func.count().over().label("total"))
        .select_from(Assignment).outerjoin(Review, Review.assignment_id == Assignment.id)
        .where(Assignment.judge_id == judge.id, Assignment.round_id == assignment.round_id, _open_for_judging(judge.id))
        .subquery()
    )
    row = db.session.execute(select(ordered).where(ordered.c.id == assignment.id)).one_or_none()
    if row is None:
        return RoundPosition(None, None, 0, 0)
    return RoundPosition(row.previous_id, row.next_id, int(row.submitted or 0), row.total)


def _judge_assignment_select():
    entry = joinedload(Assignment.entry)
    contest = entry.joinedload(Entry.contest)
    return (
        select(Assignment)
        .where(Assignment.judge_id == bindparam("judge_id"), Assignment.entry_id == bindparam("entry_id"))
        .options(
            entry.load_only(Entry.number, Entry.title, Entry.description, Entry.state, Entry.contest_id,
                            Entry.category_id, Entry.creator_id, Entry.blind_title, Entry.blind_description),
            joinedload(Assignment.round),
            contest.load_only(Contest.title), contest.joinedload(Contest.criteria),
            entry.joinedload(Entry.category).load_only(Category.name),
            entry.joinedload(Entry.video).load_only(*_PLAYER_VIDEO_COLUMNS),
            joinedload(Assignment.review).joinedload(Review.scores),
        )
    )


#: Built once (its options cost more to build than the query takes to run): the judge's entry page is the
#: page most requested while judging runs.
_JUDGE_ASSIGNMENT = _judge_assignment_select()


def judge_assignment(*, judge: User, entry_id: int) -> Assignment | None:
    """The judge's assignment to entry ``entry_id`` with all its review page shows — the entry with its
    contest's title and rubric, category and video; the review with its scores — in one query (only the
    columns the page shows; rows: criteria × scores). When the judge judges the entry in several rounds, the
    assignment of the latest round. None when there is no such entry or it is not assigned to the judge; the
    caller checks the entry's state."""
    params = {"judge_id": judge.id, "entry_id": entry_id}
    assignments = db.session.scalars(_JUDGE_ASSIGNMENT, params).unique().all()
    return max(assignments, key=lambda a: a.round.position, default=None)


@dataclass(frozen=True)
class OtherReview:
    """Another judge's submitted review of the same entry in the same round, as a judge may see it: ``label``
    is "评委 n" (n by assignment order; the other judge's name is never shown), ``total`` points out of 100,
    ``points`` criterion id → points."""

    label: str
    total: Decimal | None
    points: dict[int, Decimal]


def other_reviews(assignment: Assignment) -> list[OtherReview]:
    """The submitted reviews of ``assignment``'s entry in its round by the other judges (one query for the
    reviews, one for their scores). The caller decides whether the judge may see them
    (:func:`contest.services.judging.rounds.others_visible`)."""
    reviews = db.session.scalars(
        select(Review).join(Assignment, Assignment.id == Review.assignment_id)
        .where(Assignment.entry_id == assignment.entry_id, Assignment.round_id == assignment.round_id,
               Assignment.id != assignment.id, Review.state == ReviewState.SUBMITTED)
        .options(selectinload(Review.scores)).order_by(Assignment.id)
    ).all()
    return [OtherReview(label=_("Judge %(n)s", n=n), total=review.total,
                        points={score.criterion_id: score.points for score in review.scores})
            for n, review in enumerate(reviews, start=1)]
