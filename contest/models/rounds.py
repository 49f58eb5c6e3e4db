"""Judging rounds (初评 / 复评 / 终评 or any names): each round has its own window, panel settings, blind
setting, aggregation method, score visibility and promotion rule into the next round.

Every contest has at least one round (a contest built without one gets "评审" — blind, as judging always was — as it is created, see
:func:`_default_round`), so a one-round contest is configured exactly as before. The entries of round 1 are
the contest's submitted entries; the entries of a later round are those promoted into it
(:class:`RoundEntry`).
"""
import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.extensions import db
from contest.models.contest import Contest
from contest.models.types import UTCDateTime, enum_column, utcnow


class Aggregation(enum.StrEnum):
    """How a round turns its reviews' totals into an entry's score; the formulas are in
    :mod:`contest.services.results.aggregation`."""

    MEAN = "mean"
    TRIMMED_MEAN = "trimmed_mean"  # 去掉最高分和最低分: drop the k highest and k lowest
    MEDIAN = "median"
    ZSCORE = "zscore"  # per-judge z-score normalisation, rescaled to 0..100


class ScoreVisibility(enum.StrEnum):
    """When a judge may see the other judges' scores of an entry (never before submitting their own)."""

    NEVER = "never"
    AFTER_OWN = "after_own"  # once the judge has submitted their own review of the entry
    AFTER_CLOSE = "after_close"  # once the round has closed


class PromotionRule(enum.StrEnum):
    """How entries go on to the next round (applied by an organizer, recorded, reversible until the next round
    opens)."""

    TOP_N = "top_n"  # the N best overall (ties at the cut go through together)
    TOP_N_PER_CATEGORY = "top_n_per_category"  # the N best of each category
    THRESHOLD = "threshold"  # every entry whose round score is ≥ the threshold (points out of 100)
    MANUAL = "manual"  # the organizer ticks the entries


class Round(db.Model):
    """One judging round of a contest.

    Judging is open while ``opens_at <= now < closes_at`` (UTC; either may be empty: no limit) and the round is
    not closed by hand (``closed_at``). Once closed, every review of the round is locked.
    """

    __tablename__ = "judging_round"
    __table_args__ = (
        UniqueConstraint("contest_id", "position"),
        CheckConstraint("closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at", name="window_order"),
        CheckConstraint("judges_per_entry IS NULL OR judges_per_entry >= 1", name="judges_per_entry_positive"),
        CheckConstraint("judge_cap IS NULL OR judge_cap >= 1", name="judge_cap_positive"),
        CheckConstraint("trim_k >= 1", name="trim_k_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"))
    #: 1 for the first round, 2 for the next …
    position: Mapped[int] = mapped_column(default=1)
    name: Mapped[str] = mapped_column(String(50), default="评审")
    #: Judging window, UTC; None = no limit on that side.
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Closed by an organizer before ``closes_at`` (or at it): reviews lock.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Judges never learn who made an entry (see contest.services.submissions.projections).
    blind: Mapped[bool] = mapped_column(default=True)
    aggregation: Mapped[Aggregation] = mapped_column(enum_column(Aggregation), default=Aggregation.MEAN)
    #: Trimmed mean: how many of the highest and of the lowest totals are dropped.
    trim_k: Mapped[int] = mapped_column(default=1)
    score_visibility: Mapped[ScoreVisibility] = mapped_column(
        enum_column(ScoreVisibility), default=ScoreVisibility.NEVER)
    #: Assignment settings: judges per entry, most entries per judge (None = no cap), and whether a judge only
    #: judges the categories they are given.
    judges_per_entry: Mapped[int | None] = mapped_column()
    judge_cap: Mapped[int | None] = mapped_column()
    by_category: Mapped[bool] = mapped_column(default=False)
    promotion_rule: Mapped[PromotionRule] = mapped_column(
        enum_column(PromotionRule), default=PromotionRule.MANUAL)
    #: N of top_n / top_n_per_category.
    promotion_n: Mapped[int | None] = mapped_column()
    #: Threshold of the threshold rule, points out of 100.
    promotion_threshold: Mapped[Decimal | None] = mapped_column(Numeric(7, 3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    contest: Mapped[Contest] = relationship(back_populates="rounds")

    def is_closed(self, at: datetime) -> bool:
        """Closed by hand, or ``at`` (aware) is at or past ``closes_at``."""
        return self.closed_at is not None or (self.closes_at is not None and at >= self.closes_at)

    def has_opened(self, at: datetime) -> bool:
        return self.opens_at is None or at >= self.opens_at

    def is_open(self, at: datetime) -> bool:
        """Judges may save reviews: opened and not closed."""
        return self.has_opened(at) and not self.is_closed(at)

    def __repr__(self) -> str:
        return f"<Round {self.contest_id}#{self.position} {self.name}>"


class RoundEntry(db.Model):
    """An entry promoted into a round after the first, with who decided and when (round 1 holds every submitted
    entry and has no rows here)."""

    __tablename__ = "round_entry"
    __table_args__ = (
        UniqueConstraint("round_id", "entry_id"),
        Index("ix_round_entry_entry_id", "entry_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("judging_round.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"))
    promoted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    promoted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    round: Mapped[Round] = relationship()


@event.listens_for(Contest, "init")
def _default_round(contest: Contest, args, kwargs) -> None:
    """A contest is born with one round ("评审", mean, not blind) unless rounds are given."""
    if "rounds" not in kwargs:
        contest.rounds = [Round(position=1, name="评审")]
