"""What the audit trail keeps of judging actions: the scores of a review by criterion name, its total, and the
rows a save, a removal or a voiding leaves (:func:`contest.services.audit.record.record`)."""
from contest.models import Assignment, AuditAction, Review, ReviewState
from contest.services.audit.record import changed_values, jsonable, record, record_many


def review_values(review: Review | None, criteria) -> dict[str, str | None]:
    """``{criterion name: points as text or None, …, "total": total as text or None}`` of ``review`` (all None
    for no review), criteria in rubric order."""
    points = {score.criterion_id: score.points for score in review.scores} if review is not None else {}
    values = {criterion.name: points.get(criterion.id) for criterion in criteria}
    values["total"] = review.total if review is not None else None
    return jsonable(values)


def record_review_saved(review: Review, before: dict, *, submitted: bool) -> None:
    """After a judge's save: a submission leaves one ``review.submitted`` row (after: every score and the total;
    before: the values the submission changed, None when none); a draft save that changed a score leaves one
    ``review.score_changed`` row with the changed criteria and total on each side; a save that changed no
    score leaves nothing."""
    assignment = review.assignment
    after = review_values(review, assignment.entry.contest.criteria)
    old, new = changed_values(before, after)
    where = dict(contest_id=assignment.entry.contest_id, entry_id=assignment.entry_id,
                 subject_user_id=assignment.judge_id)
    if submitted:
        record(AuditAction.REVIEW_SUBMITTED, before=old or None, after=after, **where)
    elif new:
        record(AuditAction.SCORE_CHANGED, before=old, after=new, **where)


def record_assignments_created(assignments: list[Assignment], *, contest_id: int) -> None:
    """One ``assignment.created`` row per new assignment (flushed: ids known), in one statement."""
    record_many(AuditAction.ASSIGNMENT_CREATED, contest_id=contest_id, rows=[
        {"entry_id": a.entry_id, "subject_user_id": a.judge_id, "after": {"assignment_id": a.id}}
        for a in assignments])


def record_assignment_removed(assignment: Assignment) -> None:
    """One ``assignment.removed`` row; before: the draft review's scores that go with it, if any."""
    review = assignment.review
    before = {"assignment_id": assignment.id}
    if review is not None:
        before |= {"review": ReviewState(review.state).value,
                   **review_values(review, assignment.entry.contest.criteria)}
    record(AuditAction.ASSIGNMENT_REMOVED, contest_id=assignment.entry.contest_id, entry_id=assignment.entry_id,
           subject_user_id=assignment.judge_id, before=before)


def record_review_voided(assignment: Assignment, *, reason: str, permit_id: int) -> None:
    """One ``review.voided`` row for the review of ``assignment`` about to be voided; before: its state, scores
    and total."""
    review = assignment.review
    before = {"review": ReviewState(review.state).value,
              **review_values(review, assignment.entry.contest.criteria)}
    record(AuditAction.REVIEW_VOIDED, contest_id=assignment.entry.contest_id, entry_id=assignment.entry_id,
           subject_user_id=assignment.judge_id, before=before, after={"permit_id": permit_id}, reason=reason)
