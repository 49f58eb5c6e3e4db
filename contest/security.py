"""Security of every request and response, in one place: the headers of every response and a small limit on
request bodies for every route except the uploads.

Headers (added unless a view set them itself):

* ``Content-Security-Policy``: :data:`POLICY`, plus the bucket's origin in ``img-src``, ``media-src`` and
  ``connect-src`` when ``STORAGE_BACKEND`` is ``"s3"`` (players load presigned URLs and the upload page PUTs
  parts there), plus ``CSP_EXTRA_SOURCES``. Pages therefore carry no inline script, style or event handler:
  scripts live in ``static/js/``, styles in ``static/css/app.css``, data travels in ``data-*`` attributes.
* ``X-Content-Type-Options: nosniff`` (media too), ``X-Frame-Options: DENY``, ``Referrer-Policy``,
  ``Permissions-Policy``, and ``Strict-Transport-Security`` when ``HSTS_MAX_AGE`` is set (production).
* ``Cache-Control: no-store`` on every answer but static files (they keep their own caching) and the media
  files of entries (``private``: only the viewer's browser may keep them). An anonymous page whose view set
  its own ``Cache-Control`` keeps it.

Bodies: a route marked :func:`large_body` (the uploads) may receive up to ``MAX_CONTENT_LENGTH`` bytes (and
sets its own lower limit); every other route refuses a body over ``MAX_FORM_BYTES`` with 413 before anything
reads it — from ``Content-Length``, or after reading ``MAX_FORM_BYTES`` + 1 bytes of a body of unknown length.
"""
import io
import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

log = logging.getLogger(__name__)

#: The policy every page satisfies (tests/e2e/test_csp.py visits them all in chromium). ``data:`` images are
#: Bootstrap's icons in CSS (navbar toggler, select arrows); ``blob:`` images are local previews of files.
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "media-src": ["'self'"],
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
#: Directives that get the bucket's origin with S3 storage.
STORAGE_DIRECTIVES = ("img-src", "media-src", "connect-src")
#: Top-level types of the media files of entries (posters, renditions, previews): cached privately.
MEDIA_TYPES = ("image", "video", "audio")
_LARGE_BODY = "contest_large_body"


def init_app(app: Flask) -> None:
    """Install the body limit (before every other ``before_request`` hook: Flask-WTF's CSRF check reads the
    form) and the headers. The policy is built on the first response (with S3 it signs a URL to learn the
    bucket's origin, which needs the storage client)."""
    app.before_request_funcs.setdefault(None, []).insert(0, limit_body)
    app.after_request(add_headers)
    app.extensions["security"] = {}


def large_body(view):
    """Mark an upload view: it may receive bodies up to ``MAX_CONTENT_LENGTH`` bytes. Put it below
    ``@bp.route``."""
    setattr(view, _LARGE_BODY, True)
    return view


def takes_large_body(endpoint: str | None = None) -> bool:
    """Whether the view of ``endpoint`` (default: the current request's) is marked :func:`large_body`."""
    endpoint = endpoint or request.endpoint
    return getattr(current_app.view_functions.get(endpoint or ""), _LARGE_BODY, False)


def limit_body() -> None:
    """Refuse (413) a body over ``MAX_FORM_BYTES`` sent to a route that is not an upload, without reading it.

    A body of unknown length (chunked, from a server that sets ``wsgi.input_terminated``; others hand the app
    no such body at all) is read here, at most ``MAX_FORM_BYTES`` + 1 bytes of it: Werkzeug itself would cut
    it at the limit and parse the truncated form."""
    if takes_large_body():
        return
    limit = current_app.config["MAX_FORM_BYTES"]
    request.max_content_length = limit
    if request.content_length is not None:
        if request.content_length > limit:
            raise RequestEntityTooLarge()
    elif "wsgi.input_terminated" in request.environ:
        body = read_at_most(request.environ["wsgi.input"], limit)
        if body is None:
            raise RequestEntityTooLarge()
        request.environ.update({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
        request.environ.pop("HTTP_TRANSFER_ENCODING", None)


def read_at_most(stream, limit: int) -> bytes | None:
    """The rest of ``stream`` if it holds at most ``limit`` bytes, else None (having read ``limit`` + 1)."""
    chunks, size = [], 0
    while chunk := stream.read(min(64 * 1024, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return None
    return b"".join(chunks)


def too_large_message() -> str:
    """The reason a request to a non-upload route was refused as too large, naming the limit."""
    limit_mb = request.max_content_length / 1024**2
    return _("This request is too large: at most %(size)s MB can be sent here.", size=f"{limit_mb:g}")


def add_headers(response):
    """The security headers of every response (see the module docstring)."""
    config = current_app.config
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(current_app))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", config["REFERRER_POLICY"])
    headers.setdefault("Permissions-Policy", config["PERMISSIONS_POLICY"])
    if config["HSTS_MAX_AGE"]:
        headers.setdefault("Strict-Transport-Security", f"max-age={int(config['HSTS_MAX_AGE'])}")
    set_cache_control(response)
    return response


def set_cache_control(response) -> None:
    """``no-store`` on dynamic answers, ``private`` on media files, static files untouched."""
    if request.endpoint == "static":
        return
    if response.mimetype.partition("/")[0] in MEDIA_TYPES:
        response.cache_control.public = False
        response.cache_control.private = True
        return
    if "Cache-Control" in response.headers and not current_user.is_authenticated:
        return
    response.headers["Cache-Control"] = "no-store"


def content_security_policy(app: Flask) -> str:
    """The ``Content-Security-Policy`` value of ``app``, built once."""
    cached = app.extensions["security"]
    if "csp" not in cached:
        directives = {name: list(sources) for name, sources in POLICY.items()}
        for name in STORAGE_DIRECTIVES:
            directives[name] += storage_origins(app)
        for name, sources in app.config["CSP_EXTRA_SOURCES"].items():
            directives.setdefault(name, []).extend(sources)
        cached["csp"] = "; ".join(f"{name} {' '.join(dict.fromkeys(sources))}"
                                  for name, sources in directives.items())
    return cached["csp"]


def storage_origins(app: Flask) -> list[str]:
    """Origins browsers fetch media from and upload to, besides this site: none with local storage; with S3
    the origin of ``S3_PUBLIC_ENDPOINT_URL`` (else ``S3_ENDPOINT_URL``) and that of a presigned URL, which
    differs with virtual-hosted buckets (``https://<bucket>.oss-cn-hangzhou.aliyuncs.com``) and on AWS."""
    config = app.config
    if config["STORAGE_BACKEND"] != "s3":
        return []
    urls = [config.get("S3_PUBLIC_ENDPOINT_URL") or config.get("S3_ENDPOINT_URL")]
    try:
        urls.append(app.extensions["storage"].presigned_url("csp-origin"))
    except Exception:  # e.g. no credentials yet: media cannot play anyway, but the pages must stay up
        log.warning("could not sign a URL to learn the bucket's origin for the CSP", exc_info=True)
    return sorted({f"{part.scheme}://{part.netloc}" for part in map(urlsplit, filter(None, urls))})
