"""Role checks, installed once per blueprint (never pasted per route), and the one rule for where a log-in may
send the user back to."""
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, url_for
from flask_login import current_user

from contest.models import Role


def require_role(bp: Blueprint, *roles: Role) -> None:
    """Every view of ``bp`` needs a logged-in user with one of ``roles``: anonymous users are sent to the login
    page, users with another role get 403."""

    @bp.before_request
    def _check_role():
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if current_user.role not in roles:
            abort(403)


def safe_next(target: str | None) -> str:
    """``target`` when it is a same-site relative path (``/my/``), else the home page's URL: only such paths are
    followed after log-in or a language switch."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.index")
