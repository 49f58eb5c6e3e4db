"""Judging: a judge's review of an assigned entry, its scores per criterion and its weighted total.

Writes flush and never commit; the request commits once. Rules:

- only entries in state ``submitted`` can be reviewed;
- a review is unique per assignment and a score is unique per review and criterion, so saving twice
  updates the same rows;
- a draft may leave criteria unscored; submitting needs every criterion of the contest scored;
- a submitted review is final (:class:`ReviewError` "already submitted"): it counts in the results from that
  moment, and letting judges edit it afterwards would move published rankings without a trace. The only way
  past it is an organizer's recorded action: allowing a new video voids the entry's reviews
  (:mod:`contest.services.judging.voiding`), and the judge then scores the new video in a fresh review.
"""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from math import lcm

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from contest.errors import DomainError
from contest.extensions import db
from contest.infra.sqlite import lock_for_write
from contest.models import (
    Assignment,
    AuditAction,
    Criterion,
    CriterionScore,
    EntryState,
    Review,
    ReviewState,
    utcnow,
)
from contest.services.audit.judging import record_review_saved, review_values
from contest.services.audit.record import record
from contest.services.judging.changes import progress_changed
from contest.services.judging.rounds import check_accepts_reviews

# The read side (queue, progress, next entry, one assignment) is in judging_queries; its names stay importable
# from here.
from contest.services.judging.queries import (  # noqa: F401
    judge_assignment,
    judge_progress,
    judge_queue,
    judge_queue_page,
    next_unsubmitted,
)

#: Scores are kept with two decimals (column ``criterion_score.points`` is NUMERIC(6, 2)).
POINTS_STEP = Decimal("0.01")
#: Totals are kept with three decimals (column ``review.total`` is NUMERIC(7, 3)).
TOTAL_STEP = Decimal("0.001")


class ReviewError(DomainError):
    """A review could not be saved; ``str(error)`` is for people.

    ``criterion_errors`` maps criterion id → message for each score at fault (empty when the review as a whole
    is refused, e.g. it was already submitted).
    """

    def __init__(self, message: str, criterion_errors: dict[int, str] | None = None):
        super().__init__(message)
        self.criterion_errors = criterion_errors or {}


