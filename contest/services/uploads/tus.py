"""Resumable video uploads with the tus 1.0 protocol (https://tus.io/protocols/resumable-upload): core,
creation and termination. Flushes, never commits; the HTTP side is :mod:`contest.uploads.views`.

An upload in progress is two files under ``UPLOAD_ROOT/.tus`` (on the web server's disk, whatever the storage
backend): ``<id>`` holds the bytes received so far and ``<id>.json`` the sidecar, written once at creation::

    {"id": str, "owner_id": int, "entry_id": int, "length": bytes, "offset": 0,
     "metadata": {"filename": str, "filetype": str, ...}, "created_at": epoch s, "updated_at": epoch s}

The live offset is the partial file's size and the last activity its modification time (the later of it and
the sidecar's ``updated_at``): a chunk costs no sidecar rewrite, and the offset can never disagree with the
bytes on disk, even after a crash. ``<id>`` is random (``secrets.token_urlsafe``). Chunks are streamed to the
partial file in 1 MiB pieces, never whole in memory. The SHA-256 of the original is *not* kept running across
requests (a ``hashlib`` object cannot be saved and restored between requests or processes): once
``offset == length`` the finished file is stored with
:meth:`Storage.put_file <contest.infra.storage.Storage.put_file>`, which reads it exactly once to hash it
(local storage hard-links it rather than copying it), and the original is then checked and recorded by
:func:`contest.services.uploads.admission.attach_video_file` exactly like a form upload. ``bench/bench_upload.py``
measures a 1 GB upload (README, Benchmarks).

An upload untouched for ``TUS_EXPIRE_S`` seconds is expired (410) and removed by :func:`clean_abandoned`
(``flask storage cleanup``).
"""
from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
import re
import secrets
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Iterator

from flask import current_app
from flask_babel import gettext as _

from contest.errors import DomainError
from contest.extensions import db
from contest.infra.storage import CHUNK_BYTES
from contest.models import Entry, User, Video
from contest.services.submissions.errors import SubmissionError
from contest.services.uploads import admission
from contest.services.uploads.limits import UploadTooLarge, check_size
from contest.services.uploads.space import NoSpace, refused_when_full

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination"
_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


class UploadError(DomainError):
    """A tus request breaks a rule; ``status`` is the HTTP status the protocol asks for (400, 403, 404, 409,
    410, 413, 422), ``reasons`` translated sentences for people."""

    def __init__(self, status: int, reasons: list[str] | str):
        super().__init__(reasons, status=status)


@dataclass
class Upload:
    """One upload in progress: the sidecar's content, with ``offset`` (bytes) and ``updated_at`` (epoch s)
    taken from the partial file when loaded."""

    id: str
    owner_id: int
    entry_id: int
    length: int
    offset: int = 0
    metadata: dict[str, str] = field(default_factory=dict)
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)

    @property
    def path(self) -> Path:
        return tus_root() / self.id

    @property
    def complete(self) -> bool:
        return self.offset == self.length


def tus_root() -> Path:
    """Folder of the uploads in progress: ``UPLOAD_ROOT/.tus``."""
    return Path(current_app.config["UPLOAD_ROOT"]) / ".tus"


def parse_metadata(header: str | None) -> dict[str, str]:
    """``Upload-Metadata`` (``key base64value, key2 base64value2``) as a dict of text; a key without value
    maps to ``""``. Raises :class:`UploadError` (400) for a malformed header."""
    pairs = {}
    for item in filter(None, (part.strip() for part in (header or "").split(","))):
        key, _sep, value = item.partition(" ")
        try:
            pairs[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise UploadError(400, _("The upload metadata is malformed.")) from None
    return pairs


def encode_metadata(metadata: dict[str, str]) -> str:
    """The inverse of :func:`parse_metadata`."""
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items())


# --- verbs -------------------------------------------------------------------------------------------------

