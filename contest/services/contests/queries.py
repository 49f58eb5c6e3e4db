"""Contests, read side: open and all contests, entry counts, a contest's entry list (paged) and total, one entry
with its organizer page's details. Read-only."""
from collections import defaultdict
from datetime import datetime

from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, load_only

from contest.extensions import db
from contest.infra.cache import process_cache
from contest.models import Category, Contest, Entry, EntryState, User, Video, utcnow


def open_contests(at: datetime | None = None) -> list[Contest]:
    """Contests whose submission window contains ``at`` (default: now), soonest closing first."""
    at = at or utcnow()
    return list(db.session.scalars(
        select(Contest).where(Contest.opens_at <= at, Contest.closes_at > at).order_by(Contest.closes_at)
    ))


def public_contest(*, code: str) -> Contest | None:
    """The contest whose code is ``code`` (any case: ``xh2026`` finds ``XH2026``) with its categories and
    rubric loaded, for its public page; None when there is none. Every contest is public by its code."""
    return db.session.scalars(
        select(Contest).where(func.upper(Contest.code) == code.upper())
        .options(joinedload(Contest.categories), joinedload(Contest.criteria))
    ).unique().one_or_none()


def all_contests(*, ids: set[int] | None = None) -> list[Contest]:
    """Every contest (only those with an id in ``ids`` when given), the latest opening first."""
    stmt = select(Contest).order_by(Contest.opens_at.desc(), Contest.id.desc())
    if ids is not None:
        stmt = stmt.where(Contest.id.in_(ids))
    return list(db.session.scalars(stmt))


def entry_counts(*, ids: set[int] | None = None) -> dict[int, dict[EntryState, int]]:
    """Entries per contest and state, from one GROUP BY: ``{contest_id: {EntryState: n}}`` (absent = 0); only
    the contests with an id in ``ids`` when given."""
    stmt = select(Entry.contest_id, Entry.state, func.count(Entry.id)).group_by(Entry.contest_id, Entry.state)
    if ids is not None:
        stmt = stmt.where(Entry.contest_id.in_(ids))
    rows = db.session.execute(stmt)
    counts: dict[int, dict[EntryState, int]] = defaultdict(dict)
    for contest_id, state, n in rows:
        counts[contest_id][EntryState(state)] = n
    return counts


#: What a row of the organizer's entry list shows (descriptions and the like are not loaded).
_LIST_ENTRY_COLUMNS = (Entry.number, Entry.title, Entry.state, Entry.contest_id, Entry.category_id,
                       Entry.creator_id)


class EntryPagination(Pagination):
    """A page of one contest's entries in number order (see :func:`contest_entries`)."""

    def _query_items(self) -> list[Entry]:
        contest = self._query_args["contest"]
        contest_id, self._total = contest.id, entry_total(contest=contest)
        offset, limit = self._query_offset, self.per_page
        ids = select(Entry.id).where(Entry.contest_id == contest_id)
        if offset >= self._total:
            return []
        if offset > self._total // 2:  # count from the end: the last pages cost what the first ones do
            limit = min(limit, self._total - offset)
            ids = ids.order_by(Entry.number.desc()).offset(self._total - offset - limit)
        else:
            ids = ids.order_by(Entry.number).offset(offset)
        return list(db.session.scalars(
            select(Entry).where(Entry.id.in_(ids.limit(limit).scalar_subquery())).order_by(Entry.number)
            .options(load_only(*_LIST_ENTRY_COLUMNS), joinedload(Entry.category).load_only(Category.name),
                     joinedload(Entry.creator).load_only(User.display_name),
                     joinedload(Entry.video).load_only(Video.state, Video.error, Video.similar_entry_id))
        ))

    def _query_count(self) -> int:
        return self._total


def contest_entries(*, contest: Contest, page: int = 1, per_page: int = 50) -> Pagination:
    """One page of the contest's entries in number order, with category, creator and video loaded in the
    same query.

    ``page`` is 1-based (below 1 counts as 1; past the end gives no items). Returns a Flask-SQLAlchemy
    ``Pagination``: ``items`` (only the columns the list shows are loaded), ``total`` (all entries of the
    contest, see :func:`entry_total`), ``pages``, ``first``/``last`` (1-based positions of the page's first
    and last item). Paging walks the unique index on ``entry.number`` (a contest's numbers share its code
    prefix, so they are one range of it) for the page's ids only, from the nearer end, so the first and the
    last page cost the same and a middle page walks half the contest's entries; then the page's 50 rows are
    loaded with their joins. One query (ids and rows), and a COUNT when an entry was added since the last.
    """
    return EntryPagination(page=max(page, 1), per_page=per_page, max_per_page=None, error_out=False,
                           contest=contest)


#: Namespace of the kept entry counts in :func:`contest.infra.cache.process_cache` (key: contest id).
ENTRY_TOTALS = "entry_total"


def entry_total(*, contest: Contest) -> int:
    """The number of entries of ``contest`` (any state), kept per web process and contest.

    Entries are added through :func:`contest.services.submissions.entries.next_entry_number`, which bumps
    ``contest.entry_seq`` in the same transaction. So a count is still exact while the contest's
    ``entry_seq`` is the one read with it (in the same statement, hence the same snapshot): kept under that
    key, it spares the page a COUNT over the contest's entries (100,000 at province scale) until an entry is
    added. A deleted draft (:func:`contest.services.submissions.deletion.delete_draft`) leaves ``entry_seq``
    alone and drops the kept count instead (after its commit; other processes within ``PROGRESS_CACHE_S``).
    Kept at most ``PROGRESS_CACHE_S`` seconds all the same, for rows written past the application (a bulk
    import); with 0 it counts every time.
    """
    cache = process_cache()
    hit = cache.get(ENTRY_TOTALS, contest.id, max_age=current_app.config["PROGRESS_CACHE_S"])
    if hit is not None and hit[0] == contest.entry_seq:
        return hit[1]
    seq = select(Contest.entry_seq).where(Contest.id == contest.id).scalar_subquery()
    total, seq_then = db.session.execute(
        select(func.count(), seq).select_from(Entry).where(Entry.contest_id == contest.id)
    ).one()
    cache.put(ENTRY_TOTALS, contest.id, (seq_then, total))
    return total


#: Video columns of the organizer's processing panel (templates/organizer/_entry_video.html).
_DETAIL_VIDEO_COLUMNS = (Video.original_key, Video.attempts, Video.progress, Video.error_detail,
                         Video.preview_bytes, Video.poster_time_s, Video.similar_entry_id,
                         Video.similar_distance, Video.upload_started_at, Video.created_at)


def entry_with_details(*, entry_id: int) -> Entry | None:
    """The entry with what its organizer page shows — contest title, dates and rubric, category, creator,
    video — in one query (rows: one per criterion); None when there is no such entry."""
    contest = joinedload(Entry.contest)
    return db.session.scalars(
        select(Entry).where(Entry.id == entry_id).options(
            contest.load_only(Contest.title, Contest.opens_at, Contest.closes_at),
            contest.joinedload(Contest.criteria),
            joinedload(Entry.category).load_only(Category.name),
            joinedload(Entry.creator).load_only(User.display_name, User.username),
            joinedload(Entry.video).load_only(Video.state, Video.error, Video.duration_s, Video.rendition_key,
                                              Video.poster_key, *_DETAIL_VIDEO_COLUMNS),
        )
    ).unique().one_or_none()
