"""A later deadline granted by an organizer to one creator of a contest (延长截止时间)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.extensions import db
from contest.models.types import UTCDateTime, utcnow
from contest.models.user import User


class DeadlineExtension(db.Model):
    """``creator`` may create, edit, upload, submit and withdraw entries of ``contest`` until ``closes_at``
    (later than the contest's own); one row per creator and contest, updated when granted again. Read by
    :func:`contest.services.submissions.window.require_open`."""

    __tablename__ = "deadline_extension"
    __table_args__ = (UniqueConstraint("contest_id", "creator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"))
    creator_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])