def update_review_total(review: Review) -> Decimal | None:
    """Compute, store and return ``review.total``: the weighted total in points out of 100.

    Formula: ``total = Σ_c (points_c / max_points_c) × weight_c`` over the criteria ``c`` of the entry's
    contest, where ``weight_c`` is in whole percent and the weights add up to 100 (checked by the rubric
    set-up), so the total lies in 0..100. It is computed exactly with :class:`~decimal.Decimal` (over a
    common denominator, one division) and rounded half-up to 3 decimals. Example: weights 40/30/30, all out
    of 10, scores 8/7/9 → 0.8×40 + 0.7×30 + 0.9×30 = 80.000.

    The total is None unless every criterion of the contest has a score (a partial draft has no total).
    This function is the only writer of ``Review.total``.
    """
    criteria = review.assignment.entry.contest.criteria
    points = {score.criterion_id: score.points for score in review.scores}
    if not criteria or any(points.get(c.id) is None for c in criteria):
        review.total = None
        return None
    common = lcm(*(c.max_points for c in criteria))
    numerator = sum(Decimal(points[c.id]) * c.weight * (common // c.max_points) for c in criteria)
    review.total = (numerator / common).quantize(TOTAL_STEP, rounding=ROUND_HALF_UP)
    return review.total


def save_review(*, assignment: Assignment, scores: dict[int, Decimal | None], comment: str,
                submit: bool) -> Review:
    """Create or update the review of ``assignment`` and return it (flushed).

    ``scores`` maps criterion id → points (0..``max_points``, at most two decimals); a missing key or None
    means "not scored". The given scores replace the review's scores as a whole (a criterion left out loses
    its score). With ``submit`` the review becomes final (state submitted, ``submitted_at`` set). The
    weighted total is refreshed by :func:`update_review_total`.

    Everything is checked before any row changes. Raises :class:`ReviewError` when the entry is not in state
    submitted, the review was already submitted, a criterion id is not in the contest's rubric, a score is out
    of range or has more than two decimals, or ``submit`` is asked while a criterion is unscored.

    Raises :class:`~contest.services.judging.rounds.RoundClosed` (nothing changed) when the assignment's round
    has not opened or has closed; the round row is read under a shared lock, so a save racing the round's close
    either lands before it or is refused.

    Concurrent saves of the same review (a double click, two tabs) run one after the other: the assignment row
    is locked first (:func:`_lock_assignment`), so the later save updates the review the earlier one wrote, or
    finds it submitted, instead of inserting a second review.
    """
    _lock_assignment(assignment)
    check_accepts_reviews(assignment.round)
    entry = assignment.entry
    if entry.state != EntryState.SUBMITTED:
        raise ReviewError(_("Entry %(number)s is not open for judging.", number=entry.number))
    review = assignment.review
    if review is not None and review.state == ReviewState.SUBMITTED:
        raise ReviewError(_("These scores were already submitted and are final."))
    clean = _checked_scores(entry.contest.criteria, scores, submit=submit)
    before = review_values(review, entry.contest.criteria)
    if review is None:
        review = Review(assignment=assignment)
        db.session.add(review)
    review.comment = (comment or "").strip()
    _replace_scores(review, clean)
    if submit:
        review.state = ReviewState.SUBMITTED
        review.submitted_at = utcnow()
    update_review_total(review)
    db.session.flush()
    record_review_saved(review, before, submitted=submit)
    progress_changed(entry.contest_id)
    return review


def _lock_assignment(assignment: Assignment) -> None:
    """Lock the assignment row until the transaction ends and re-read its review and scores, which another
    transaction may have written while we waited: ``SELECT … FOR UPDATE`` on PostgreSQL; SQLite has no row
    locks, so there the database's write lock is taken first (:func:`contest.infra.sqlite.lock_for_write`)."""
    lock_for_write(db.session)
    if assignment.id is None:  # made in this transaction and not written yet
        db.session.flush()
    db.session.scalars(
        select(Assignment).where(Assignment.id == assignment.id)
        .options(selectinload(Assignment.review).selectinload(Review.scores))
        .with_for_update(of=Assignment)
        .execution_options(populate_existing=True)
    ).one()


def _checked_scores(criteria: list[Criterion], scores: dict[int, Decimal | None], *,
                    submit: bool) -> dict[int, Decimal]:
    """The scores that are given, as Decimals, or ReviewError listing every fault by criterion."""
    by_id = {c.id: c for c in criteria}
    unknown = sorted(set(scores) - set(by_id))
    if unknown:
        raise ReviewError(_("Unknown criterion: %(ids)s.", ids=", ".join(map(str, unknown))))
    clean, errors = {}, {}
    for criterion in criteria:
        value = scores.get(criterion.id)
        if value is None:
            if submit:
                errors[criterion.id] = _(
                    "%(criterion)s: give a score (0 to %(max)s points) before submitting.",
                    criterion=criterion.name, max=criterion.max_points)
            continue
        points, error = _check_points(criterion, value)
        if error:
            errors[criterion.id] = error
        else:
            clean[criterion.id] = points
    if errors:
        raise ReviewError(" ".join(errors.values()), errors)
    return clean


def _check_points(criterion: Criterion, value) -> tuple[Decimal | None, str | None]:
    try:
        points = Decimal(str(value).strip())
    except InvalidOperation:
        points = Decimal("NaN")
    if not points.is_finite() or not 0 <= points <= criterion.max_points:
        return None, _("%(criterion)s: give between 0 and %(max)s points.",
                       criterion=criterion.name, max=criterion.max_points)
    if points != points.quantize(POINTS_STEP):
        return None, _("%(criterion)s: use at most two decimals (0 to %(max)s points).",
                       criterion=criterion.name, max=criterion.max_points)
    return points.quantize(POINTS_STEP), None


def _replace_scores(review: Review, points: dict[int, Decimal]) -> None:
    """Update score rows in place (one per criterion), add new ones, drop the ones no longer given."""
    existing = {score.criterion_id: score for score in review.scores}
    for criterion_id, score in existing.items():
        if criterion_id not in points:
            review.scores.remove(score)
    for criterion_id, value in points.items():
        if criterion_id in existing:
            existing[criterion_id].points = value
        else:
            review.scores.append(CriterionScore(criterion_id=criterion_id, points=value))



def reopen_review(*, review: Review, reason: str) -> None:
    """An organizer reopens a submitted review (state draft again, ``submitted_at`` cleared) so that its judge
    can change it; the reason is required (it goes to the audit trail). Raises :class:`ReviewError` without a
    reason or when the review is not submitted, and :class:`~contest.services.judging.rounds.RoundClosed` when
    its round is closed (closed rounds stay locked for everyone)."""
    if not (reason or "").strip():
        raise ReviewError(_("Say why the review is reopened."))
    if review.state != ReviewState.SUBMITTED:
        raise ReviewError(_("Only a submitted review can be reopened."))
    check_accepts_reviews(review.assignment.round)
    review.state = ReviewState.DRAFT
    review.submitted_at = None
    db.session.flush()
    assignment = review.assignment
    record(AuditAction.REVIEW_REOPENED, contest_id=assignment.entry.contest_id, entry_id=assignment.entry_id,
           subject_user_id=assignment.judge_id, before={"state": ReviewState.SUBMITTED, "total": review.total},
           after={"state": ReviewState.DRAFT}, reason=reason.strip())
    progress_changed(review.assignment.entry.contest_id)
