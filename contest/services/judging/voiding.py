"""Replacing the video of an entry that judges have reviewed: refused unless an organizer allows it, and then
the reviews of the old video are voided. Writes flush and never commit.

Rules:

- once any judge has saved a review of an entry (draft or submitted), every upload path refuses a new video
  (:func:`require_replaceable`, called by :func:`contest.services.uploads.admission.require_can_upload`): the
  scores would otherwise rank a video the judges never saw;
- an organizer may allow one replacement, giving a reason (:func:`allow_replacement`): a
  :class:`~contest.models.ReplacementPermit`, open until the next upload uses it or the organizer revokes it
  (:func:`revoke_permit`);
- the upload that uses it (:func:`use_permit`, called by
  :func:`contest.services.uploads.admission.replace_video`) voids the entry's reviews: each is copied into a
  :class:`~contest.models.VoidedReview` (scores, total, state, who allowed it, when, why) and deleted, so it
  no longer counts in results, progress or the judge's queue, and the judge scores the new video in a fresh
  review. Judges see why (:func:`voided_notices`).

Reviews are voided when the video is replaced, not when the permission is given: until then they still score
the video on screen, and a revoked permission changes nothing.
"""
from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload, selectinload

from contest.errors import DomainError
from contest.extensions import db
from contest.models import (
    Assignment,
    AuditAction,
    Entry,
    ReplacementPermit,
    Review,
    User,
    VoidedReview,
    utcnow,
)
from contest.services.audit.judging import record_review_voided
from contest.services.audit.record import record
from contest.services.judging.changes import progress_changed
from contest.services.submissions.entries import EDITABLE
from contest.services.submissions.errors import SubmissionError

#: Longest reason an organizer may give, characters.
MAX_REASON_CHARS = 500


class VideoLocked(SubmissionError):
    """The entry's video cannot be replaced: judges have reviewed it and no organizer allowed it."""

    status = 403


class PermitError(DomainError):
    """A permission to replace a video cannot be given or revoked; the message is for people."""


def locked_message() -> str:
    """What the creator reads when the video cannot be replaced."""
    return _("Judges have started reviewing this entry, so its video can no longer be replaced. To replace it, "
             "contact the organizer.")


def has_saved_review(entry: Entry) -> bool:
    """True when a judge has saved a review (draft or submitted) of ``entry``. One query."""
    return db.session.scalar(select(exists().where(
        Review.assignment_id == Assignment.id, Assignment.entry_id == entry.id)))


def open_permit(entry: Entry) -> ReplacementPermit | None:
    """The entry's permission not yet used nor revoked, or None. One query."""
    return db.session.scalar(
        select(ReplacementPermit)
        .where(ReplacementPermit.entry_id == entry.id, ReplacementPermit.used_at.is_(None),
               ReplacementPermit.revoked_at.is_(None))
        .order_by(ReplacementPermit.id.desc()).limit(1)
    )


def replacement_locked(entry: Entry) -> bool:
    """True when an upload for ``entry`` would be refused by :func:`require_replaceable` (one or two
    queries)."""
    return has_saved_review(entry) and open_permit(entry) is None


def require_replaceable(entry: Entry) -> None:
    """Raise :class:`VideoLocked` (a :class:`SubmissionError`, status 403) when a judge has saved a review of
    ``entry`` and no organizer's permission is open."""
    if replacement_locked(entry):
        raise VideoLocked(locked_message())


def allow_replacement(*, entry: Entry, organizer: User, reason: str) -> ReplacementPermit:
    """Let the creator of ``entry`` replace its video once; returns the new open permission (flushed).

    Raises :class:`PermitError` when ``reason`` is blank or longer than :data:`MAX_REASON_CHARS`, the entry is
    withdrawn or disqualified, no judge has saved a review of it (no permission is needed), or a permission is
    already open.
    """
    reason = (reason or "").strip()
    if not reason:
        raise PermitError(_("Give the reason for allowing a new video; the judges will read it."))
    if len(reason) > MAX_REASON_CHARS:
        raise PermitError(_("The reason can be at most %(n)s characters long.", n=MAX_REASON_CHARS))
    if entry.state not in EDITABLE:
        raise PermitError(_("This entry can no longer be changed."))
    if not has_saved_review(entry):
        raise PermitError(_("No judge has reviewed this entry yet; its creator can replace the video without "
                            "permission."))
    if open_permit(entry) is not None:
        raise PermitError(_("The creator of this entry may already replace its video."))
    permit = ReplacementPermit(entry=entry, reason=reason, allowed_by=organizer)
    db.session.add(permit)
    db.session.flush()
    record(AuditAction.REPLACEMENT_ALLOWED, contest_id=entry.contest_id, entry_id=entry.id,
           subject_user_id=entry.creator_id, after={"permit_id": permit.id}, reason=reason)
    return permit


