"""Contest set-up: the contest itself, its categories (组别) and its rubric (criteria with weights)."""
import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.extensions import db
from contest.models.types import UTCDateTime, enum_column, utcnow


class Orientation(enum.StrEnum):
    """Orientation of the *displayed* picture (after rotation and pixel aspect ratio are applied). Square
    means exactly as wide as tall. Stored as VARCHAR(20) without a CHECK (see ``enum_column``), so a new
    value needs no schema change."""

    ANY = "any"
    PORTRAIT = "portrait"
    LANDSCAPE = "landscape"
    SQUARE = "square"


#: Container families an organizer may allow: key stored in ``Contest.allowed_containers`` → name shown to
#: people. "mp4" is the ISO media family (.mp4 .mov .m4v .3gp: one format, read by one demuxer); the ffprobe
#: format names of each family are in :data:`contest.services.media.rules.CONTAINER_FORMATS`.
CONTAINER_LABELS = {
    "mp4": "MP4 / MOV", "webm": "WebM / MKV", "ts": "TS / MTS", "avi": "AVI", "flv": "FLV", "wmv": "WMV",
    "mpg": "MPG / VOB",
}
#: Video codecs an organizer may require: ffprobe ``codec_name`` stored in ``Contest.allowed_video_codecs``
#: → name shown to people.
VIDEO_CODEC_LABELS = {
    "h264": "H.264", "hevc": "H.265 (HEVC)", "vp9": "VP9", "av1": "AV1", "vp8": "VP8",
    "mpeg4": "MPEG-4 Part 2",
}


