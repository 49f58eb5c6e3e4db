"""The site's rate limits, named once and put on routes as decorators (values: ``RATELIMIT_*`` in config).

Log-in counts failures only — per account (username, case-insensitive) and per client address — so a user who
types the right password is never counted, and after the window the right password works again. The other
limits count every request they cover. A refused request answers 429 with ``Retry-After`` (seconds) and a
sentence giving the wait in minutes: an HTML page, JSON for JSON routes, plain text on tus
(:func:`contest.main.errors.register` and the upload blueprints).
"""
from flask_babel import ngettext

from contest.extensions import limiter
from contest.infra.rate_limits import (
    client_address,
    failed_attempt,
    login_name,
    retry_after_minutes,
    setting,
    user_or_address,
)


def _login_wait() -> str:
    n = retry_after_minutes()
    return ngettext("Too many log-in attempts. Please try again in %(num)d minute.",
                    "Too many log-in attempts. Please try again in %(num)d minutes.", n)


def _password_wait() -> str:
    n = retry_after_minutes()
    return ngettext("Too many wrong passwords. Please try again in %(num)d minute.",
                    "Too many wrong passwords. Please try again in %(num)d minutes.", n)


def _requests_wait() -> str:
    n = retry_after_minutes()
    return ngettext("Too many requests. Please try again in %(num)d minute.",
                    "Too many requests. Please try again in %(num)d minutes.", n)


def _uploads_wait() -> str:
    n = retry_after_minutes()
    return ngettext("Too many uploads started. Please try again in %(num)d minute.",
                    "Too many uploads started. Please try again in %(num)d minutes.", n)


login_per_account = limiter.limit(setting("RATELIMIT_LOGIN_ACCOUNT"), key_func=login_name, methods=["POST"],
                                  deduct_when=failed_attempt, error_message=_login_wait)
login_per_address = limiter.limit(setting("RATELIMIT_LOGIN_ADDRESS"), key_func=client_address,
                                  methods=["POST"], deduct_when=failed_attempt,
                                  error_message=_login_wait)
registration = limiter.limit(setting("RATELIMIT_REGISTER"), key_func=client_address, methods=["POST"],
                             error_message=_requests_wait)
password_change = limiter.limit(setting("RATELIMIT_PASSWORD_CHANGE"), key_func=user_or_address,
                                methods=["POST"], deduct_when=failed_attempt,
                                error_message=_password_wait)
plays = limiter.limit(setting("RATELIMIT_PLAYS"), key_func=client_address, error_message=_requests_wait)
#: One count per creator over the three ways to start an upload (tus creation, S3 multipart start, form).
uploads = limiter.shared_limit(setting("RATELIMIT_UPLOADS"), scope="upload-start", key_func=user_or_address,
                               methods=["POST"], error_message=_uploads_wait)
