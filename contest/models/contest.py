"""Contest set-up: the contest itself, its categories (组别) and its rubric (criteria with weights)."""
import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.extensions import db
from contest.models.types import UTCDateTime, enum_column, utcnow


class Orientation(enum.StrEnum):
    """Orientation of the *displayed* picture (after rotation is applied)."""

    ANY = "any"
    PORTRAIT = "portrait"
    LANDSCAPE = "landscape"


class Contest(db.Model):
    __tablename__ = "contest"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="window_order"),
        CheckConstraint("max_file_bytes > 0", name="max_file_positive"),
        CheckConstraint("min_duration_s >= 0 AND max_duration_s > min_duration_s", name="duration_window"),
        CheckConstraint("max_entries_per_creator >= 1", name="max_entries_positive"),
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
    max_entries_per_creator: Mapped[int] = mapped_column(default=3)
    #: Last entry sequence number handed out; see :func:`contest.services.submissions.next_entry_number`.
    entry_seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    categories: Mapped[list["Category"]] = relationship(
        back_populates="contest", order_by="Category.position", cascade="all, delete-orphan"
    )
    criteria: Mapped[list["Criterion"]] = relationship(
        back_populates="contest", order_by="Criterion.position", cascade="all, delete-orphan"
    )

    def is_open(self, at: datetime) -> bool:
        """True when ``at`` (aware) lies in ``[opens_at, closes_at)``."""
        return self.opens_at <= at < self.closes_at

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
    :func:`contest.services.contests.set_rubric`)."""

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
