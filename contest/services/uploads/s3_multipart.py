"""Browser uploads straight to the bucket (``STORAGE_BACKEND = "s3"``) by presigned multipart upload: the web
process never carries the video bytes. Flushes, never commits; the HTTP side is :mod:`contest.uploads.s3`.

Flow: :func:`start` checks what can be checked before any byte arrives (window, entry state, announced size)
and opens a multipart upload under a fresh key → the browser PUTs each part to a :func:`sign_part` URL and,
after an interruption, asks :func:`list_parts` what arrived → :func:`complete` joins the parts and makes the
object the entry's new video, *pending and not checked yet* (``sha256`` NULL): the worker
(:func:`contest.services.media.jobs.process_video`) downloads it once, hashes it and checks it against the
contest's rules before making the rendition; a refusal shows on the entry page. :func:`abort` drops the parts.

Every call after :func:`start` carries the token it handed out: ``{"user", "entry", "key", "uploadId", "size",
"filename"}`` signed with ``SECRET_KEY`` (itsdangerous, salt :data:`TOKEN_SALT`), valid
``DIRECT_UPLOAD_TOKEN_MAX_AGE`` seconds. The bucket key and the upload id are only ever taken from a valid
token. Parts are :func:`part_size` bytes (the last one smaller), numbered 1…:func:`part_count`: the split that
Uppy's AwsS3 plugin makes by default (``max(5 MiB, ceil(size / 10000))``).
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from contest.errors import DomainError
from contest.extensions import db
from contest.infra.storage import FileTooLarge, StorageError, get_storage, new_key
from contest.models import Entry, User, Video
from contest.services.submissions.errors import SubmissionError
from contest.services.uploads import admission
from contest.services.uploads.limits import UploadTooLarge, check_size

TOKEN_SALT = "contest.direct-upload"
#: S3's smallest part (all but the last), bytes, and its largest number of parts per upload.
MIN_PART_BYTES = 5 * 1024 * 1024
MAX_PARTS = 10_000
#: Content types kept for the stored original; anything else is stored as application/octet-stream.
_VIDEO_TYPE = re.compile(r"video/[A-Za-z0-9][\w.+-]{0,99}")


class DirectUploadError(DomainError):
    """A direct-upload request breaks a rule; ``status`` is the HTTP status to answer (400, 404, 410, 422),
    ``reasons`` translated sentences for people."""

    def __init__(self, status: int, reasons: list[str] | str):
        super().__init__(reasons, status=status)


@dataclass(frozen=True)
class Ticket:
    """What a token vouches for: the multipart upload ``upload_id`` of storage key ``key`` for entry ``entry``
    of user ``user`` (ids); ``size`` announced bytes; ``filename`` for display."""

    user: int
    entry: int
    key: str
    upload_id: str
    size: int
    filename: str
    #: When the token was issued, i.e. when the upload began (aware UTC; not part of the payload, it is the
    #: token's signed timestamp). None for a ticket not read from a token.
    issued_at: datetime | None = None

    @property
    def part_size(self) -> int:
        return part_size(self.size)

    def payload(self) -> dict:
        """The token's content: ``{"user", "entry", "key", "uploadId", "size", "filename"}``."""
        return {"user": self.user, "entry": self.entry, "key": self.key, "uploadId": self.upload_id,
                "size": self.size, "filename": self.filename}

    @classmethod
    def from_payload(cls, data: dict) -> Ticket:
        return cls(user=data["user"], entry=data["entry"], key=data["key"], upload_id=data["uploadId"],
                   size=data["size"], filename=data["filename"])


def part_size(size_bytes: int) -> int:
    """Bytes of every part but the last of a ``size_bytes`` file: ``max(5 MiB, ceil(size / 10000))``."""
    return max(MIN_PART_BYTES, math.ceil(size_bytes / MAX_PARTS))


def part_count(size_bytes: int) -> int:
    """Number of parts of a ``size_bytes`` file (at least 1)."""
    return max(1, math.ceil(size_bytes / part_size(size_bytes)))


# --- verbs -------------------------------------------------------------------------------------------------