def create_upload(*, user: User, length: int | None, metadata: dict[str, str]) -> Upload:
    """Start an upload of ``length`` bytes for the entry ``metadata["entry_id"]`` of ``user``.

    Raises :class:`UploadError`: 400 without a valid length or entry id, 404 when the entry is not one of the
    user's own (ids of others are not disclosed), 403 outside the submission window or for a withdrawn or
    disqualified entry, 413 when ``length`` exceeds ``contest.max_file_bytes``;
    :class:`~contest.services.uploads.space.NoSpace` (507) when the disk is full (no file is left).
    """
    if length is None or length < 0:
        raise UploadError(400, _("Upload-Length must be a whole number of bytes."))
    entry = _own_entry(user, metadata.get("entry_id", ""))
    try:
        admission.require_can_upload(entry)
    except SubmissionError as exc:
        raise UploadError(403, exc.reasons) from None
    try:
        check_size(entry.contest, length)
    except UploadTooLarge as exc:
        raise UploadError(413, exc.reasons) from None
    upload = Upload(id=secrets.token_urlsafe(24), owner_id=user.id, entry_id=entry.id, length=length,
                    metadata=metadata)
    try:
        with refused_when_full():
            tus_root().mkdir(parents=True, exist_ok=True)
            upload.path.touch(exist_ok=False)
            _save(upload)
    except NoSpace:
        remove_upload(upload=upload)
        raise
    return upload


def load_upload(*, upload_id: str, user: User) -> Upload:
    """The upload ``upload_id`` of ``user``. Raises :class:`UploadError` 404 when it does not exist or belongs
    to someone else, 410 when it was left untouched for ``TUS_EXPIRE_S`` seconds (it is removed then)."""
    sidecar = _sidecar(upload_id)
    if sidecar is None or not sidecar.is_file():
        raise UploadError(404, _("This upload does not exist."))
    upload = Upload(**json.loads(sidecar.read_text()))
    if upload.owner_id != user.id:
        raise UploadError(404, _("This upload does not exist."))
    try:
        partial = upload.path.stat()
    except FileNotFoundError:
        raise UploadError(404, _("This upload does not exist.")) from None
    upload.offset, upload.updated_at = partial.st_size, max(upload.updated_at, partial.st_mtime)
    if upload.updated_at < time.time() - current_app.config["TUS_EXPIRE_S"]:
        remove_upload(upload=upload)
        raise UploadError(410, _("This upload has expired. Please start again."))
    return upload


def append_chunk(*, upload: Upload, offset: int, stream: BinaryIO, size: int | None) -> Upload:
    """Append the bytes of ``stream`` (``size`` bytes when known) at ``offset``; returns the upload with its
    new offset.

    Copies in 1 MiB pieces; the offset is the partial file's size, read under the lock. Whatever arrived
    before a broken connection or a full disk is kept (the client asks HEAD for the offset and resumes).
    Raises :class:`UploadError` 409 when ``offset`` is not the upload's offset or another request is writing
    to it, 413 when the bytes would run past ``length`` (nothing of that request is kept);
    :class:`~contest.services.uploads.space.NoSpace` (507) when the disk is full.
    """
    with _locked(upload) as fh:
        upload.offset = os.fstat(fh.fileno()).st_size
        if offset != upload.offset:
            raise UploadError(409, _("The upload is at byte %(offset)d, not %(sent)d.",
                                     offset=upload.offset, sent=offset))
        room = upload.length - offset
        if size is not None and size > room:
            raise UploadError(413, _("This chunk would run past the announced length of the upload."))
        fh.seek(offset)
        written = 0
        with refused_when_full(partial_kept=True):
            while chunk := stream.read(min(CHUNK_BYTES, room - written + 1)):
                written += len(chunk)
                if written > room:
                    fh.truncate(offset)
                    raise UploadError(413, _("This chunk would run past the announced length of the upload."))
                _write_all(fh, chunk)
        upload.offset, upload.updated_at = offset + written, time.time()
    return upload


