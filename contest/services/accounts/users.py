"""Accounts: creating users, logging in, changing a password. Flushes, never commits."""
from sqlalchemy import func, select

from contest.extensions import db
from contest.models import Contest, Membership, User
from contest.services.accounts.errors import AccountError, WrongPasswordError
from contest.services.accounts.passwords import (
    check_new_password,
    hash_password,
    needs_rehash,
    spend_a_verify,
    verify_password,
)
from contest.services.accounts.sessions import end_all_sessions

__all__ = ["AccountError", "authenticate", "change_password", "create_user"]


def create_user(*, username: str, password: str, display_name: str | None = None, email: str | None = None,
                is_admin: bool = False, membership: Membership = Membership.APPROVED) -> User:
    """Create a user with an argon2id password hash; ``is_admin``: a site administrator; ``membership``:
    ``pending`` for an application waiting for approval (:mod:`contest.services.accounts.membership`).

    Raises :class:`AccountError` if the username (compared case-insensitively) is taken, the username,
    display name or e-mail is longer than its column (80 / 80 / 254 characters; PostgreSQL would refuse the
    row, SQLite would keep it), or the password breaks the policy
    (:func:`contest.services.accounts.passwords.password_problems`).
    """
    from flask_babel import gettext as _

    username = username.strip()
    display_name = (display_name or username).strip()
    too_long = [
        (username, User.username, _("The username may have at most %(max)d characters.")),
        (display_name, User.display_name, _("The name shown to others may have at most %(max)d characters.")),
        (email or "", User.email, _("The e-mail address may have at most %(max)d characters.")),
    ]
    for value, column, message in too_long:
        if len(value) > column.type.length:
            raise AccountError(message % {"max": column.type.length})
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise AccountError(_("The username %(name)s is already taken.", name=username))
    check_new_password(password, names=[username, display_name, email, *_contest_names()])
    user = User(username=username, display_name=display_name, email=email or None, is_admin=is_admin,
                membership=Membership(membership), password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(*, username: str, password: str) -> User | None:
    """The user with this username and password, else None (the same answer for unknown names). A hash made
    with older argon2 parameters is replaced by one with the current ones (flushed; the caller commits).

    Raises :class:`AccountError` (403) when the password is right but the account was deactivated: only
    someone who knows the password learns that.
    """
    from flask_babel import gettext as _

    user = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None:
        spend_a_verify(password)
        return None
    if not verify_password(password_hash=user.password_hash, password=password):
        return None
    if not user.active:
        raise AccountError(_("This account has been deactivated. Please contact the contest organizer."),
                           status=403)
    if needs_rehash(password_hash=user.password_hash, password=password):
        user.password_hash = hash_password(password)
        db.session.flush()
    return user


def change_password(*, user: User, current_password: str, new_password: str) -> None:
    """Replace ``user``'s password and end every session of theirs (the caller logs the current browser in
    again with the new session version). Raises :class:`WrongPasswordError` when ``current_password`` is
    wrong, :class:`AccountError` when the new one breaks the policy."""
    from flask_babel import gettext as _

    if not verify_password(password_hash=user.password_hash, password=current_password):
        raise WrongPasswordError(_("The current password is wrong."))
    check_new_password(new_password, names=[user.username, user.display_name, user.email, *_contest_names()])
    user.password_hash = hash_password(new_password)
    db.session.flush()
    end_all_sessions(user=user)


def _contest_names() -> list[str]:
    """Codes and titles of every contest: words a password must not be."""
    return [name for row in db.session.execute(select(Contest.code, Contest.title)) for name in row]
