"""Entries (作品): creating, editing, uploading the video, submitting and withdrawing. Flushes, never commits.

Entry life cycle (:data:`TRANSITIONS`)::

    draft ──submit (video ready)──▶ submitted
      ▲                                  │
      └─────── new video uploaded ───────┘
    draft | submitted ──withdraw (creator)──────▶ withdrawn      (final)
    draft | submitted ──disqualify (organizer)──▶ disqualified   (final)

* A creator may create, edit, upload, submit and withdraw only inside the contest's submission window
  ``opens_at <= now < closes_at`` (:func:`require_open`); an organizer may disqualify at any time.
* A *submitted* entry stays editable (title, description, category) until ``closes_at``. Uploading a new
  video takes it back to *draft*: "submitted" always means "a ready video the creator confirmed", so the
  creator submits again once the new video is ready.
* Withdrawn and disqualified entries are final: they can no longer be edited, re-submitted or re-opened.
* At most ``Contest.max_entries_per_creator`` entries per creator and contest that are not withdrawn.

Stored files follow the database: the original of a rejected upload is deleted at once; the files of a
replaced video are deleted only after the replacing transaction commits, and a new original is deleted if that
transaction rolls back (see :func:`_delete_after_commit`).
"""
import unicodedata
from datetime import datetime
from pathlib import Path

from flask_babel import format_datetime, format_decimal, gettext as _, lazy_gettext as _l, ngettext
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from contest.extensions import db
from contest.models import Category, Contest, Entry, EntryState, Role, User, Video, VideoState, utcnow
from contest.services import duplicates, media
from contest.services.storage import FileTooLarge, StoredFile, get_storage, new_key

TRANSITIONS: dict[EntryState, set[EntryState]] = {
    EntryState.DRAFT: {EntryState.SUBMITTED, EntryState.WITHDRAWN, EntryState.DISQUALIFIED},
    EntryState.SUBMITTED: {EntryState.DRAFT, EntryState.WITHDRAWN, EntryState.DISQUALIFIED},
    EntryState.WITHDRAWN: set(),
    EntryState.DISQUALIFIED: set(),
}
#: States in which the creator may still change an entry (inside the window).
EDITABLE = {EntryState.DRAFT, EntryState.SUBMITTED}

ENTRY_STATE_LABELS = {
    EntryState.DRAFT: _l("Draft"),
    EntryState.SUBMITTED: _l("Submitted"),
    EntryState.WITHDRAWN: _l("Withdrawn"),
    EntryState.DISQUALIFIED: _l("Disqualified"),
}
VIDEO_STATE_LABELS = {
    VideoState.PENDING: _l("Waiting to be processed"),
    VideoState.PROCESSING: _l("Processing"),
    VideoState.READY: _l("Ready"),
    VideoState.FAILED: _l("Processing failed"),
}
#: Longest kept display name of an uploaded file, characters.
MAX_FILENAME_CHARS = 120
MIB = 1024 * 1024


class SubmissionError(ValueError):
    """An entry action breaks a rule; ``reasons`` are translated sentences for people, one per broken rule."""

    def __init__(self, reasons: list[str] | str):
        self.reasons = [reasons] if isinstance(reasons, str) else [str(r) for r in reasons]
        super().__init__(" ".join(self.reasons))


# --- rules -------------------------------------------------------------------------------------------------

def megabytes(size_bytes: int) -> str:
    """``size_bytes`` as MB (1 MB = 1024² bytes), one decimal at most, in the current locale: ``"500"``."""
    return format_decimal(round(size_bytes / MIB, 1))


def beijing_time(at: datetime) -> str:
    """``at`` (aware) as ``yyyy-MM-dd HH:mm`` in the display time zone (Asia/Shanghai)."""
    return format_datetime(at, "yyyy-MM-dd HH:mm")


def require_open(contest: Contest, at: datetime | None = None) -> None:
    """Raise :class:`SubmissionError` unless ``opens_at <= at < closes_at`` (``at`` defaults to now)."""
    at = at or utcnow()
    if at < contest.opens_at:
        raise SubmissionError(_("Submissions open at %(at)s (Beijing time).",
                                at=beijing_time(contest.opens_at)))
    if at >= contest.closes_at:
        raise SubmissionError(_("Submissions closed at %(at)s (Beijing time).",
                                at=beijing_time(contest.closes_at)))


def count_active_entries(*, contest: Contest, creator: User) -> int:
    """Entries of ``creator`` in ``contest`` that count towards the limit: every state except withdrawn."""
    return db.session.scalar(select(func.count(Entry.id)).where(
        Entry.contest_id == contest.id, Entry.creator_id == creator.id, Entry.state != EntryState.WITHDRAWN,
    ))