def start(*, user: User, entry_id, filename, size, content_type) -> tuple[Ticket, str]:
    """Open a multipart upload of ``size`` bytes for the entry ``entry_id`` of ``user``; returns the ticket
    and its signed token.

    Raises :class:`DirectUploadError`: 400 without a whole entry id or a whole positive ``size``, 404 when the
    entry is not the user's, 422 outside the submission window, for a withdrawn or disqualified entry, or when
    ``size`` exceeds ``contest.max_file_bytes`` (:func:`contest.services.uploads.limits.check_size`).
    """
    entry = _own_entry(user, entry_id)
    if not _whole(size) or size < 1:
        raise DirectUploadError(400, _("The file size must be a whole number of bytes."))
    _require_can_upload(entry)
    _check_size(entry, size)
    key = new_key("originals")
    mimetype = content_type if isinstance(content_type, str) and _VIDEO_TYPE.fullmatch(content_type) else None
    upload_id = _storage().create_multipart_upload(key, content_type=mimetype or "application/octet-stream")
    ticket = Ticket(user=user.id, entry=entry.id, key=key, upload_id=upload_id, size=size,
                    filename=admission.display_filename(filename if isinstance(filename, str) else None))
    return ticket, _serializer().dumps(ticket.payload())


def sign_part(*, user: User, token, part_number) -> str:
    """A presigned URL (valid ``S3_PRESIGN_EXPIRES`` seconds) to which the browser PUTs part ``part_number``.

    Raises :class:`DirectUploadError`: token errors (:func:`_open`), 400 for a part number outside
    1…:func:`part_count`, 422 once the window has closed or the entry can no longer change.
    """
    ticket, entry = _open(user, token)
    if not _whole(part_number) or not 1 <= part_number <= part_count(ticket.size):
        raise DirectUploadError(400, _("The part number must be between 1 and %(max)d.",
                                       max=part_count(ticket.size)))
    _require_can_upload(entry, started_at=ticket.issued_at)
    return _storage().presign_part(ticket.key, upload_id=ticket.upload_id, part_number=part_number)


def list_parts(*, user: User, token) -> list[dict]:
    """The parts the bucket has received so far: ``[{"PartNumber": int, "Size": bytes, "ETag": str}]`` by
    part number (to resume an interrupted upload). Raises :class:`DirectUploadError`: token errors, 404 when
    the upload no longer exists (completed or aborted)."""
    ticket, _entry = _open(user, token)
    parts = _storage().list_parts(ticket.key, upload_id=ticket.upload_id)
    if parts is None:
        raise DirectUploadError(404, _("This upload does not exist."))
    return parts


def complete(*, user: User, token, parts) -> Video:
    """Join ``parts`` (``[{"PartNumber": int, "ETag": str}]``, as the browser received them) into the
    original and make it the entry's new video (:func:`contest.services.uploads.admission.replace_video`): state
    pending, ``sha256`` NULL (not checked yet), ``bytes`` the object's size. The caller commits, then queues
    ``process_video``, which checks the content rules. Nothing of the object is read here.

    The parts must be exactly what the bucket holds (same ETags) and add up to the announced size. A repeated
    call for an upload already completed into the entry's video returns that video.
    Raises :class:`DirectUploadError`: token errors, 400 for a malformed part list, 404 when the upload no
    longer exists, 422 when a part is missing or differs, the sizes do not add up, the window has closed or
    the entry can no longer change (the upload is aborted), the parts exceed ``contest.max_file_bytes`` (the
    upload is aborted; an assembled object over the limit is deleted), or the bucket refuses to join them.
    """
    ticket, entry = _open(user, token)
    if entry.video is not None and entry.video.original_key == ticket.key:
        return entry.video
    storage, chosen = _storage(), _parse_parts(parts)
    try:
        admission.require_can_upload(entry, started_at=ticket.issued_at)
    except SubmissionError as exc:
        storage.abort_multipart_upload(ticket.key, upload_id=ticket.upload_id)
        raise DirectUploadError(422, exc.reasons) from None
    _check_parts(storage, ticket, entry, chosen)
    try:
        stored = storage.complete_multipart_upload(ticket.key, upload_id=ticket.upload_id, parts=chosen,
                                                   max_bytes=entry.contest.max_file_bytes, digest=False)
    except FileTooLarge:
        raise DirectUploadError(422, UploadTooLarge.for_contest(entry.contest).reasons) from None
    except StorageError as exc:
        if not _refused_by_bucket(exc):
            raise
        raise DirectUploadError(422, _("The uploaded parts could not be joined into one file. Please upload "
                                       "the file again.")) from None
    return admission.replace_video(entry=entry, key=ticket.key, size_bytes=stored.bytes, sha256=None,
                                     filename=ticket.filename, started_at=ticket.issued_at)


def abort(*, user: User, token) -> None:
    """Abort the upload and drop its parts (an upload already gone is ignored; a completed original is not
    touched). Raises :class:`DirectUploadError` for token errors."""
    ticket, _entry = _open(user, token)
    _storage().abort_multipart_upload(ticket.key, upload_id=ticket.upload_id)


# --- helpers -----------------------------------------------------------------------------------------------

