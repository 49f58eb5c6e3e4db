"""Column types shared by the models."""
from datetime import datetime, timezone

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every engine.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so values are stored as naive UTC and given
    ``tzinfo=UTC`` again when read. Naive datetimes are refused on write (``ValueError``) so that local times
    can never sneak in unconverted.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone first")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def enum_column(enum_cls) -> Enum:
    """A portable enum column (VARCHAR(20), no native type) that stores member *values* (``"submitted"``),
    not names, so raw SQL and exports read naturally; unknown strings are refused on write."""
    return Enum(enum_cls, native_enum=False, length=20, validate_strings=True,
                values_callable=lambda cls: [member.value for member in cls])


def utcnow() -> datetime:
    """Now, timezone-aware in UTC."""
    return datetime.now(timezone.utc)
