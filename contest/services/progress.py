"""Judging progress of a contest as organizers watch it, kept for a few seconds per web process.

The numbers are those of :func:`contest.services.assignments.contest_progress` (assignments and reviews
over the contest's *submitted* entries, one row per judge). At province scale (500,000 assignments) that
GROUP BY costs 0.2–0.3 s of database time, and the dashboard is opened again and again while judging runs,
so each web process keeps a contest's numbers for ``PROGRESS_CACHE_S`` seconds (config; 0 counts on every
request) and the pages show when they were counted. Writes made through this process (assigning judges,
removing an assignment, disqualifying an entry, saving a review) drop the contest's numbers at once
(:func:`forget_progress`); those made through other processes show within ``PROGRESS_CACHE_S``.

The kept numbers are plain values (no ORM objects), so they outlive the request that counted them.
"""
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_sqlalchemy.pagination import Pagination

from contest.models import Contest, utcnow
from contest.services.assignments import contest_progress

_EXTENSION = "contest.progress"


@dataclass(frozen=True)
class JudgeRow:
    """One judge's work in a contest: ``assigned`` assignments, ``submitted`` of them with a submitted review,
    ``drafts`` with a saved draft (counts)."""

    judge_id: int
    display_name: str
    username: str
    assigned: int
    submitted: int
    drafts: int

    @property
    def not_started(self) -> int:
        return self.assigned - self.submitted - self.drafts


@dataclass(frozen=True)
class ProgressSnapshot:
    """A contest's judging progress as counted at ``counted_at`` (aware, UTC): totals and ``judges`` by
    display name, then id."""

    contest_id: int
    judges: tuple[JudgeRow, ...]
    assigned: int
    submitted: int
    drafts: int
    counted_at: datetime

    @property
    def percent(self) -> float:
        """Judging completion in percent: ``100 × submitted reviews ÷ assignments`` (0 when nothing is
        assigned)."""
        return 100.0 * self.submitted / self.assigned if self.assigned else 0.0


class _Kept:
    """Snapshots of one app in this process: contest id → (monotonic time counted, snapshot)."""

    def __init__(self):
        self.snapshots: dict[int, tuple[float, ProgressSnapshot]] = {}
        self.locks: dict[int, threading.Lock] = {}


def count_progress(*, contest: Contest) -> ProgressSnapshot:
    """Count the contest's judging progress now (two queries, see
    :func:`~contest.services.assignments.contest_progress`), bypassing what is kept."""
    counted_at = utcnow()
    progress = contest_progress(contest=contest)
    judges = tuple(JudgeRow(judge_id=p.judge.id, display_name=p.judge.display_name, username=p.judge.username,
                            assigned=p.assigned, submitted=p.submitted, drafts=p.drafts)
                   for p in progress.judges)
    return ProgressSnapshot(contest_id=contest.id, judges=judges, assigned=progress.assigned,
                            submitted=progress.submitted, drafts=progress.drafts, counted_at=counted_at)


def judging_progress(*, contest: Contest) -> ProgressSnapshot:
    """The contest's judging progress, counted at most ``PROGRESS_CACHE_S`` seconds ago in this process (no
    query when it is that fresh). One request counts while others asking for the same contest wait for its
    result instead of counting too."""
    kept = _kept()
    max_age = current_app.config["PROGRESS_CACHE_S"]
    fresh = _fresh(kept, contest.id, max_age)
    if fresh is not None:
        return fresh
    with kept.locks.setdefault(contest.id, threading.Lock()):
        fresh = _fresh(kept, contest.id, max_age)  # counted by another thread while this one waited
        if fresh is None:
            started = time.monotonic()
            fresh = count_progress(contest=contest)
            kept.snapshots[contest.id] = (started, fresh)
        return fresh


def forget_progress(contest_id: int) -> None:
    """Drop the numbers kept for a contest in this process (after a write that changes them)."""
    _kept().snapshots.pop(contest_id, None)


def judge_rows_page(snapshot: ProgressSnapshot, *, page: int = 1, per_page: int = 50) -> Pagination:
    """One page of ``snapshot.judges`` as a Flask-SQLAlchemy ``Pagination`` (``items``, ``total``, ``pages``
    …); ``page`` is 1-based (below 1 counts as 1; past the end gives no items). No query."""
    return _RowsPagination(page=max(page, 1), per_page=per_page, max_per_page=None, error_out=False,
                           rows=snapshot.judges)


class _RowsPagination(Pagination):
    def _query_items(self) -> list[JudgeRow]:
        return list(self._query_args["rows"][self._query_offset:self._query_offset + self.per_page])

    def _query_count(self) -> int:
        return len(self._query_args["rows"])


def _kept() -> _Kept:
    return current_app.extensions.setdefault(_EXTENSION, _Kept())


def _fresh(kept: _Kept, contest_id: int, max_age: float) -> ProgressSnapshot | None:
    entry = kept.snapshots.get(contest_id)
    if entry is None or time.monotonic() - entry[0] >= max_age:
        return None
    return entry[1]
