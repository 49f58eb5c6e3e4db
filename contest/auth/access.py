"""Role checks, installed once per blueprint (never pasted per route)."""
from flask import Blueprint, abort, current_app
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
