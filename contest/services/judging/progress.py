"""Judging progress of a contest as organizers watch it, kept for a few seconds per web process.

The numbers are those of :func:`contest.services.judging.assignments.contest_progress` (assignments and reviews
over the contest's *submitted* entries, one row per judge). At province scale (500,000 assignments) that
GROUP BY costs 0.2–0.3 s of database time, and the dashboard is opened again and again while judging runs,
so each web process keeps a contest's numbers for ``PROGRESS_CACHE_S`` seconds (config; 0 counts on every
request) and the pages show when they were counted (:mod:`contest.infra.cache`). The services that change
them (assigning judges, removing an assignment, disqualifying an entry, saving a review) drop the contest's
numbers once their transaction commits (:func:`~contest.services.judging.changes.progress_changed`); changes
made through other processes show within ``PROGRESS_CACHE_S``.

The kept numbers are plain values (no ORM objects), so they outlive the request that counted them.
"""
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_sqlalchemy.pagination import Pagination

from contest.infra.cache import process_cache
from contest.infra.pagination import page_of
from contest.models import Contest, utcnow
from contest.services.judging.assignments import contest_progress
from contest.services.judging.changes import PROGRESS


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


def count_progress(*, contest: Contest) -> ProgressSnapshot:
    """Count the contest's judging progress now (two queries, see
    :func:`~contest.services.judging.assignments.contest_progress`), bypassing what is kept."""
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
    return process_cache().get_or_count(PROGRESS, contest.id, lambda: count_progress(contest=contest),
                                        max_age=current_app.config["PROGRESS_CACHE_S"])


def forget_progress(contest_id: int) -> None:
    """Drop the numbers kept for a contest in this process now (tests; writers use
    :func:`~contest.services.judging.changes.progress_changed`)."""
    process_cache().forget(PROGRESS, contest_id)


def judge_rows_page(snapshot: ProgressSnapshot, *, page: int = 1, per_page: int = 50) -> Pagination:
    """One page of ``snapshot.judges`` as a Flask-SQLAlchemy ``Pagination`` (``items``, ``total``, ``pages``
    …); ``page`` is 1-based (below 1 counts as 1; past the end gives no items). No query."""
    return page_of(snapshot.judges, page=page, per_page=per_page)
