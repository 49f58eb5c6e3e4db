"""Browser uploads straight to the bucket (``STORAGE_BACKEND = "s3"``) under ``/uploads/s3``: JSON endpoints
around a presigned multipart upload; rules in :mod:`contest.services.uploads.s3_multipart`.

* ``POST /uploads/s3/multipart`` ``{entry_id, filename, size, type}`` → 201 ``{uploadId, key, token,
  partSize}`` (``partSize`` bytes; ``key`` is opaque to the browser).
* ``POST /uploads/s3/multipart/sign`` ``{token, partNumber}`` → 200 ``{url}`` (presigned PUT).
* ``POST /uploads/s3/multipart/parts`` ``{token}`` → 200 ``{parts: [{PartNumber, Size, ETag}]}``.
* ``POST /uploads/s3/multipart/complete`` ``{token, parts: [{PartNumber, ETag}]}`` → 200 ``{redirect,
  video_id}``: the video row is pending and processing is queued; the worker checks the contest's rules.
* ``POST /uploads/s3/multipart/abort`` ``{token}`` → 204.

Callers must be logged-in creators (401 / 403, no redirect: an API) and send the ``X-CSRFToken`` header when
CSRF is on (the app-wide Flask-WTF check reads it; 403 without). Errors are ``{"errors": [sentences]}`` in the
visitor's language: 400 malformed request or token, 404 someone else's entry or upload (or no S3 backend),
410 token expired, 422 a contest rule, 507 the server's disk is full. Answers are never cached.
"""
from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from contest.auth import rate_limits
from contest.errors import DomainError
from contest.extensions import db
from contest.infra import tasks
from contest.infra.rate_limits import retry_after_seconds
from contest.services.uploads import s3_multipart as direct_uploads
from contest.services.uploads.s3_multipart import DirectUploadError

bp = Blueprint("uploads_s3", __name__)


@bp.before_request
def _check_backend_and_login():
    if current_app.config["STORAGE_BACKEND"] != "s3":
        return _errors(404, _("Direct uploads to the bucket are not enabled on this site."))
    if not current_user.is_authenticated:
        return _errors(401, _("Please log in first."))
    return None


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(DomainError)
def _upload_error(error: DomainError):
    """Protocol errors (:class:`DirectUploadError`), a full disk (507) and every other domain error."""
    db.session.rollback()
    return _errors(error.status, *error.reasons)


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(error: RateLimitExceeded):
    response, status = _errors(429, error.description)
    return response, status, {"Retry-After": str(retry_after_seconds())}


@bp.errorhandler(CSRFError)
def _csrf_error(error: CSRFError):
    return _errors(403, _("The form expired or was sent from another site. Go back, reload the page and try "
                          "again."))


@bp.route("/multipart", methods=["POST"])
@rate_limits.uploads
def start():
    body = _body()
    ticket, token = direct_uploads.start(user=_me(), entry_id=body.get("entry_id"),
                                         filename=body.get("filename"), size=body.get("size"),
                                         content_type=body.get("type"))
    return jsonify(uploadId=ticket.upload_id, key=ticket.key, token=token, partSize=ticket.part_size), 201


@bp.route("/multipart/sign", methods=["POST"])
def sign():
    body = _body()
    url = direct_uploads.sign_part(user=_me(), token=body.get("token"), part_number=body.get("partNumber"))
    return jsonify(url=url)


@bp.route("/multipart/parts", methods=["POST"])
def parts():
    return jsonify(parts=direct_uploads.list_parts(user=_me(), token=_body().get("token")))


@bp.route("/multipart/complete", methods=["POST"])
def complete():
    body = _body()
    video = direct_uploads.complete(user=_me(), token=body.get("token"), parts=body.get("parts"))
    db.session.commit()
    tasks.enqueue("process_video", video.id)
    return jsonify(redirect=url_for("submissions.entry", entry_id=video.entry_id), video_id=video.id)


@bp.route("/multipart/abort", methods=["POST"])
def abort():
    direct_uploads.abort(user=_me(), token=_body().get("token"))
    return "", 204


def _me():
    return current_user._get_current_object()


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DirectUploadError(400, _("Send a JSON object."))
    return body


def _errors(status: int, *reasons: str):
    return jsonify(errors=list(reasons)), status