class Contest(db.Model):
    __tablename__ = "contest"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="window_order"),
        CheckConstraint("max_file_bytes > 0", name="max_file_positive"),
        CheckConstraint("min_duration_s >= 0 AND max_duration_s > min_duration_s", name="duration_window"),
        CheckConstraint("max_entries_per_creator >= 1", name="max_entries_positive"),
        CheckConstraint(
            "(min_short_px IS NULL OR min_short_px > 0) AND (max_short_px IS NULL OR max_short_px > 0)"
            " AND (min_long_px IS NULL OR (min_short_px IS NOT NULL AND min_short_px <= min_long_px))"
            " AND (max_long_px IS NULL OR (max_short_px IS NOT NULL AND max_short_px <= max_long_px))",
            name="resolution_sides"),
        CheckConstraint("min_short_px IS NULL OR max_short_px IS NULL"
                        " OR (min_short_px <= max_short_px AND (min_long_px IS NULL OR max_long_px IS NULL"
                        " OR min_long_px <= max_long_px))", name="resolution_window"),
        CheckConstraint("(min_fps IS NULL OR min_fps > 0) AND (max_fps IS NULL OR max_fps > 0)"
                        " AND (min_fps IS NULL OR max_fps IS NULL OR min_fps <= max_fps)", name="fps_window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short code that prefixes entry numbers, e.g. ``XH2026`` → ``XH2026-0001``.
    code: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    theme: Mapped[str] = mapped_column(String(200), default="")
    rules: Mapped[str] = mapped_column(Text, default="")
    #: Submission window, UTC (shown in Asia/Shanghai).
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Largest accepted original file, bytes.
    max_file_bytes: Mapped[int] = mapped_column(BigInteger, default=500 * 1024 * 1024)
    #: Accepted duration window, seconds (inclusive).
    min_duration_s: Mapped[float] = mapped_column(default=1.0)
    max_duration_s: Mapped[float] = mapped_column(default=300.0)
    orientation: Mapped[Orientation] = mapped_column(
        enum_column(Orientation), default=Orientation.ANY
    )
    # Technical requirements, checked by :func:`contest.services.media.rules.check`. Empty / NULL = no limit.
    #: Allowed container families, comma-separated keys of :data:`CONTAINER_LABELS` (``"mp4,webm"``).
    allowed_containers: Mapped[str] = mapped_column(String(100), default="", server_default="")
    #: Allowed video codecs, comma-separated keys of :data:`VIDEO_CODEC_LABELS` (``"h264"``).
    allowed_video_codecs: Mapped[str] = mapped_column(String(100), default="", server_default="")
    #: Resolution window of the displayed picture, pixels, as its short and long side whatever the
    #: orientation: an organizer's "1080×1920" is short ≥ 1080 and long ≥ 1920 (portrait or landscape is
    #: the separate ``orientation`` rule); "1080" (1080p) is a short side alone. A long side needs a short.
    min_short_px: Mapped[int | None] = mapped_column()
    min_long_px: Mapped[int | None] = mapped_column()
    max_short_px: Mapped[int | None] = mapped_column()
    max_long_px: Mapped[int | None] = mapped_column()
    #: Average frame-rate window, frames per second (inclusive, 1 % tolerance: 29.97 meets 30).
    min_fps: Mapped[float | None] = mapped_column()
    max_fps: Mapped[float | None] = mapped_column()
    #: The video must have a sound track.
    audio_required: Mapped[bool] = mapped_column(default=False, server_default=false())
    max_entries_per_creator: Mapped[int] = mapped_column(default=3)
    #: Only approved alliance members (``User.membership``) may submit entries.
    members_only: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Last entry sequence number handed out; see :func:`contest.services.submissions.entries.next_entry_number`.
    entry_seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    categories: Mapped[list["Category"]] = relationship(
        back_populates="contest", order_by="Category.position", cascade="all, delete-orphan"
    )
    criteria: Mapped[list["Criterion"]] = relationship(
        back_populates="contest", order_by="Criterion.position", cascade="all, delete-orphan"
    )
    #: Judging rounds, first to last (at least one: contest.models.rounds).
    rounds: Mapped[list["Round"]] = relationship(  # noqa: F821 (contest.models.rounds imports this module)
        back_populates="contest", order_by="Round.position", cascade="all, delete-orphan"
    )

    def is_open(self, at: datetime) -> bool:
        """True when ``at`` (aware) lies in ``[opens_at, closes_at)``."""
        return self.opens_at <= at < self.closes_at

    @property
    def container_list(self) -> list[str]:
        """Allowed container family keys; empty = any readable video."""
        return [key for key in (self.allowed_containers or "").split(",") if key]

    @property
    def video_codec_list(self) -> list[str]:
        """Allowed video codec keys; empty = any."""
        return [key for key in (self.allowed_video_codecs or "").split(",") if key]

    @property
    def container_names(self) -> list[str]:
        """Names of the allowed container families, for people (``["MP4 / MOV"]``)."""
        return [CONTAINER_LABELS.get(key, key) for key in self.container_list]

    @property
    def video_codec_names(self) -> list[str]:
        return [VIDEO_CODEC_LABELS.get(key, key) for key in self.video_codec_list]

    @property
    def min_resolution(self) -> str:
        """The minimum resolution in the organizer's notation (see :meth:`resolution_text`)."""
        return self.resolution_text(self.min_short_px, self.min_long_px)

    @property
    def max_resolution(self) -> str:
        return self.resolution_text(self.max_short_px, self.max_long_px)

    def resolution_text(self, short: int | None, long: int | None) -> str:
        """``"1080×1920"`` (width×height; landscape contests get ``"1920×1080"``), ``"1080p"`` for a short
        side alone, ``""`` for no limit."""
        if short is None:
            return ""
        if long is None:
            return f"{short}p"
        return f"{long}×{short}" if self.orientation == Orientation.LANDSCAPE else f"{short}×{long}"

    def __repr__(self) -> str:
        return f"<Contest {self.code}>"


class Category(db.Model):
    """组别: a division of a contest; entries are ranked within their category too."""

    __tablename__ = "category"
    __table_args__ = (UniqueConstraint("contest_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    contest: Mapped[Contest] = relationship(back_populates="categories")


class Criterion(db.Model):
    """One line of the rubric. A judge gives 0..``max_points`` points; the criterion counts ``weight`` percent
    of the weighted total (the weights of a contest add up to 100, checked by
    :func:`contest.services.contests.setup.set_rubric`)."""

    __tablename__ = "criterion"
    __table_args__ = (
        UniqueConstraint("contest_id", "name"),
        CheckConstraint("max_points > 0", name="max_points_positive"),
        CheckConstraint("weight > 0 AND weight <= 100", name="weight_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Highest score a judge may give, points.
    max_points: Mapped[int] = mapped_column(default=10)
    #: Share of the weighted total, whole percent (1..100).
    weight: Mapped[int] = mapped_column()
    position: Mapped[int] = mapped_column(default=0)

    contest: Mapped[Contest] = relationship(back_populates="criteria")
