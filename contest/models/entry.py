"""Entries (作品) and their videos."""
import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.extensions import db
from contest.models.contest import Category, Contest
from contest.models.types import UTCDateTime, enum_column, utcnow
from contest.models.user import User


class EntryState(enum.StrEnum):
    """Allowed transitions live in :data:`contest.services.submissions.TRANSITIONS`."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    DISQUALIFIED = "disqualified"


class VideoState(enum.StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class Entry(db.Model):
    __tablename__ = "entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    #: Human number, ``<contest code>-<4-digit sequence>`` e.g. ``XH2026-0001``; unique.
    number: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[EntryState] = mapped_column(
        enum_column(EntryState), default=EntryState.DRAFT, index=True
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    contest: Mapped[Contest] = relationship()
    category: Mapped[Category] = relationship()
    creator: Mapped[User] = relationship()
    video: Mapped["Video | None"] = relationship(back_populates="entry", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Entry {self.number}>"


class Video(db.Model):
    """The current video of an entry (one per entry; a new upload replaces it).

    Storage keys are generated (never derived from the uploaded name). Probed facts are those of the
    original file: ``duration_s`` in seconds, ``width``/``height`` in coded pixels, ``rotation`` in degrees
    (display-matrix rotation, e.g. -90), ``fps`` the average frame rate, ``bytes`` the original's size.
    ``state`` is the durable processing state: the task runner re-processes ``pending``/``processing`` rows
    after a restart (see :func:`contest.services.media_jobs.recover_unfinished`).
    """

    __tablename__ = "video"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"), unique=True)
    #: The uploaded file name, for display only (may hold Chinese characters).
    original_name: Mapped[str] = mapped_column(String(255))
    original_key: Mapped[str] = mapped_column(String(255))
    poster_key: Mapped[str | None] = mapped_column(String(255))
    rendition_key: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[VideoState] = mapped_column(
        enum_column(VideoState), default=VideoState.PENDING, index=True
    )
    #: Readable reason when ``state`` is failed.
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    container: Mapped[str | None] = mapped_column(String(100))
    duration_s: Mapped[float | None]
    width: Mapped[int | None]
    height: Mapped[int | None]
    rotation: Mapped[int] = mapped_column(default=0)
    video_codec: Mapped[str | None] = mapped_column(String(40))
    audio_codec: Mapped[str | None] = mapped_column(String(40))
    fps: Mapped[float | None]
    bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    #: Facts of the web rendition, once ready.
    rendition_width: Mapped[int | None]
    rendition_height: Mapped[int | None]
    rendition_bytes: Mapped[int | None] = mapped_column(BigInteger)
    processing_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    entry: Mapped[Entry] = relationship(back_populates="video")

    @property
    def display_size(self) -> tuple[int, int] | None:
        """(width, height) as shown, after rotation, or None before probing."""
        if self.width is None or self.height is None:
            return None
        if abs(self.rotation) % 180 == 90:
            return self.height, self.width
        return self.width, self.height
