"""Accounts: one role per user (creator / judge / organizer)."""
import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from contest.extensions import db
from contest.models.types import UTCDateTime, enum_column, utcnow


class Role(enum.StrEnum):
    CREATOR = "creator"
    JUDGE = "judge"
    ORGANIZER = "organizer"


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name (ASCII letters, digits, ``_.-@``), unique, compared lower-case.
    username: Mapped[str] = mapped_column(String(80), unique=True)
    #: Name shown to people, Chinese allowed.
    display_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    #: argon2id hash (contest.services.accounts.passwords); the plain text is never kept.
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    #: Written into every session and remember-me cookie (see :meth:`get_id`); raised by one to end them all
    #: (log-out, password change, deactivation, "sign out everywhere": contest.services.accounts.sessions).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def get_id(self) -> str:  # Flask-Login: stored in the session and the remember-me cookie
        """``"<id>:<session_version>"``: a cookie carries the version it was issued for, so raising the version
        ends it (Flask-Login's "alternative tokens")."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_creator(self) -> bool:
        return self.role == Role.CREATOR

    @property
    def is_judge(self) -> bool:
        return self.role == Role.JUDGE

    @property
    def is_organizer(self) -> bool:
        return self.role == Role.ORGANIZER

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