def _storage():
    """The S3 storage; 404 when ``STORAGE_BACKEND`` is not ``s3`` (there is no bucket to upload to)."""
    if current_app.config["STORAGE_BACKEND"] != "s3":
        raise DirectUploadError(404, _("Direct uploads to the bucket are not enabled on this site."))
    return get_storage()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def _open(user: User, token) -> tuple[Ticket, Entry]:
    """The ticket of a valid ``token`` of ``user`` and its entry. Raises :class:`DirectUploadError`: 400 for a
    missing, altered or malformed token, 410 past ``DIRECT_UPLOAD_TOKEN_MAX_AGE``, 404 when the token is
    someone else's or the entry no longer theirs."""
    max_age = current_app.config["DIRECT_UPLOAD_TOKEN_MAX_AGE"]
    try:
        if not isinstance(token, str):
            raise BadSignature("no token")
        payload, issued_at = _serializer().loads(token, max_age=max_age, return_timestamp=True)
        ticket = dataclasses.replace(Ticket.from_payload(payload), issued_at=issued_at)
    except SignatureExpired:
        raise DirectUploadError(410, _("This upload has expired. Please start again.")) from None
    except (BadSignature, KeyError, TypeError):
        raise DirectUploadError(400, _("The upload token is invalid.")) from None
    if ticket.user != user.id:
        raise DirectUploadError(404, _("This upload does not exist."))
    return ticket, _own_entry(user, ticket.entry)


def _own_entry(user: User, entry_id) -> Entry:
    if isinstance(entry_id, str) and entry_id.isdigit():
        entry_id = int(entry_id)
    if not _whole(entry_id):
        raise DirectUploadError(400, _("The request must name the entry (entry_id)."))
    entry = db.session.get(Entry, entry_id)
    if entry is None or entry.creator_id != user.id:
        raise DirectUploadError(404, _("This entry does not exist."))
    return entry


def _require_can_upload(entry: Entry, *, started_at: datetime | None = None) -> None:
    try:
        admission.require_can_upload(entry, started_at=started_at)
    except SubmissionError as exc:
        raise DirectUploadError(422, exc.reasons) from None


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_parts(parts) -> list[tuple[int, str]]:
    """``[{"PartNumber", "ETag"}]`` as ``(number, etag)`` pairs; 400 unless a non-empty list of distinct
    numbers 1…10000 with text ETags."""
    try:
        chosen = [(part["PartNumber"], part["ETag"]) for part in parts]
    except (KeyError, TypeError):
        chosen = []
    numbers = [number for number, _etag in chosen]
    if (not chosen or len(set(numbers)) != len(numbers)
            or not all(_whole(n) and 1 <= n <= MAX_PARTS and isinstance(e, str) and e for n, e in chosen)):
        raise DirectUploadError(400, _("The list of uploaded parts is malformed."))
    return chosen


def _check_parts(storage, ticket: Ticket, entry: Entry, chosen: list[tuple[int, str]]) -> None:
    """Compare the browser's part list with what the bucket holds before joining (see :func:`complete`)."""
    held = storage.list_parts(ticket.key, upload_id=ticket.upload_id)
    if held is None:
        raise DirectUploadError(404, _("This upload does not exist."))
    by_number = {part["PartNumber"]: part for part in held}
    for number, etag in chosen:
        held_etag = by_number[number]["ETag"] if number in by_number else None
        if held_etag is None or held_etag.strip('"') != etag.strip('"'):
            raise DirectUploadError(422, _("Part %(number)d of the file has not arrived; upload it again, "
                                           "then finish.", number=number))
    total = sum(by_number[number]["Size"] for number, _etag in chosen)
    try:
        check_size(entry.contest, total)  # the parts' real total, checked before joining them
    except UploadTooLarge as exc:
        storage.abort_multipart_upload(ticket.key, upload_id=ticket.upload_id)
        raise DirectUploadError(422, exc.reasons) from None
    if total != ticket.size:
        raise DirectUploadError(422, _("%(received)s of the file's %(size)s bytes have arrived; upload the "
                                       "missing parts, then finish.",
                                       received=format_decimal(total), size=format_decimal(ticket.size)))


def _refused_by_bucket(exc: StorageError) -> bool:
    """True when S3 answered the completion with a refusal (e.g. a part too small) rather than failing."""
    from botocore.exceptions import (
        ClientError,  # only reached with the S3 backend (boto3 installed)
    )

    return isinstance(exc.__cause__, ClientError)


def _check_size(entry: Entry, size: int) -> None:
    """:func:`~contest.services.uploads.limits.check_size` answered as this protocol's 422."""
    try:
        check_size(entry.contest, size)
    except UploadTooLarge as exc:
        raise DirectUploadError(422, exc.reasons) from None
