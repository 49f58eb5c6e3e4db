"""tus 1.0 endpoints (core, creation, termination) under ``/uploads/tus``; rules in
:mod:`contest.services.uploads.tus`.

* ``OPTIONS /uploads/tus/`` — discovery: ``Tus-Version``, ``Tus-Extension``, ``Tus-Max-Size`` (no login).
* ``POST /uploads/tus/`` — creation: ``Upload-Length`` and ``Upload-Metadata`` (base64 pairs: ``entry_id``,
  ``filename``, ``filetype``); 201 with ``Location``.
* ``HEAD /uploads/tus/<id>`` — ``Upload-Offset`` and ``Upload-Length``.
* ``PATCH /uploads/tus/<id>`` — ``Upload-Offset`` and ``Content-Type: application/offset+octet-stream``; 204
  with the new ``Upload-Offset``. The PATCH that completes the upload also attaches the video and answers
  with ``Upload-Result: ok`` (204, ``Upload-Video-Id`` names the new video, processing queued) or
  ``Upload-Result: rejected`` (422, body ``{"errors": [rule messages]}``; the upload is gone).
* ``DELETE /uploads/tus/<id>`` — termination, 204.

Every response carries ``Tus-Resumable: 1.0.0``; errors are ``text/plain`` sentences (JSON for 422), a full
disk 507 (the bytes received before it are kept: HEAD, then PATCH on from the offset). A request
with another ``Tus-Resumable`` gets 412. Callers must be logged in (401 otherwise: an API, so
no redirect to the login page) and send the ``X-CSRFToken`` header on POST/PATCH/DELETE when CSRF is on
(the app-wide Flask-WTF check reads it; 403 without). Someone else's upload is 404.
"""
from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from contest.auth import rate_limits
from contest.errors import DomainError
from contest.extensions import db
from contest.infra import tasks
from contest.infra.rate_limits import retry_after_seconds
from contest.services.uploads import tus as resumable
from contest.services.uploads.tus import TUS_EXTENSIONS, TUS_VERSION, UploadError
from contest.security import large_body, too_large_message

bp = Blueprint("uploads", __name__)

OFFSET_CONTENT_TYPE = "application/offset+octet-stream"


@bp.before_request
def _check_protocol_and_login():
    """Version first (412), then a logged-in user (the entry's owner is checked per upload); OPTIONS is open
    discovery."""
    if request.method == "OPTIONS":
        return None
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        return _plain(412, _("Only tus version %(version)s is supported.", version=TUS_VERSION),
                      {"Tus-Version": TUS_VERSION})
    if not current_user.is_authenticated:
        return _plain(401, _("Please log in first."))
    return None


@bp.after_request
def _tus_resumable(response):
    response.headers["Tus-Resumable"] = TUS_VERSION
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(DomainError)
def _upload_error(error: DomainError):
    """Protocol errors (:class:`UploadError`), a full disk (507) and every other domain error: plain text."""
    db.session.rollback()
    return _plain(error.status, error.message)


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(error: RateLimitExceeded):
    return _plain(429, error.description, {"Retry-After": str(retry_after_seconds())})


@bp.errorhandler(CSRFError)
def _csrf_error(error: CSRFError):
    return _plain(403, _("The form expired or was sent from another site. Go back, reload the page and try "
                         "again."))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    return _plain(413, too_large_message())


@bp.route("/", methods=["OPTIONS"])
def discover():
    return "", 204, {"Tus-Version": TUS_VERSION, "Tus-Extension": TUS_EXTENSIONS,
                     "Tus-Max-Size": str(current_app.config["TUS_MAX_SIZE"])}


@bp.route("/", methods=["POST"], provide_automatic_options=False)
@rate_limits.uploads
def create():
    metadata = resumable.parse_metadata(request.headers.get("Upload-Metadata"))
    upload = resumable.create_upload(user=_me(), length=_int_header("Upload-Length"), metadata=metadata)
    location = url_for(".upload", upload_id=upload.id, _external=True)
    return "", 201, {"Location": location, "Upload-Offset": "0"}


@bp.route("/<upload_id>", methods=["HEAD"])
def upload(upload_id: str):
    upload = resumable.load_upload(upload_id=upload_id, user=_me())
    return "", 200, {"Upload-Offset": str(upload.offset), "Upload-Length": str(upload.length),
                     "Upload-Metadata": resumable.encode_metadata(upload.metadata)}


@bp.route("/<upload_id>", methods=["PATCH"])
@large_body
def append(upload_id: str):
    if request.mimetype != OFFSET_CONTENT_TYPE:
        return _plain(415, _("Send the bytes as %(type)s.", type=OFFSET_CONTENT_TYPE))
    upload = resumable.load_upload(upload_id=upload_id, user=_me())
    offset = _int_header("Upload-Offset")
    if offset is None:
        return _plain(400, _("Upload-Offset must be a whole number of bytes."))
    upload = resumable.append_chunk(upload=upload, offset=offset, stream=request.stream,
                                    size=request.content_length)
    headers = {"Upload-Offset": str(upload.offset)}
    if not upload.complete:
        return "", 204, headers
    try:
        video = resumable.finish_upload(upload=upload, user=_me())
    except UploadError as exc:
        db.session.rollback()
        return jsonify(errors=exc.reasons), exc.status, headers | {"Upload-Result": "rejected"}
    db.session.commit()
    tasks.enqueue("process_video", video.id)
    return "", 204, headers | {"Upload-Result": "ok", "Upload-Video-Id": str(video.id)}


@bp.route("/<upload_id>", methods=["DELETE"])
def terminate(upload_id: str):
    resumable.remove_upload(upload=resumable.load_upload(upload_id=upload_id, user=_me()))
    return "", 204


def _me():
    return current_user._get_current_object()


def _int_header(name: str) -> int | None:
    value = request.headers.get(name, "")
    return int(value) if value.isdigit() else None


def _plain(status: int, message: str, headers: dict | None = None):
    return message, status, {"Content-Type": "text/plain; charset=utf-8", **(headers or {})}