def entries_of(*, creator: User) -> list[Entry]:
    """Every entry of ``creator`` (all contests and states), newest first."""
    return list(db.session.scalars(select(Entry).where(Entry.creator_id == creator.id)
                                   .order_by(Entry.created_at.desc(), Entry.id.desc())))


def _require_editable(entry: Entry) -> None:
    if entry.state not in EDITABLE:
        raise SubmissionError(_("This entry is %(state)s and can no longer be changed.",
                                state=ENTRY_STATE_LABELS[entry.state]))


def _move(entry: Entry, target: EntryState) -> None:
    if target not in TRANSITIONS[entry.state]:
        raise SubmissionError(_("A %(state)s entry cannot become %(target)s.",
                                state=ENTRY_STATE_LABELS[entry.state], target=ENTRY_STATE_LABELS[target]))
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
    require_open(contest)
    title = _check_fields(contest, category, title)
    if creator.role != Role.CREATOR:
        raise SubmissionError(_("Only creators can enter a contest."))
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
    require_open(entry.contest)
    _require_editable(entry)
    entry.title = _check_fields(entry.contest, category, title)
    entry.description = (description or "").strip()
    entry.category = category
    db.session.flush()
    return entry


def submit_entry(*, entry: Entry, at: datetime | None = None) -> Entry:
    """Submit a draft entry whose video is ready; sets ``submitted_at`` (``at``, default now).

    Raises :class:`SubmissionError` outside the window, when the entry is not a draft, or when its video is
    missing, still processing or failed.
    """
    at = at or utcnow()
    require_open(entry.contest, at)
    if entry.state == EntryState.SUBMITTED:
        raise SubmissionError(_("This entry has already been submitted."))
    _require_editable(entry)
    video = entry.video
    if video is None:
        raise SubmissionError(_("Upload a video before submitting."))
    if video.state == VideoState.FAILED:
        raise SubmissionError(_("Your video could not be processed; upload another file, then submit."))
    if video.state != VideoState.READY:
        raise SubmissionError(_("Your video is still being processed; you can submit once it is ready."))
    _move(entry, EntryState.SUBMITTED)
    entry.submitted_at = at
    db.session.flush()
    return entry


def withdraw_entry(*, entry: Entry, at: datetime | None = None) -> Entry:
    """Withdraw a draft or submitted entry for good (it then no longer counts towards the limit).

    Raises :class:`SubmissionError` outside the window or when the entry is already withdrawn/disqualified.
    """
    require_open(entry.contest, at)
    _require_editable(entry)
    _move(entry, EntryState.WITHDRAWN)
    db.session.flush()
    return entry


def disqualify_entry(*, entry: Entry) -> Entry:
    """Organizer action at any time: a draft or submitted entry becomes disqualified (final)."""
    _move(entry, EntryState.DISQUALIFIED)
    db.session.flush()
    return entry


# --- video upload ------------------------------------------------------------------------------------------

