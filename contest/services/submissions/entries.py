"""Entries (作品): creating, editing, uploading the video, submitting and withdrawing. Flushes, never commits.

Entry life cycle (:data:`TRANSITIONS`)::

    draft ──submit (video ready)──▶ submitted
      ▲                                  │
      └─────── new video uploaded ───────┘
    draft | submitted ──withdraw (creator, with a reason)──────▶ withdrawn      (final)
    draft | submitted ──disqualify (organizer, with a reason)──▶ disqualified   (final)

* A creator may create, edit, upload, submit and withdraw only inside the contest's submission window
  ``opens_at <= now < closes_at`` (:func:`require_open`; an organizer's extension for that creator and the
  upload grace are :mod:`contest.services.submissions.window`); an organizer may disqualify at any time.
* A *submitted* entry stays editable (title, description, category) until ``closes_at``. Uploading a new
  video takes it back to *draft*: "submitted" always means "a ready video the creator confirmed", so the
  creator submits again once the new video is ready.
* Withdrawn and disqualified entries are final: they can no longer be edited, re-submitted or re-opened.
* At most ``Contest.max_entries_per_creator`` entries per creator and contest that are not withdrawn.

Uploading the video is :mod:`contest.services.uploads.admission`; the submission window is
:mod:`contest.services.submissions.window`.
"""
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select, update

from contest.extensions import db
from contest.labels import state_label
from contest.models import (
    AuditAction,
    Category,
    Contest,
    Entry,
    EntryState,
    User,
    VideoState,
    utcnow,
)
from contest.services.audit.record import record
from contest.services.contests import roles
from contest.services.judging.changes import progress_changed
from contest.services.submissions.declarations import DeclarationAnswers, accept_declarations
from contest.services.submissions.errors import SubmissionError
from contest.services.submissions.window import require_open

TRANSITIONS: dict[EntryState, set[EntryState]] = {
    EntryState.DRAFT: {EntryState.SUBMITTED, EntryState.WITHDRAWN, EntryState.DISQUALIFIED},
    EntryState.SUBMITTED: {EntryState.DRAFT, EntryState.WITHDRAWN, EntryState.DISQUALIFIED},
    EntryState.WITHDRAWN: set(),
    EntryState.DISQUALIFIED: set(),
}
#: States in which the creator may still change an entry (inside the window).
EDITABLE = {EntryState.DRAFT, EntryState.SUBMITTED}
#: Longest reason of a withdrawal or disqualification, characters.
MAX_REASON_CHARS = 1000





# --- rules -------------------------------------------------------------------------------------------------

def count_active_entries(*, contest: Contest, creator: User) -> int:
    """Entries of ``creator`` in ``contest`` that count towards the limit: every state except withdrawn."""
    return db.session.scalar(select(func.count(Entry.id)).where(
        Entry.contest_id == contest.id, Entry.creator_id == creator.id, Entry.state != EntryState.WITHDRAWN,
    ))


def entries_of(*, creator: User) -> list[Entry]:
    """Every entry of ``creator`` (all contests and states), newest first."""
    return list(db.session.scalars(select(Entry).where(Entry.creator_id == creator.id)
                                   .order_by(Entry.created_at.desc(), Entry.id.desc())))


def require_editable(entry: Entry) -> None:
    if entry.state not in EDITABLE:
        raise SubmissionError(_("This entry is %(state)s and can no longer be changed.",
                                state=state_label("entry", entry.state)))


def move(entry: Entry, target: EntryState) -> None:
    if target not in TRANSITIONS[entry.state]:
        raise SubmissionError(_("A %(state)s entry cannot become %(target)s.",
                                state=state_label("entry", entry.state), target=state_label("entry", target)))
    entry.state = target


