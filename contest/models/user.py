"""Accounts: one role per user (creator / judge / organizer)."""
import enum
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from contest.extensions import db
from contest.models.types import UTCDateTime, enum_column, utcnow

_hasher = PasswordHasher()


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
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def set_password(self, password: str) -> None:
        """Store an argon2id hash of ``password``; the plain text is never kept."""
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

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