def display_filename(name: str | None) -> str:
    """The user's file name made safe for display only (never a path): directories, control and format
    characters removed, whitespace collapsed, at most :data:`MAX_FILENAME_CHARS` characters (extension
    kept)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = " ".join(name.split()).strip(" .")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        ext = dot + ext if stem and len(ext) <= 10 else ""
        name = name[:MAX_FILENAME_CHARS - len(ext)].rstrip() + ext
    return name or "video"


def video_keys(video: Video | None) -> list[str]:
    """Every storage key a video row owns (original, poster, rendition, preview)."""
    if video is None:
        return []
    return [k for k in (video.original_key, video.poster_key, video.rendition_key, video.preview_key) if k]


def require_can_upload(entry: Entry) -> None:
    """Raise :class:`SubmissionError` outside the submission window or for a withdrawn/disqualified entry."""
    require_open(entry.contest)
    _require_editable(entry)


def size_limit_message(contest: Contest) -> str:
    """The refusal shown when an upload announces or sends more than ``contest.max_file_bytes`` (HTTP 413):
    the form upload and the tus upload say the same."""
    return _("This contest accepts video files up to %(limit)s MB.", limit=megabytes(contest.max_file_bytes))


def _too_large(contest: Contest) -> str:
    return _("The file is larger than %(limit)s MB, the limit of this contest.",
             limit=megabytes(contest.max_file_bytes))


def attach_video(*, entry: Entry, stream, filename: str) -> Video:
    """Store the uploaded ``stream`` as the entry's new original and check it; returns the new pending Video.

    The stream is copied to storage (hashed, at most ``contest.max_file_bytes`` bytes), then checked and
    recorded by :func:`_admit_original`. The caller commits, then queues ``process_video``.

    Raises :class:`SubmissionError` (reasons from the media rules) outside the window, for a withdrawn or
    disqualified entry, a file over the limit, or a file that is not an acceptable video.
    """
    require_can_upload(entry)
    key = new_key("originals")
    try:
        stored = get_storage().save(key, stream, max_bytes=entry.contest.max_file_bytes)
    except FileTooLarge as exc:
        raise SubmissionError(_too_large(entry.contest)) from exc
    return _admit_original(entry=entry, key=key, stored=stored, filename=filename)


def attach_video_file(*, entry: Entry, path: Path, filename: str) -> Video:
    """Like :func:`attach_video` for a complete file on local disk (a finished resumable upload): stored with
    ``Storage.put_file`` (one read, hashed while copied; ``path`` itself is left for the caller to remove).

    Raises :class:`SubmissionError` as :func:`attach_video` does.
    """
    require_can_upload(entry)
    if path.stat().st_size > entry.contest.max_file_bytes:
        raise SubmissionError(_too_large(entry.contest))
    key = new_key("originals")
    stored = get_storage().put_file(key, path)
    return _admit_original(entry=entry, key=key, stored=stored, filename=filename)


def _admit_original(*, entry: Entry, key: str, stored: StoredFile, filename: str) -> Video:
    """Probe the stored original ``key`` with :func:`contest.services.media.inspect_upload` against the
    contest's rules and make it the entry's video (:func:`replace_video`, probed facts filled).

    A file already entered (same SHA-256: :func:`contest.services.duplicates.same_file_reason`) is refused
    before it is probed. On any rejection the stored file is deleted, nothing is written and
    :class:`SubmissionError` is raised.
    """
    storage = get_storage()
    same_file = duplicates.same_file_reason(sha256=stored.sha256, entry_id=entry.id,
                                            creator_id=entry.creator_id)
    if same_file:
        storage.delete(key)
        raise SubmissionError(same_file)
    try:
        with storage.local_path(key) as path:
            info = media.inspect_upload(path, contest=entry.contest, size_bytes=stored.bytes)
    except media.MediaRejected as exc:
        storage.delete(key)
        raise SubmissionError(exc.reasons) from exc
    except BaseException:
        storage.delete(key)
        raise
    return replace_video(entry=entry, key=key, size_bytes=stored.bytes, sha256=stored.sha256,
                         filename=filename, info=info)


def replace_video(*, entry: Entry, key: str, size_bytes: int, sha256: str | None, filename: str,
                  info: media.MediaInfo | None = None) -> Video:
    """Make the stored original ``key`` (``size_bytes`` bytes) the entry's new video, state pending; the one
    path of every upload (form, tus, browser straight to S3) once its bytes are stored.

    The previous video row is deleted (its files once the transaction commits; ``key`` is deleted instead if
    the transaction does not commit) and a submitted entry goes back to draft. ``info``: facts probed from the
    original, copied onto the row. ``sha256`` None marks an original not checked yet (it went straight from
    the browser to the bucket): :func:`contest.services.media_jobs.process_video` hashes it and checks it
    against the contest's rules before anything else. Checks no rule itself.
    """
    _delete_after_commit(video_keys(entry.video), unless_committed=[key])
    if entry.video is not None:
        entry.video = None
        db.session.flush()
    video = Video(original_name=display_filename(filename), original_key=key, bytes=size_bytes,
                  sha256=sha256, state=VideoState.PENDING)
    if info is not None:
        media.apply_facts(video, info)
    entry.video = video
    if entry.state == EntryState.SUBMITTED:
        _move(entry, EntryState.DRAFT)
        entry.submitted_at = None
    db.session.flush()
    return video


# --- stored files follow the transaction -------------------------------------------------------------------

_AFTER_COMMIT = "contest.delete_after_commit"
_UNLESS_COMMITTED = "contest.delete_unless_committed"


def _delete_after_commit(keys: list[str], *, unless_committed: list[str]) -> None:
    """Once the current transaction commits, delete ``keys``; if it ends without a commit (rollback, failed
    commit, closed session), delete ``unless_committed`` instead. Like Django's ``transaction.on_commit``."""
    info = db.session().info
    info.setdefault(_AFTER_COMMIT, []).extend(keys)
    info.setdefault(_UNLESS_COMMITTED, []).extend(unless_committed)


@event.listens_for(Session, "after_commit")
def _on_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.info.pop(_UNLESS_COMMITTED, None)
    _delete_keys(session.info.pop(_AFTER_COMMIT, []))


@event.listens_for(Session, "after_transaction_end")
def _on_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return
    session.info.pop(_AFTER_COMMIT, None)
    _delete_keys(session.info.pop(_UNLESS_COMMITTED, []))


def _delete_keys(keys: list[str]) -> None:
    if keys:
        storage = get_storage()
        for key in keys:
            storage.delete(key)
