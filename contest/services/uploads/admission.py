"""Admitting an uploaded video into an entry: the one path of every upload (form, tus, browser straight to S3)
once its bytes are stored. Flushes, never commits.

Stored files follow the database: the original of a rejected upload is deleted at once; the files of a
replaced video are deleted only after the replacing transaction commits, and a new original is deleted if that
transaction ends without a commit (:mod:`contest.infra.after_commit`). The size limit is
:mod:`contest.services.uploads.limits`.
"""
import unicodedata
from datetime import datetime
from pathlib import Path

from contest.extensions import db
from contest.infra.after_commit import on_commit, on_rollback
from contest.infra.storage import FileTooLarge, StoredFile, get_storage, new_key
from contest.models import Entry, EntryState, Video, VideoState, utcnow
from contest.services.contests.technical_rules import TechnicalRules
from contest.services.judging import voiding
from contest.services.media import duplicates
from contest.services.media import probe as media
from contest.services.media.errors import MediaRejected
from contest.services.submissions.entries import move, require_editable
from contest.services.submissions.errors import SubmissionError
from contest.services.submissions.window import require_open
from contest.services.uploads.limits import UploadTooLarge, check_size
from contest.services.uploads.space import refused_when_full

#: Longest kept display name of an uploaded file, characters.
MAX_FILENAME_CHARS = 120


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


def require_can_upload(entry: Entry, *, started_at: datetime | None = None) -> None:
    """The check of every upload path (form, tus creation and finish, S3 multipart start, parts and
    completion). Raises :class:`~contest.services.submissions.window.WindowClosed` outside the creator's
    submission window (an upload begun at ``started_at`` before the deadline may finish within the grace),
    :class:`SubmissionError` for a withdrawn/disqualified entry, or
    :class:`~contest.services.judging.voiding.VideoLocked` (status 403) when judges have reviewed the entry and
    no organizer allowed a new video."""
    require_open(entry.contest, creator_id=entry.creator_id, started_at=started_at)
    require_editable(entry)
    voiding.require_replaceable(entry)


def attach_video(*, entry: Entry, stream, filename: str, started_at: datetime | None = None) -> Video:
    """Store the uploaded ``stream`` as the entry's new original and check it; returns the new pending Video.

    The stream is copied to storage (hashed, at most ``contest.max_file_bytes`` bytes), then checked and
    recorded by :func:`admit_original`. The caller commits, then queues ``process_video``.

    Raises :class:`SubmissionError` (reasons from the media rules) outside the window, for a withdrawn or
    disqualified entry, a file over the limit, or a file that is not an acceptable video;
    :class:`~contest.services.uploads.space.NoSpace` (507) when the disk is full (nothing is kept).
    ``started_at``: when the upload request began (default now), for the grace after the deadline.
    """
    started_at = started_at or utcnow()
    require_can_upload(entry, started_at=started_at)
    key = new_key("originals")
    try:
        with refused_when_full():
            stored = get_storage().save(key, stream, max_bytes=entry.contest.max_file_bytes)
    except FileTooLarge as exc:
        raise UploadTooLarge.for_contest(entry.contest) from exc
    return admit_original(entry=entry, key=key, stored=stored, filename=filename, started_at=started_at)


def attach_video_file(*, entry: Entry, path: Path, filename: str,
                      started_at: datetime | None = None) -> Video:
    """Like :func:`attach_video` for a complete file on local disk (a finished resumable upload): stored with
    ``Storage.put_file`` (one read, hashed while copied; ``path`` itself is left for the caller to remove).

    Raises :class:`SubmissionError` and :class:`~contest.services.uploads.space.NoSpace` as
    :func:`attach_video` does.
    """
    started_at = started_at or utcnow()
    require_can_upload(entry, started_at=started_at)
    check_size(entry.contest, path.stat().st_size)
    key = new_key("originals")
    with refused_when_full():
        stored = get_storage().put_file(key, path)
    return admit_original(entry=entry, key=key, stored=stored, filename=filename, started_at=started_at)


def admit_original(*, entry: Entry, key: str, stored: StoredFile, filename: str,
                   started_at: datetime | None = None) -> Video:
    """Probe the stored original ``key`` with :func:`contest.services.media.probe.inspect_upload` against the
    contest's rules and make it the entry's video (:func:`replace_video`, probed facts filled).

    A file already entered (same SHA-256: :func:`contest.services.media.duplicates.same_file_reason`) is refused
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
            info = media.inspect_upload(path, rules=TechnicalRules.of(entry.contest), size_bytes=stored.bytes)
    except MediaRejected as exc:
        storage.delete(key)
        raise SubmissionError(exc.reasons) from exc
    except BaseException:
        storage.delete(key)
        raise
    return replace_video(entry=entry, key=key, size_bytes=stored.bytes, sha256=stored.sha256,
                         filename=filename, info=info, started_at=started_at)


def replace_video(*, entry: Entry, key: str, size_bytes: int, sha256: str | None, filename: str,
                  info: media.MediaInfo | None = None, started_at: datetime | None = None) -> Video:
    """Make the stored original ``key`` (``size_bytes`` bytes) the entry's new video, state pending; the one
    path of every upload (form, tus, browser straight to S3) once its bytes are stored.

    The previous video row is deleted (its files once the transaction commits; ``key`` is deleted instead if
    the transaction does not commit) and a submitted entry goes back to draft. An organizer's open permission
    to replace a reviewed video is used, voiding the entry's reviews
    (:func:`contest.services.judging.voiding.use_permit`; raises
    :class:`~contest.services.judging.voiding.VideoLocked` when reviews exist without one). ``info``: facts probed from the
    original, copied onto the row. ``sha256`` None marks an original not checked yet (it went straight from
    the browser to the bucket): :func:`contest.services.media.jobs.process_video` hashes it and checks it
    against the contest's rules before anything else. ``started_at``: when the upload began (recorded as
    ``upload_started_at``; default now). Checks no other rule itself.
    """
    voiding.use_permit(entry=entry)
    _delete_after_commit(video_keys(entry.video), unless_committed=[key])
    if entry.video is not None:
        entry.video = None
        db.session.flush()
    video = Video(original_name=display_filename(filename), original_key=key, bytes=size_bytes,
                  sha256=sha256, state=VideoState.PENDING, upload_started_at=started_at or utcnow())
    if info is not None:
        media.apply_facts(video, info)
    entry.video = video
    if entry.state == EntryState.SUBMITTED:
        move(entry, EntryState.DRAFT)
        entry.submitted_at = None
    db.session.flush()
    return video


def _delete_after_commit(keys: list[str], *, unless_committed: list[str]) -> None:
    """Once the current transaction commits, delete ``keys`` from storage; if it ends without a commit, delete
    ``unless_committed`` instead."""
    if keys:
        on_commit(lambda: _delete_keys(keys))
    if unless_committed:
        on_rollback(lambda: _delete_keys(unless_committed))


def _delete_keys(keys: list[str]) -> None:
    storage = get_storage()
    for key in keys:
        storage.delete(key)
