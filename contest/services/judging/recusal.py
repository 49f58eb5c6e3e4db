"""Conflicts of interest that people record: a judge's recusal (回避) from an assigned entry, with a reason, and
pairs an organizer enters. A recorded conflict holds for every round of the contest; a recusal frees the
judge's seat on the entry and gives it to another judge of the round's panel within the round's cap.

Writers flush and never commit; the request commits once.
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from contest.errors import DomainError
from contest.extensions import db
from contest.models import (
    Assignment,
    AuditAction,
    Conflict,
    ConflictSource,
    Contest,
    Entry,
    ReviewState,
    Round,
    RoundJudge,
    User,
)
from contest.services.audit.record import record
from contest.services.judging import conflicts as ties
from contest.services.judging.changes import progress_changed
from contest.services.judging.planning import PlanEntry, PlanJudge, PlanningError, reassign_after_recusal
from contest.services.judging.rounds import round_entry_ids


class ConflictError(DomainError):
    """A conflict request breaks a rule; the message is for people. HTTP 409."""

    status = 409


@dataclass(frozen=True)
class Recusal:
    """What a recusal did: the ``conflict`` recorded, and the ``replacement`` assignment that took the seat —
    None when no judge of the panel could (``why`` says why, for the organizer)."""

    conflict: Conflict
    replacement: Assignment | None
    why: str = ""


def recuse(*, assignment: Assignment, reason: str) -> Recusal:
    """The assigned judge declares a conflict of interest on the entry (回避): a :class:`Conflict` (source
    ``declared``) is recorded with the reason, the assignment and its draft review are removed, and the seat
    goes to the panel judge of the same round with the fewest assignments in it (ties: lower id) who is not on
    the entry, has no conflict with it, is under the round's cap and judges the entry's category when the
    round restricts by category.

    Raises :class:`ConflictError` (nothing changed) without a reason or when the judge already submitted a
    review of the entry (an organizer reopens or voids it first).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ConflictError(_("Say why you step aside from this entry (e.g. 同一单位, 亲属)."))
    review = assignment.review
    if review is not None and review.state == ReviewState.SUBMITTED:
        raise ConflictError(_("You already submitted scores for this entry; ask the organizer to reopen them "
                              "before stepping aside."))
    entry, round_, judge_id = assignment.entry, assignment.round, assignment.judge_id
    conflict = _record(entry=entry, judge_id=judge_id, source=ConflictSource.DECLARED, reason=reason,
                       by_id=judge_id)
    draft = {s.criterion_id: s.points for s in review.scores} if review is not None else None
    db.session.delete(assignment)
    db.session.flush()
    replacement, why = _fill_seat(entry=entry, round_id=round_.id, judge_id=judge_id)
    record(AuditAction.CONFLICT_RECUSED, contest_id=entry.contest_id, entry_id=entry.id,
           subject_user_id=judge_id, before={"round": round_.name, "assigned": True, "draft_scores": draft},
           after={"assigned": False, "replacement_judge_id": replacement and replacement.judge_id,
                  "unfilled": why or None}, reason=reason)
    return Recusal(conflict=conflict, replacement=replacement, why=why)


def add_conflict(*, entry: Entry, judge: User, reason: str, by: User) -> Conflict:
    """An organizer records that ``judge`` must not judge ``entry``; the judge's unsubmitted assignments to the
    entry are removed. Raises :class:`ConflictError` when the pair is already recorded, without a reason, or
    when the judge has a submitted review of the entry (reopen it first, so that no score silently
    disappears)."""
    reason = (reason or "").strip()
    if not reason:
        raise ConflictError(_("Say what the conflict is."))
    assignments = db.session.scalars(select(Assignment).where(Assignment.entry_id == entry.id,
                                                              Assignment.judge_id == judge.id)).all()
    if any(a.review is not None and a.review.state == ReviewState.SUBMITTED for a in assignments):
        raise ConflictError(_("%(judge)s already submitted scores for %(number)s; reopen them first.",
                              judge=judge.display_name, number=entry.number))
    conflict = _record(entry=entry, judge_id=judge.id, source=ConflictSource.ORGANIZER, reason=reason,
                       by_id=by.id)
    for assignment in assignments:
        db.session.delete(assignment)
    db.session.flush()
    record(AuditAction.CONFLICT_ADDED, contest_id=entry.contest_id, entry_id=entry.id, subject_user_id=judge.id,
           after={"source": ConflictSource.ORGANIZER, "removed_assignments": len(assignments)}, reason=reason)
    progress_changed(entry.contest_id)
    return conflict


def remove_conflict(*, conflict: Conflict) -> None:
    """Delete an organizer-entered pair. A judge's own recusal stays (raises :class:`ConflictError`)."""
    if conflict.source != ConflictSource.ORGANIZER:
        raise ConflictError(_("A judge's own recusal cannot be removed."))
    record(AuditAction.CONFLICT_REMOVED, contest_id=conflict.contest_id, entry_id=conflict.entry_id,
           subject_user_id=conflict.judge_id, before={"source": conflict.source, "reason": conflict.reason})
    db.session.delete(conflict)
    db.session.flush()