def _check_fields(contest: Contest, category: Category | None, title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise SubmissionError(_("Give the entry a title."))
    if len(title) > 200:
        raise SubmissionError(_("The title may have at most %(max)d characters.", max=200))
    if category is None or category.contest_id != contest.id:
        raise SubmissionError(_("Choose one of the categories of this contest."))
    return title


# --- entries -----------------------------------------------------------------------------------------------

def next_entry_number(*, contest: Contest) -> str:
    """Hand out the next entry number ``<code>-<NNNN>`` (e.g. ``XH2026-0007``).

    ``UPDATE contest SET entry_seq = entry_seq + 1`` and read it back in the same transaction: the row lock
    (PostgreSQL) or the write lock (SQLite) makes concurrent callers wait, so no two get the same number. The
    number is not reused if the caller rolls back (the increment rolls back too).
    """
    db.session.execute(update(Contest).where(Contest.id == contest.id)
                       .values(entry_seq=Contest.entry_seq + 1).execution_options(synchronize_session=False))
    seq = db.session.scalar(select(Contest.entry_seq).where(Contest.id == contest.id))
    db.session.expire(contest, ["entry_seq"])
    return f"{contest.code}-{seq:04d}"


def create_entry(*, contest: Contest, creator: User, category: Category, title: str,
                 description: str = "") -> Entry:
    """Create a draft entry of ``creator`` in ``contest``.

    Raises :class:`SubmissionError` outside the submission window, for a category of another contest, an empty
    title, or when the creator already has ``contest.max_entries_per_creator`` entries that are not withdrawn.
    The entry number is taken *before* counting so that the contest row lock serializes concurrent creations.
    """
    require_open(contest, creator_id=creator.id)
    title = _check_fields(contest, category, title)
    refusal = roles.entry_refusal(creator, contest)
    if refusal:
        raise SubmissionError(refusal, status=403)
    number = next_entry_number(contest=contest)
    count = count_active_entries(contest=contest, creator=creator)
    if count >= contest.max_entries_per_creator:
        raise SubmissionError(ngettext(
            "You already have %(num)d entry in this contest; the limit is %(limit)d.",
            "You already have %(num)d entries in this contest; the limit is %(limit)d.",
            count, limit=contest.max_entries_per_creator))
    entry = Entry(contest=contest, creator=creator, category=category, number=number, title=title,
                  description=(description or "").strip(), state=EntryState.DRAFT)
    db.session.add(entry)
    db.session.flush()
    return entry


def update_entry(*, entry: Entry, title: str, description: str, category: Category) -> Entry:
    """Change title, description and category of a draft or submitted entry (state unchanged).

    Raises :class:`SubmissionError` outside the window, for a withdrawn/disqualified entry or bad fields.
    """
    require_open(entry.contest, creator_id=entry.creator_id)
    require_editable(entry)
    entry.title = _check_fields(entry.contest, category, title)
    entry.description = (description or "").strip()
    entry.category = category
    db.session.flush()
    return entry


def submit_entry(*, entry: Entry, answers: DeclarationAnswers, at: datetime | None = None) -> Entry:
    """Submit a draft entry whose video is ready, its creator accepting the contest's declarations
    (``answers``, recorded by :func:`~contest.services.submissions.declarations.accept_declarations`); sets
    ``submitted_at`` (``at``, default now).

    The window is the creator's (an extension counts), and a video whose upload began before the deadline
    may still be submitted within ``UPLOAD_GRACE_S`` after it (:mod:`contest.services.submissions.window`).
    Raises :class:`SubmissionError` outside the window, when the entry is not a draft, when its video is
    missing, still processing or failed, or when a declaration is not accepted or the AIGC answer is missing.
    """
    at, video = at or utcnow(), entry.video
    require_open(entry.contest, at, creator_id=entry.creator_id,
                 started_at=video.upload_started_at if video is not None else None)
    if entry.state == EntryState.SUBMITTED:
        raise SubmissionError(_("This entry has already been submitted."))
    require_editable(entry)
    if video is None:
        raise SubmissionError(_("Upload a video before submitting."))
    if video.state == VideoState.FAILED:
        raise SubmissionError(_("Your video could not be processed; upload another file, then submit."))
    if video.state != VideoState.READY:
        raise SubmissionError(_("Your video is still being processed; you can submit once it is ready."))
    accept_declarations(entry=entry, answers=answers, at=at)
    move(entry, EntryState.SUBMITTED)
    entry.submitted_at = at
    db.session.flush()
    return entry


def withdraw_entry(*, entry: Entry, reason: str, at: datetime | None = None) -> Entry:
    """Withdraw a draft or submitted entry for good (it then no longer counts towards the limit), recording
    the creator's ``reason`` (shown on the entry; at most :data:`MAX_REASON_CHARS` characters) and the time.

    Raises :class:`SubmissionError` outside the window, without a reason, or when the entry is already
    withdrawn/disqualified.
    """
    at = at or utcnow()
    require_open(entry.contest, at, creator_id=entry.creator_id)
    require_editable(entry)
    reason = _check_reason(reason, _("Say why you withdraw the entry."))
    before = entry.state
    move(entry, EntryState.WITHDRAWN)
    _record_change(entry, reason=reason, by_id=entry.creator_id, at=at)
    _audit_state(AuditAction.ENTRY_WITHDRAWN, entry, before, reason)
    return entry


def disqualify_entry(*, entry: Entry, reason: str, by: User, at: datetime | None = None) -> Entry:
    """Organizer ``by`` at any time: a draft or submitted entry becomes disqualified (final), with ``reason``
    (shown to its creator; at most :data:`MAX_REASON_CHARS` characters).

    Raises :class:`SubmissionError` without a reason or for an entry already withdrawn/disqualified.
    """
    reason = _check_reason(reason, _("Say why the entry is disqualified; its creator will see it."))
    before = entry.state
    move(entry, EntryState.DISQUALIFIED)
    _record_change(entry, reason=reason, by_id=by.id, at=at or utcnow())
    _audit_state(AuditAction.ENTRY_DISQUALIFIED, entry, before, reason)
    progress_changed(entry.contest_id)
    return entry


def _check_reason(reason: str | None, missing: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise SubmissionError(missing)
    if len(reason) > MAX_REASON_CHARS:
        raise SubmissionError(_("The reason may have at most %(max)d characters.", max=MAX_REASON_CHARS))
    return reason


def _record_change(entry: Entry, *, reason: str, by_id: int, at: datetime) -> None:
    entry.state_reason, entry.state_changed_by_id, entry.state_changed_at = reason, by_id, at
    db.session.flush()


def _audit_state(action: AuditAction, entry: Entry, before: EntryState, reason: str) -> None:
    record(action, contest_id=entry.contest_id, entry_id=entry.id, subject_user_id=entry.creator_id,
           before={"state": before}, after={"state": entry.state}, reason=reason)
