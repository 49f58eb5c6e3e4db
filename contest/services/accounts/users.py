"""Accounts: creating users. Flushes, never commits."""
from sqlalchemy import func, select

from contest.errors import DomainError
from contest.extensions import db
from contest.models import Role, User


class AccountError(DomainError):
    """A user could not be created; the message is for people."""


def create_user(*, username: str, password: str, role: Role, display_name: str | None = None,
                email: str | None = None) -> User:
    """Create a user with an argon2 password hash.

    Raises :class:`AccountError` if the username (compared case-insensitively) is taken, the username,
    display name or e-mail is longer than its column (80 / 80 / 254 characters; PostgreSQL would refuse the
    row, SQLite would keep it), or the password is shorter than 8 characters.
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
    if len(password) < 8:
        raise AccountError(_("The password needs at least 8 characters."))
    user = User(username=username, display_name=display_name, email=email or None, role=Role(role))
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(*, username: str, password: str) -> User | None:
    """The active user with this username and password, else None (same answer for unknown names)."""
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None or not user.active or not user.check_password(password):
        return None
    return user
