"""Play counts (播放量) per entry and platform.

Today only ``site`` (plays on this platform's watch pages) is counted; later a ledger adds 抖音, 快手, 视频号,
B站 … as further platforms of the same shape.
"""
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contest.extensions import db
from contest.models.types import UTCDateTime, utcnow

SITE = "site"


class PlayCount(db.Model):
    __tablename__ = "play_count"
    __table_args__ = (UniqueConstraint("entry_id", "platform"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(40), default=SITE)
    #: Number of plays (64-bit: totals reach billions).
    plays: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
