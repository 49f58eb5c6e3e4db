"""Judging: who judges what (assignment), a judge's review and its score per criterion.

Later rounds (初评/复评) add a round to the assignment; conflicts of interest and blind scoring hang off the
assignment too. The shapes here are those of indico's review → rating-per-question.
"""
import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.extensions import db
from contest.models.contest import Criterion
from contest.models.entry import Entry
from contest.models.rounds import Round
from contest.models.types import UTCDateTime, enum_column, utcnow
from contest.models.user import User


def _first_round_of_entry(context) -> int | None:
    """Default ``round_id`` of an assignment made without one: the first round of its entry's contest (a
    one-round contest has only that one). Services of later rounds always name the round."""
    entry_id = context.get_current_parameters()["entry_id"]
    return context.connection.execute(
        text("SELECT r.id FROM judging_round r JOIN entry e ON e.contest_id = r.contest_id"
             " WHERE e.id = :entry_id ORDER BY r.position LIMIT 1"), {"entry_id": entry_id}).scalar()


class Assignment(db.Model):
    """Judge ↔ entry in one round. Unique per (round, judge, entry).

    The index on ``(judge_id, entry_id, id)`` holds every column a judge's queue needs from this table, so the
    queue and its progress read a judge's few hundred assignments from the index alone (no table rows); it
    also serves every lookup by judge.
    """

    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("round_id", "judge_id", "entry_id"),
        Index("ix_assignment_judge_queue", "judge_id", "entry_id", "id"),
        Index("ix_assignment_round_id_entry_id", "round_id", "entry_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("judging_round.id", ondelete="CASCADE"),
                                          default=_first_round_of_entry)
    judge_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    judge: Mapped[User] = relationship()
    entry: Mapped[Entry] = relationship()
    round: Mapped[Round] = relationship()
    review: Mapped["Review | None"] = relationship(back_populates="assignment", cascade="all, delete-orphan")
    #: Reviews voided when the entry's video was replaced (:class:`VoidedReview`), oldest first.
    voided_reviews: Mapped[list["VoidedReview"]] = relationship(
        back_populates="assignment", cascade="all, delete-orphan", order_by="VoidedReview.id")


class ReviewState(enum.StrEnum):
    DRAFT = "draft"  # saved, can still change; does not count
    SUBMITTED = "submitted"  # final; counts in the results


class Review(db.Model):
    """A judge's review of one assigned entry.

    ``total`` is derived: the weighted total on a 0..100 scale, written only by
    :func:`contest.services.judging.reviews.update_review_total` (formula in its docstring). A review voided
    because the entry's video was replaced is moved to :class:`VoidedReview` (this row is deleted), so every
    review here scores the entry's current video.
    """

    __tablename__ = "review"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), unique=True)
    state: Mapped[ReviewState] = mapped_column(
        enum_column(ReviewState), default=ReviewState.DRAFT
    )
    comment: Mapped[str] = mapped_column(Text, default="")
    #: Weighted total, points out of 100 (derived, one writer).
    total: Mapped[Decimal | None] = mapped_column(Numeric(7, 3))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    assignment: Mapped[Assignment] = relationship(back_populates="review")
    scores: Mapped[list["CriterionScore"]] = relationship(back_populates="review", cascade="all, delete-orphan")


class CriterionScore(db.Model):
    """Points a review gives on one criterion, 0..criterion.max_points (two decimals)."""

    __tablename__ = "criterion_score"
    __table_args__ = (UniqueConstraint("review_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id", ondelete="CASCADE"), index=True)
    points: Mapped[Decimal] = mapped_column(Numeric(6, 2))

    review: Mapped[Review] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()


class ReplacementPermit(db.Model):
    """An organizer's permission for the creator to replace the video of an entry that judges have reviewed
    (without one, every upload path refuses: :mod:`contest.services.judging.voiding`).

    It serves the next upload only: that upload sets ``used_at`` and voids the entry's reviews. Until then the
    organizer may revoke it (``revoked_at``/``revoked_by``). Open: neither used nor revoked; at most one per
    entry is open (checked by the service).
    """

    __tablename__ = "replacement_permit"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    allowed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    allowed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    entry: Mapped[Entry] = relationship()
    allowed_by: Mapped[User] = relationship(foreign_keys=[allowed_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def is_open(self) -> bool:
        return self.used_at is None and self.revoked_at is None


class VoidedReview(db.Model):
    """A review voided because the video it scored was replaced (with an organizer's
    :class:`ReplacementPermit`): the review as it stood, kept for the record, never counted anywhere.

    The live :class:`Review` row is deleted when it is voided (so ``review`` stays unique per assignment and
    every count of reviews stays as it is), and the judge scores the new video in a fresh review. ``scores``
    maps criterion id (text) → points (text, two decimals); ``voided_by`` is the organizer who allowed the
    replacement, ``voided_reason`` the reason given, ``voided_at`` the time of the replacing upload.
    """

    __tablename__ = "voided_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("replacement_permit.id", ondelete="CASCADE"), index=True)
    state: Mapped[ReviewState] = mapped_column(enum_column(ReviewState))
    comment: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[Decimal | None] = mapped_column(Numeric(7, 3))
    scores: Mapped[dict] = mapped_column(JSON, default=dict)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    voided_reason: Mapped[str] = mapped_column(Text)
    voided_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    assignment: Mapped[Assignment] = relationship(back_populates="voided_reviews")
    permit: Mapped[ReplacementPermit] = relationship()
    voided_by: Mapped[User] = relationship()