def finish_upload(*, upload: Upload, user: User) -> Video:
    """Attach a complete upload to its entry as the new original (see
    :func:`contest.services.uploads.admission.attach_video_file`: stored, SHA-256 recorded, probed against the
    contest's rules) and remove the partial files. The caller commits, then queues ``process_video``. The
    upload began when it was created (the sidecar's ``created_at``): begun before the deadline, it may finish
    within the grace (:mod:`contest.services.submissions.window`).

    A rejected file leaves nothing behind: the partial files are removed and no row is written. Raises
    :class:`UploadError` 422 with the rule messages (or 404 when the entry is no longer the user's). Any
    other failure (e.g. storage unreachable, or a full disk: :class:`~contest.services.uploads.space.NoSpace`,
    507) keeps the complete partial file: an empty PATCH at ``offset == length`` tries again.
    """
    if not upload.complete:
        raise UploadError(409, _("The upload is not complete yet."))
    try:
        entry = _own_entry(user, str(upload.entry_id))
        filename = upload.metadata.get("filename") or "video"
        began = datetime.fromtimestamp(upload.created_at, timezone.utc)
        with refused_when_full(partial_kept=True):
            video = admission.attach_video_file(entry=entry, path=upload.path, filename=filename,
                                                started_at=began)
    except (SubmissionError, UploadError) as exc:
        remove_upload(upload=upload)
        if isinstance(exc, UploadError):
            raise
        raise UploadError(422, exc.reasons) from None
    remove_upload(upload=upload)
    return video


def remove_upload(*, upload: Upload) -> None:
    """Delete the partial file and the sidecar of ``upload`` (termination; missing files are ignored)."""
    upload.path.unlink(missing_ok=True)
    upload.path.with_suffix(".json").unlink(missing_ok=True)


def clean_abandoned(*, older_than_s: float | None = None) -> int:
    """Remove uploads in progress not touched for ``older_than_s`` seconds (default ``TUS_EXPIRE_S``, 24 h),
    including partial files whose sidecar is gone; returns how many uploads were removed."""
    if older_than_s is None:
        older_than_s = current_app.config["TUS_EXPIRE_S"]
    root, cutoff, removed = tus_root(), time.time() - older_than_s, 0
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        if "." in path.name or not path.is_file():  # sidecars and their temporary files
            continue
        sidecar = path.with_suffix(".json")
        touched = path.stat().st_mtime
        if sidecar.is_file():
            touched = max(touched, json.loads(sidecar.read_text()).get("updated_at", 0))
        if touched <= cutoff:
            path.unlink(missing_ok=True)
            sidecar.unlink(missing_ok=True)
            removed += 1
    return removed


# --- helpers -----------------------------------------------------------------------------------------------

def _own_entry(user: User, entry_id: str) -> Entry:
    if not entry_id.isdigit():
        raise UploadError(400, _("The upload metadata must name the entry (entry_id)."))
    entry = db.session.get(Entry, int(entry_id))
    if entry is None or entry.creator_id != user.id:
        raise UploadError(404, _("This entry does not exist."))
    return entry


def _sidecar(upload_id: str) -> Path | None:
    return tus_root() / f"{upload_id}.json" if _ID_PATTERN.fullmatch(upload_id or "") else None


def _save(upload: Upload) -> None:
    """Write the sidecar atomically (temporary file, then rename; the temporary file is removed on error),
    stamping ``updated_at``."""
    upload.updated_at = time.time()
    target = upload.path.with_suffix(".json")
    tmp = target.with_suffix(".json.tmp")
    try:
        tmp.write_text(json.dumps(asdict(upload)))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_all(fh, data: bytes) -> None:
    """Write ``data`` to the unbuffered file ``fh`` (an ``os.write`` may take only part of it). On an error
    (e.g. a full disk) the bytes written before it stay: the file still holds a prefix of the stream."""
    view = memoryview(data)
    while view:
        view = view[fh.write(view):]


@contextmanager
def _locked(upload: Upload) -> Iterator[BinaryIO]:
    """The partial file open for writing under an exclusive lock; a concurrent writer gets 409."""
    try:
        fh = open(upload.path, "r+b", buffering=0)  # unbuffered: what write() returned is on disk
    except FileNotFoundError:
        raise UploadError(404, _("This upload does not exist.")) from None
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UploadError(409, _("Another request is writing to this upload.")) from None
        yield fh
