"""Play counts (播放量) per entry and platform, and the last counted play of each viewer on this site.

Today only ``site`` (plays on this platform's watch pages, shown as 本站播放) is counted; later a ledger adds
抖音, 快手, 视频号, B站 … as further platforms of the same shape.
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


class PlayView(db.Model):
    """When a play of ``entry`` by one viewer was last counted
    (:func:`contest.services.metrics.plays.record_play`).

    ``viewer_key`` names the viewer: ``user:<id>``, ``cookie:<value>`` or ``addr:<hash of address and user
    agent>``. One row per (entry, viewer): the unique constraint and a conditional UPDATE of ``counted_at``
    make "one play per viewer per ``PLAY_WINDOW_S``" hold under concurrent reports.
    """

    __tablename__ = "play_view"
    __table_args__ = (UniqueConstraint("entry_id", "viewer_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"))
    viewer_key: Mapped[str] = mapped_column(String(100))
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime())
