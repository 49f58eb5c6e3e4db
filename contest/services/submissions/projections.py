"""What each audience may see of an entry, decided here and nowhere else.

Templates receive one of these read-only projections, never an :class:`~contest.models.Entry`, so a template
cannot reach data its viewer must not see (``entry.creator`` simply does not exist on a judge's projection):

=============  =====================================================================================
audience       sees
=============  =====================================================================================
judge          number, title, description, category, contest title and rubric, the playable video; the
               creator's display name only in a round that is not blind. Never the creator's account
               details, the file name, processing errors or the state history. In a blind round the
               organizer's redacted title and description replace the originals when written.
creator        their own entry whole: state, video with its processing state and readable error.
organizer      everything the creator sees plus the creator's display name and username.
public         number, title, description, category and the creator's display name (never username,
               phone, unit or account details) — for the public gallery to come.
=============  =====================================================================================

The projections keep the attribute names templates already use (``entry.category.name``,
``entry.contest.title``, ``entry.video.state``), so one template can serve a projection and the player macro
works with every audience. Building one reads the relationships it copies (load them eagerly in the query
that fetched the entry). Read-only: no writes, no commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contest.models import Entry, EntryState, Video, VideoState


@dataclass(frozen=True)
class CategoryView:
    id: int
    name: str


@dataclass(frozen=True)
class CriterionView:
    """A rubric line: ``max_points`` in points, ``weight`` in percent of the total."""

    id: int
    name: str
    description: str
    max_points: int
    weight: int


@dataclass(frozen=True)
class ContestView:
    id: int
    title: str
    criteria: tuple[CriterionView, ...]


@dataclass(frozen=True)
class VideoView:
    """The playable side of a video: ``state`` (a :class:`~contest.models.VideoState`), whether a poster and a
    rendition exist (the player builds their URLs from the entry id), ``duration_s`` in seconds. ``error`` is
    the readable failure reason — filled only for the creator's and organizer's projections."""

    state: VideoState
    poster_key: bool
    rendition_key: bool
    duration_s: float | None
    error: str | None = None


@dataclass(frozen=True)
class JudgeEntry:
    """An entry as a judge sees it; ``creator_name`` is None in a blind round."""

    id: int
    number: str
    title: str
    description: str
    category: CategoryView
    contest: ContestView
    video: VideoView | None
    creator_name: str | None = None


@dataclass(frozen=True)
class PublicEntry:
    """An entry as the public sees it: no account details of the creator, only the name they show."""

    id: int
    number: str
    title: str
    description: str
    category: CategoryView
    creator_name: str
    video: VideoView | None


@dataclass(frozen=True)
class OrganizerEntry:
    """An entry as an organizer (or a read-only supervisor) sees it."""

    id: int
    number: str
    title: str
    description: str
    state: EntryState
    submitted_at: datetime | None
    category: CategoryView
    contest: ContestView
    creator_name: str
    creator_username: str
    video: VideoView | None


def _video(video: Video | None, *, with_error: bool) -> VideoView | None:
    if video is None:
        return None
    return VideoView(state=video.state, poster_key=bool(video.poster_key), rendition_key=bool(video.rendition_key),
                     duration_s=video.duration_s, error=video.error if with_error else None)


def _contest(entry: Entry) -> ContestView:
    contest = entry.contest
    criteria = tuple(CriterionView(id=c.id, name=c.name, description=c.description or "",
                                   max_points=c.max_points, weight=c.weight) for c in contest.criteria)
    return ContestView(id=contest.id, title=contest.title, criteria=criteria)


def _category(entry: Entry) -> CategoryView:
    return CategoryView(id=entry.category.id, name=entry.category.name)


def for_judge(entry: Entry, *, blind: bool = True) -> JudgeEntry:
    """The judge's projection of ``entry``: no file name, no processing error, no account details. ``blind``
    (the round's setting): no creator name, and the organizer's redacted title / description (when written)
    instead of the originals."""
    title, description = entry.title, entry.description or ""
    if blind:
        title, description = entry.blind_title or title, entry.blind_description or description
    return JudgeEntry(id=entry.id, number=entry.number, title=title, description=description,
                      category=_category(entry), contest=_contest(entry),
                      video=_video(entry.video, with_error=False),
                      creator_name=None if blind else entry.creator.display_name)


def for_public(entry: Entry) -> PublicEntry:
    """The public's projection of ``entry``: the creator's display name only."""
    return PublicEntry(id=entry.id, number=entry.number, title=entry.title, description=entry.description or "",
                       category=_category(entry), creator_name=entry.creator.display_name,
                       video=_video(entry.video, with_error=False))


def for_organizer(entry: Entry) -> OrganizerEntry:
    """The organizer's projection of ``entry``: everything, with the creator's display name and username."""
    return OrganizerEntry(id=entry.id, number=entry.number, title=entry.title,
                          description=entry.description or "", state=entry.state,
                          submitted_at=entry.submitted_at, category=_category(entry), contest=_contest(entry),
                          creator_name=entry.creator.display_name, creator_username=entry.creator.username,
                          video=_video(entry.video, with_error=True))


@dataclass(frozen=True)
class JudgeQueueRow:
    """One row of a judge's queue: the entry's ``number``, ``title`` (the organizer's blind title in a blind
    round, when written), ``category`` and ``round_name``; ``poster`` whether a poster can be shown;
    ``review_state`` (a :class:`~contest.models.ReviewState`, None when not started) and the judge's own
    ``total`` (points out of 100). Nothing about who made the entry."""

    assignment_id: int
    entry_id: int
    number: str
    title: str
    category: str
    round_name: str
    poster: bool
    review_state: object | None
    total: object | None


@dataclass(frozen=True)
class JudgeQueueGroup:
    """The rows of one contest on a page of the queue, with the judge's ``submitted`` of ``total`` reviews in
    that contest."""

    contest_id: int
    contest_title: str
    submitted: int
    total: int
    rows: tuple[JudgeQueueRow, ...]


def for_judge_queue(groups) -> list[JudgeQueueGroup]:
    """The judge's projection of a queue page's groups (:class:`contest.services.judging.queries.QueueGroup`:
    contest, submitted, total, assignments with entry, category, video, round and review loaded)."""
    return [JudgeQueueGroup(contest_id=group.contest.id, contest_title=group.contest.title,
                            submitted=group.submitted, total=group.total,
                            rows=tuple(_queue_row(a) for a in group.assignments)) for group in groups]


def _queue_row(assignment) -> JudgeQueueRow:
    entry, review, video, round_ = assignment.entry, assignment.review, assignment.entry.video, assignment.round
    title = (entry.blind_title or entry.title) if round_.blind else entry.title
    return JudgeQueueRow(assignment_id=assignment.id, entry_id=entry.id, number=entry.number, title=title,
                         category=entry.category.name, round_name=round_.name,
                         poster=bool(video and video.state == VideoState.READY and video.poster_key),
                         review_state=review.state if review is not None else None,
                         total=review.total if review is not None else None)
