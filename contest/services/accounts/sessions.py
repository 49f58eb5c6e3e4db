"""Sessions that end: a per-user session version in every cookie, checked on every request.

Flask-Login keeps ``User.get_id()`` = ``"<id>:<session_version>"`` in the signed session cookie and in the
"remember me" cookie. :func:`load_session_user` (the app's user loader) answers a user only while the account is
active and the version in the cookie is the current one; raising the version (:func:`end_all_sessions`) therefore
ends every session of the user on every device at once, remember-me cookies included. Log-out, a password change,
deactivation and an organizer's "sign out everywhere" all raise it. Flushes, never commits.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from contest.extensions import db
from contest.models import AuditAction, User
from contest.services.audit.record import record
from contest.services.accounts.errors import AccountError
from contest.services.contests import roles


def load_session_user(token: str) -> User | None:
    """The user a session or remember-me cookie names (``"<id>:<version>"``), with their contest roles
    (``User.grants``, same query), or None when the cookie is stale (another version), malformed (e.g. a plain
    ``"<id>"`` from before versions) or the account is inactive."""
    user_id, _sep, version = token.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.scalars(select(User).where(User.id == int(user_id))
                              .options(joinedload(User.grants))).unique().one_or_none()
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def end_all_sessions(*, user: User) -> None:
    """End every session of ``user``: the version is raised by one in the database (atomically, so two
    concurrent calls both count). The caller logs the current browser in again if it should stay signed in."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1))
    db.session.refresh(user, ["session_version"])


def may_manage(*, user: User, by: User) -> bool:
    """Whether ``by`` may deactivate, reactivate or sign out everywhere ``user``: a site administrator any
    other account but an administrator's; an organizer of a contest the account takes part in (entry or
    judge grant) an account that organizes or supervises no contest. Never one's own."""
    if user.id == by.id or user.is_admin:
        return False
    if by.is_admin:
        return True
    if roles.holds_any(user, roles.ORGANIZER, roles.SUPERVISOR):
        return False
    return roles.takes_part_in(user.id, roles.contest_ids_with(by, roles.ORGANIZER))


def deactivate_account(*, user: User, by: User) -> None:
    """Deactivate an account (:func:`may_manage`): it can no longer log in and its sessions end. Raises
    :class:`AccountError` (403) when ``by`` may not manage it."""
    _check_managed(user, by)
    before = user.active
    user.active = False
    db.session.flush()
    end_all_sessions(user=user)
    record(AuditAction.ACCOUNT_DEACTIVATED, contest_id=None, subject_user_id=user.id, before={"active": before},
           after={"active": False})


def reactivate_account(*, user: User, by: User) -> None:
    """Let a deactivated account log in again (with the password it had)."""
    _check_managed(user, by)
    before = user.active
    user.active = True
    db.session.flush()
    record(AuditAction.ACCOUNT_REACTIVATED, contest_id=None, subject_user_id=user.id, before={"active": before},
           after={"active": True})


def sign_out_everywhere(*, user: User, by: User) -> None:
    """An organizer ends every session of an account they manage (a lost phone, a shared computer)."""
    _check_managed(user, by)
    end_all_sessions(user=user)
    record(AuditAction.ACCOUNT_SIGNED_OUT, contest_id=None, subject_user_id=user.id)


def _check_managed(user: User, by: User) -> None:
    if not may_manage(user=user, by=by):
        raise AccountError(_("Only judge and creator accounts can be managed here."), status=403)
