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
    """Allowed transitions live in :data:`contest.services.submissions.entries.TRANSITIONS`."""

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
    #: What judges of a blind round read instead of the title and description, when an organizer has written
    #: a redacted version (e.g. the creator's name or school taken out); None = the original.
    blind_title: Mapped[str | None] = mapped_column(String(200))
    blind_description: Mapped[str | None] = mapped_column(Text)
    state: Mapped[EntryState] = mapped_column(
        enum_column(EntryState), default=EntryState.DRAFT, index=True
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Why the entry was withdrawn (by its creator) or disqualified (by an organizer), shown to its creator;
    #: when and by whom (None: not withdrawn nor disqualified).
    state_reason: Mapped[str | None] = mapped_column(Text)
    state_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state_changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    contest: Mapped[Contest] = relationship()
    category: Mapped[Category] = relationship()
    creator: Mapped[User] = relationship(foreign_keys=[creator_id])
    state_changed_by: Mapped[User | None] = relationship(foreign_keys=[state_changed_by_id])
    video: Mapped["Video | None"] = relationship(back_populates="entry", cascade="all, delete-orphan",
                                                 foreign_keys="Video.entry_id")

    def __repr__(self) -> str:
        return f"<Entry {self.number}>"


class Video(db.Model):
    """The current video of an entry (one per entry; a new upload replaces it).

    Storage keys are generated (never derived from the uploaded name). Probed facts are those of the
    original file: ``duration_s`` in seconds, ``width``/``height`` in coded pixels, ``rotation`` in degrees
    (display-matrix rotation, e.g. -90), ``fps`` the average frame rate, ``bytes`` the original's size.
    ``state`` is the durable processing state: the task runner re-processes ``pending``/``processing`` rows
    after a restart (see :func:`contest.services.media.jobs.recover_unfinished`); ``progress`` (0..1) is
    written while it runs. ``fingerprint`` / ``similar_entry_id`` flag a re-encoded copy of another entry for
    the organizers (:mod:`contest.services.media.duplicates`).
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
    #: Readable reason when ``state`` is failed (shown to the creator).
    error: Mapped[str | None] = mapped_column(Text)
    #: Technical detail for organizers only, never shown to creators: the exception and ffmpeg's stderr tail
    #: of a failed run, or what could not be made beside a ready rendition (e.g. the preview).
    error_detail: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    #: Share of the processing done, 0..1 (from ffmpeg's progress output; 1.0 once ready).
    progress: Mapped[float] = mapped_column(default=0.0, server_default="0")
    container: Mapped[str | None] = mapped_column(String(100))
    duration_s: Mapped[float | None] = mapped_column(index=True)
    width: Mapped[int | None]
    height: Mapped[int | None]
    rotation: Mapped[int] = mapped_column(default=0)
    video_codec: Mapped[str | None] = mapped_column(String(40))
    audio_codec: Mapped[str | None] = mapped_column(String(40))
    fps: Mapped[float | None]
    bytes: Mapped[int] = mapped_column(BigInteger)
    #: SHA-256 (hex) of the original. NULL until the worker has checked an original that the browser put
    #: straight into the bucket (:mod:`contest.services.uploads.s3_multipart`): NULL means "rules not checked yet".
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    #: Facts of the web rendition, once ready.
    rendition_width: Mapped[int | None]
    rendition_height: Mapped[int | None]
    rendition_bytes: Mapped[int | None] = mapped_column(BigInteger)
    #: The preview (小样): a small MP4 of at most ``PREVIEW_MAX_BYTES`` bytes, once ready (None if it could not
    #: be made: see ``error_detail``).
    preview_key: Mapped[str | None] = mapped_column(String(255))
    preview_bytes: Mapped[int | None] = mapped_column(BigInteger)
    #: The moment of the poster chosen by the creator, seconds from the start; None: chosen automatically.
    poster_time_s: Mapped[float | None]
    #: Perceptual fingerprint of the picture: 16 frames × 64-bit pHash as 256 hex digits
    #: (:mod:`contest.services.media.fingerprint`); None until ready or when it could not be computed.
    fingerprint: Mapped[str | None] = mapped_column(String(256))
    #: Another entry whose video looks the same (a re-encoded copy), flagged for the organizers, and the mean
    #: Hamming distance (bits of 64 per frame) between the two fingerprints.
    similar_entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id", ondelete="SET NULL"),
                                                         index=True)
    similar_distance: Mapped[float | None]
    #: When the upload of this original began (the form request's start, the tus upload's creation, the S3
    #: upload token's issue); an upload begun before the creator's deadline may finish, and the entry be
    #: submitted, within ``UPLOAD_GRACE_S`` after it. None for rows older than this column.
    upload_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    processing_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When a pending video whose last attempt failed for a server-side reason (ffmpeg missing, disk full,
    #: storage down) is tried again (:mod:`contest.services.media.failures`); None otherwise.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    entry: Mapped[Entry] = relationship(back_populates="video", foreign_keys=[entry_id])
    similar_entry: Mapped[Entry | None] = relationship(foreign_keys=[similar_entry_id])

    @property
    def display_size(self) -> tuple[int, int] | None:
        """(width, height) as shown, after rotation, or None before probing."""
        if self.width is None or self.height is None:
            return None
        if abs(self.rotation) % 180 == 90:
            return self.height, self.width
        return self.width, self.height
