"""Friendly error pages (HTML) for the common HTTP errors, and the one answer to a domain error no view caught
(:class:`contest.errors.DomainError`): an HTML page, or JSON for requests that want it."""
from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from contest.errors import DomainError
from contest.extensions import db
from contest.security import takes_large_body, too_large_message
from contest.infra.rate_limits import retry_after_seconds


def wants_json() -> bool:
    """The request asks for JSON (``Accept``) or sent JSON: API and upload-script calls."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.is_json or best == "application/json"


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        if wants_json():
            return jsonify(error=error.message, reasons=error.reasons), error.status
        return render_template("errors/error.html", code=error.status, message=error.reasons[0],
                               reasons=error.reasons[1:]), error.status

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error: RateLimitExceeded):
        """429 with the wait in the sentence and in ``Retry-After`` (seconds)."""
        headers = {"Retry-After": str(retry_after_seconds())}
        if wants_json():
            return jsonify(error=error.description, reasons=[error.description]), 429, headers
        return render_template("errors/error.html", code=429, message=error.description), 429, headers

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = _("The form expired or was sent from another site. Go back, reload the page and try again.")
        return render_template("errors/error.html", code=400, message=message), 400

    @app.errorhandler(413)
    def too_large(error):
        """An upload over the contest's limit (the description names it), or any other body over
        ``MAX_FORM_BYTES`` (contest/security.py); as JSON ``{"errors": [...]}`` to scripts asking for JSON."""
        if takes_large_body():
            message = _("The file is larger than this contest allows. Please upload a smaller file.")
            detail = getattr(error, "description", None)
        else:
            message, detail = too_large_message(), None
        if request.is_json or request.accept_mimetypes.best == "application/json":
            return jsonify(errors=[message, detail] if detail else [message]), 413
        return render_template("errors/error.html", code=413, message=message, detail=detail), 413

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            403: _("You do not have access to this page."),
            404: _("This page does not exist."),
            405: _("This action is not allowed here."),
        }
        message = messages.get(error.code, error.name)
        return render_template("errors/error.html", code=error.code, message=message), error.code

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_template("errors/error.html", code=500, message=_("Something went wrong on our side.")), 500