def revoke_permit(*, permit: ReplacementPermit, organizer: User) -> None:
    """Withdraw an open permission (recorded with who and when). Raises :class:`PermitError` when it was
    already used or revoked."""
    if not permit.is_open:
        raise PermitError(_("This permission was already used or withdrawn."))
    permit.revoked_at, permit.revoked_by = utcnow(), organizer
    db.session.flush()
    record(AuditAction.REPLACEMENT_REVOKED, contest_id=permit.entry.contest_id, entry_id=permit.entry_id,
           subject_user_id=permit.entry.creator_id, before={"permit_id": permit.id})


def use_permit(*, entry: Entry) -> list[VoidedReview]:
    """Called by the upload that replaces the entry's video: uses the open permission (``used_at``) and voids
    every review of the entry; returns the voided copies (empty without an open permission).

    Raises :class:`VideoLocked` when a judge has saved a review and no permission is open (the upload paths
    check this first with :func:`require_replaceable`; a review saved since is caught here).
    """
    permit = open_permit(entry)
    if permit is None:
        require_replaceable(entry)
        return []
    permit.used_at = utcnow()
    assignments = db.session.scalars(
        select(Assignment).where(Assignment.entry_id == entry.id)
        .options(selectinload(Assignment.review).selectinload(Review.scores))
    ).all()
    voided = [_void(assignment, permit) for assignment in assignments if assignment.review is not None]
    db.session.flush()
    progress_changed(entry.contest_id)
    return voided


def _void(assignment: Assignment, permit: ReplacementPermit) -> VoidedReview:
    review = assignment.review
    record_review_voided(assignment, reason=permit.reason, permit_id=permit.id)
    copy = VoidedReview(
        assignment=assignment, permit=permit, state=review.state, comment=review.comment, total=review.total,
        scores={str(score.criterion_id): str(score.points) for score in review.scores},
        saved_at=review.updated_at, submitted_at=review.submitted_at, voided_at=permit.used_at,
        voided_reason=permit.reason, voided_by_id=permit.allowed_by_id)
    db.session.add(copy)
    assignment.review = None  # delete-orphan: the review and its scores go
    return copy


def voided_notices(*, assignment_ids: list[int]) -> dict[int, VoidedReview]:
    """``{assignment_id: its latest voided review}`` for those of ``assignment_ids`` that have one (one
    query): the judge's queue and entry page tell the judge why the entry must be scored again."""
    if not assignment_ids:
        return {}
    rows = db.session.scalars(
        select(VoidedReview).where(VoidedReview.assignment_id.in_(assignment_ids)).order_by(VoidedReview.id)
    )
    return {row.assignment_id: row for row in rows}


def permit_history(*, entry: Entry) -> list[ReplacementPermit]:
    """Every permission given for ``entry``, newest first, with who gave and revoked it (one query)."""
    return list(db.session.scalars(
        select(ReplacementPermit).where(ReplacementPermit.entry_id == entry.id)
        .options(joinedload(ReplacementPermit.allowed_by), joinedload(ReplacementPermit.revoked_by))
        .order_by(ReplacementPermit.id.desc())
    ))


def voided_reviews(*, entry: Entry) -> list[VoidedReview]:
    """Every voided review of ``entry`` with its judge and who voided it, oldest first (one query)."""
    return list(db.session.scalars(
        select(VoidedReview).join(VoidedReview.assignment).where(Assignment.entry_id == entry.id)
        .options(joinedload(VoidedReview.assignment).joinedload(Assignment.judge),
                 joinedload(VoidedReview.voided_by))
        .order_by(VoidedReview.id)
    ))
