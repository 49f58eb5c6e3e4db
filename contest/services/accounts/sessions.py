"""Sessions that end: a per-user session version in every cookie, checked on every request.

Flask-Login keeps ``User.get_id()`` = ``"<id>:<session_version>"`` in the signed session cookie and in the
"remember me" cookie. :func:`load_session_user` (the app's user loader) answers a user only while the account is
active and the version in the cookie is the current one; raising the version (:func:`end_all_sessions`) therefore
ends every session of the user on every device at once, remember-me cookies included. Log-out, a password change,
deactivation and an organizer's "sign out everywhere" all raise it. Flushes, never commits.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import update

from contest.extensions import db
from contest.models import AuditAction, Role, User
from contest.services.audit.record import record
from contest.services.accounts.errors import AccountError

#: Roles whose accounts an organizer may deactivate, reactivate or sign out everywhere.
MANAGED_ROLES = (Role.JUDGE, Role.CREATOR)


def load_session_user(token: str) -> User | None:
    """The user a session or remember-me cookie names (``"<id>:<version>"``), or None when the cookie is stale
    (another version), malformed (e.g. a plain ``"<id>"`` from before versions) or the account is inactive."""
    user_id, _sep, version = token.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def end_all_sessions(*, user: User) -> None:
    """End every session of ``user``: the version is raised by one in the database (atomically, so two
    concurrent calls both count). The caller logs the current browser in again if it should stay signed in."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1))
    db.session.refresh(user, ["session_version"])


def deactivate_account(*, user: User, by: User) -> None:
    """Deactivate a judge's or creator's account: it can no longer log in and its sessions end. Raises
    :class:`AccountError` for organizer accounts (and one's own)."""
    _check_managed(user, by)
    before = user.active
    user.active = False
    db.session.flush()
    end_all_sessions(user=user)
    record(AuditAction.ACCOUNT_DEACTIVATED, contest_id=None, subject_user_id=user.id, before={"active": before},
           after={"active": False})


def reactivate_account(*, user: User, by: User) -> None:
    """Let a deactivated judge or creator log in again (with the password they had)."""
    _check_managed(user, by)
    before = user.active
    user.active = True
    db.session.flush()
    record(AuditAction.ACCOUNT_REACTIVATED, contest_id=None, subject_user_id=user.id, before={"active": before},
           after={"active": True})


def sign_out_everywhere(*, user: User, by: User) -> None:
    """An organizer ends every session of a judge or creator (a lost phone, a shared computer)."""
    _check_managed(user, by)
    end_all_sessions(user=user)
    record(AuditAction.ACCOUNT_SIGNED_OUT, contest_id=None, subject_user_id=user.id)


def _check_managed(user: User, by: User) -> None:
    if by.role != Role.ORGANIZER or user.role not in MANAGED_ROLES or user.id == by.id:
        raise AccountError(_("Only judge and creator accounts can be managed here."), status=403)
