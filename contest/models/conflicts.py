"""Conflicts of interest (回避) that are recorded: a judge's own declaration on an entry, or a pair an organizer
enters. Conflicts derived from people's ties (same unit or MCN, the judge is the creator) are computed when
judges are assigned (:mod:`contest.services.judging.conflicts`) and never stored, so they follow profile
changes."""
import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.extensions import db
from contest.models.entry import Entry
from contest.models.types import UTCDateTime, enum_column, utcnow
from contest.models.user import User


class ConflictSource(enum.StrEnum):
    DECLARED = "declared"  # the judge recused themself (回避) with a reason
    ORGANIZER = "organizer"  # an organizer entered the pair


class Conflict(db.Model):
    """Judge ``judge`` must not judge entry ``entry`` (in any round of its contest)."""

    __tablename__ = "conflict"
    __table_args__ = (UniqueConstraint("judge_id", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"), index=True)
    source: Mapped[ConflictSource] = mapped_column(enum_column(ConflictSource))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    judge: Mapped[User] = relationship(foreign_keys=[judge_id])
    entry: Mapped[Entry] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class RoundJudge(db.Model):
    """A judge on a round's panel; ``category_ids`` (comma-separated ids, empty = every category) are the
    categories the judge judges when the round restricts judges by category."""

    __tablename__ = "round_judge"
    __table_args__ = (UniqueConstraint("round_id", "judge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("judging_round.id", ondelete="CASCADE"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    category_ids: Mapped[str] = mapped_column(Text, default="")

    judge: Mapped[User] = relationship()

    @property
    def categories(self) -> set[int]:
        return {int(part) for part in self.category_ids.split(",") if part}