def recorded_conflicts(*, contest: Contest) -> list[Conflict]:
    """Every recorded conflict of the contest, newest first, with judge and entry loaded."""
    return list(db.session.scalars(
        select(Conflict).where(Conflict.contest_id == contest.id)
        .options(joinedload(Conflict.judge), joinedload(Conflict.entry))
        .order_by(Conflict.created_at.desc(), Conflict.id.desc())
    ))


def recorded_pairs(*, contest_id: int) -> set[tuple[int, int]]:
    """``{(judge_id, entry_id)}`` of the contest's recorded conflicts (one query)."""
    return set(db.session.execute(select(Conflict.judge_id, Conflict.entry_id)
                                  .where(Conflict.contest_id == contest_id)).all())


# --- helpers ------------------------------------------------------------------------------------------


def _record(*, entry: Entry, judge_id: int, source: ConflictSource, reason: str, by_id: int) -> Conflict:
    existing = db.session.scalar(select(Conflict).where(Conflict.judge_id == judge_id,
                                                        Conflict.entry_id == entry.id))
    if existing is not None:
        raise ConflictError(_("This conflict of interest is already recorded."))
    conflict = Conflict(contest_id=entry.contest_id, judge_id=judge_id, entry_id=entry.id, source=source,
                        reason=reason, created_by_id=by_id)
    db.session.add(conflict)
    return conflict


def _fill_seat(*, entry: Entry, round_id: int, judge_id: int) -> tuple[Assignment | None, str]:
    """Give the entry's seat freed by ``judge_id`` to another judge of the round's panel, as
    :func:`contest.services.judging.planning.reassign_after_recusal` chooses (least loaded, not on the entry,
    not conflicted, under the round's cap, of the entry's category when the round restricts); the reason
    when nobody can take it."""
    round_ = db.session.get(Round, round_id)
    panel = [member for member in db.session.scalars(select(RoundJudge).where(RoundJudge.round_id == round_id))
             if member.judge.active]
    if not panel:
        return None, _("The round has no panel to take the seat; assign a judge by hand.")
    judges = [PlanJudge(judge_id=member.judge_id, category_ids=frozenset(member.categories) or None)
              for member in panel]
    seats = db.session.execute(select(Assignment.judge_id, Assignment.entry_id)
                               .where(Assignment.round_id == round_id)).all()
    conflicts = conflicted_pairs(round_, [member.judge_id for member in panel], entry_ids=[entry.id])
    try:
        chosen = reassign_after_recusal(
            PlanEntry(entry_id=entry.id, category_id=entry.category_id, number=entry.number), judge_id, judges,
            [*seats, (judge_id, entry.id)], conflicts, cap=round_.judge_cap, restrict_by_category=round_.by_category)
    except PlanningError as exc:
        return None, str(exc)
    replacement = Assignment(round_id=round_id, judge_id=chosen, entry_id=entry.id)
    db.session.add(replacement)
    db.session.flush()
    return replacement, ""


def conflicted_pairs(round_: Round, judge_ids: list[int], *, recorded: bool = True,
                     entry_ids: list[int] | None = None) -> dict[tuple[int, int], tuple]:
    """Every conflicted ``(judge_id, entry_id)`` pair among the judges and the round's entries (only
    ``entry_ids`` when given): recorded ones (unless ``recorded`` is False) and those derived from units, MCNs
    and authorship (:func:`ties.derive_conflicts`), with their reasons (:class:`ties.ConflictReason`)."""
    judges = db.session.scalars(select(User).where(User.id.in_(judge_ids))).all()
    judge_ties = [ties.JudgeTies(judge_id=u.id, unit=u.unit, mcn=u.mcn, user_id=u.id) for u in judges]
    stmt = (select(Entry.id, Entry.category_id, User.id, User.unit, User.mcn)
            .join(User, User.id == Entry.creator_id).where(Entry.id.in_(round_entry_ids(round_))))
    if entry_ids is not None:
        stmt = stmt.where(Entry.id.in_(entry_ids))
    rows = db.session.execute(stmt).all()
    entry_ties = [ties.EntryTies(entry_id=entry_id, category_id=category_id, creator_user_ids=(creator_id,),
                                 creator_units=(unit,) if unit else (), creator_mcns=(mcn,) if mcn else ())
                  for entry_id, category_id, creator_id, unit, mcn in rows]
    organizer_pairs = [pair for pair in recorded_pairs(contest_id=round_.contest_id)
                       if entry_ids is None or pair[1] in entry_ids] if recorded else []
    return ties.derive_conflicts(judge_ties, entry_ties, organizer_pairs=organizer_pairs)
