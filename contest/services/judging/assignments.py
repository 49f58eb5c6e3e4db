"""Assignments (who judges which entry) and the judging-progress numbers organizers watch.
Writers flush and never commit; read helpers use GROUP BY queries (no per-row loads)."""
from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from contest.errors import DomainError
from contest.extensions import db
from contest.models import (
    Assignment,
    Contest,
    ContestRole,
    ContestRoleName,
    Entry,
    EntryState,
    Review,
    ReviewState,
    Round,
    RoundJudge,
    User,
)
from contest.services.audit.judging import record_assignment_removed, record_assignments_created
from contest.services.judging.changes import progress_changed
from contest.services.judging.recusal import conflicted_pairs
from contest.services.judging.rounds import current_round, round_entry_ids


class AssignmentError(DomainError):
    """An assignment request breaks a rule; the message is for people."""


@dataclass(frozen=True)
class JudgeProgress:
    """One judge's work: ``assigned`` assignments, of which ``submitted`` have a submitted review and
    ``drafts`` a saved draft (counts)."""

    judge: User
    assigned: int
    submitted: int
    drafts: int


@dataclass(frozen=True)
class ContestProgress:
    judges: list[JudgeProgress]
    assigned: int
    submitted: int
    drafts: int

    @property
    def percent(self) -> float:
        """Judging completion in percent: ``100 × submitted reviews ÷ assignments`` (0 when nothing is
        assigned), over the contest's submitted entries."""
        return 100.0 * self.submitted / self.assigned if self.assigned else 0.0


def assign_all(*, contest: Contest, judges: list[User], round_: Round | None = None) -> int:
    """Assign every judge in ``judges`` to every entry of the round (default: the contest's current round);
    existing pairs are kept and never duplicated, conflicted pairs (recorded or derived from people's ties,
    :func:`~contest.services.judging.recusal.conflicted_pairs`) are skipped, and the judges join the
    round's panel. Returns the number of new assignments. Raises :class:`AssignmentError` when no judge is
    given or one of them is not an active judge."""
    _check_judges(judges, contest)
    round_ = round_ or current_round(contest)
    have = _existing_pairs(round_)
    conflicts = conflicted_pairs(round_, [judge.id for judge in judges])
    _join_panel(round_, judges)
    created = [Assignment(round_id=round_.id, entry_id=entry_id, judge_id=judge.id)
               for entry_id in _round_entry_ids(round_) for judge in judges
               if judge.id not in have[entry_id] and (judge.id, entry_id) not in conflicts]
    db.session.add_all(created)
    db.session.flush()
    record_assignments_created(created, contest_id=contest.id)
    progress_changed(contest.id)
    return len(created)


def assign_per_entry(*, contest: Contest, judges: list[User], per_entry: int, round_: Round | None = None) -> int:
    """Give every entry of the round (default: the contest's current round) ``per_entry`` distinct judges out
    of ``judges``, spread evenly, never a conflicted pair (recorded or derived); the judges join the round's panel. Returns
    the number of new assignments.

    Judges from ``judges`` already on an entry count towards its ``per_entry`` (so a re-run creates nothing);
    other assignments are kept as they are. Entries are taken in id order; each missing seat goes to the judge
    with the fewest *new* assignments so far, ties to the lower judge id. Starting from no assignments this
    makes the judges' new loads differ by at most 1. Raises :class:`AssignmentError` when ``per_entry`` < 1,
    ``per_entry`` exceeds the number of judges, or a judge is not an active judge.
    """
    _check_judges(judges, contest)
    if per_entry < 1:
        raise AssignmentError(_("Each entry needs at least one judge."))
    if per_entry > len(judges):
        raise AssignmentError(_("You asked for %(n)s judges per entry but chose only %(judges)s judges.",
                                n=per_entry, judges=len(judges)))
    round_ = round_ or current_round(contest)
    have = _existing_pairs(round_)
    conflicts = conflicted_pairs(round_, [judge.id for judge in judges])
    _join_panel(round_, judges)
    ordered = sorted(judges, key=lambda judge: judge.id)
    load = {judge.id: 0 for judge in ordered}
    created = []
    for entry_id in _round_entry_ids(round_):
        on_entry = have[entry_id] & set(load)
        free = [judge_id for judge_id in load if judge_id not in on_entry and (judge_id, entry_id) not in conflicts]
        for judge_id in sorted(free, key=lambda j: (load[j], j))[:max(per_entry - len(on_entry), 0)]:
            created.append(Assignment(round_id=round_.id, entry_id=entry_id, judge_id=judge_id))
            load[judge_id] += 1
    db.session.add_all(created)
    db.session.flush()
    record_assignments_created(created, contest_id=contest.id)
    progress_changed(contest.id)
    return len(created)


def remove_assignment(*, assignment: Assignment) -> None:
    """Delete an assignment and its draft review, if any. Raises :class:`AssignmentError` when its review is
    submitted (submitted scores count in the results)."""
    if assignment.review is not None and assignment.review.state == ReviewState.SUBMITTED:
        raise AssignmentError(_("%(judge)s already submitted a review of this entry; the assignment stays.",
                                judge=assignment.judge.display_name))
    contest_id = assignment.entry.contest_id
    record_assignment_removed(assignment)
    db.session.delete(assignment)
    db.session.flush()
    progress_changed(contest_id)


def contest_progress(*, contest: Contest) -> ContestProgress:
    """Per-judge and overall judging progress over the contest's *submitted* entries, from one GROUP BY;
    judges by display name, then id."""
    rows = db.session.execute(
        _progress_query().join(Entry, Assignment.entry_id == Entry.id)
        .where(Entry.contest_id == contest.id, Entry.state == EntryState.SUBMITTED)
    ).all()
    judge_ids = [row[0] for row in rows]
    users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(judge_ids)))}
    judges = sorted((JudgeProgress(users[judge_id], assigned, submitted, drafts)
                     for judge_id, assigned, submitted, drafts in rows),
                    key=lambda p: (p.judge.display_name, p.judge.id))
    return ContestProgress(judges=judges, assigned=sum(p.assigned for p in judges),
                           submitted=sum(p.submitted for p in judges), drafts=sum(p.drafts for p in judges))


def judge_workloads(*, contest_ids: set[int] | None = None) -> list[JudgeProgress]:
    """Every judge (active or not: a user with a judge grant in one of ``contest_ids``, None: in any contest)
    with their assignments and reviews over those contests (all contests for None) and every entry state, by
    display name."""
    progress = _progress_query()
    if contest_ids is not None:
        progress = progress.join(Entry, Entry.id == Assignment.entry_id).where(Entry.contest_id.in_(contest_ids))
    counts = {row[0]: row[1:] for row in db.session.execute(progress)}
    grants = select(ContestRole.user_id).where(ContestRole.role == ContestRoleName.JUDGE)
    if contest_ids is not None:
        grants = grants.where(ContestRole.contest_id.in_(contest_ids))
    judges = db.session.scalars(
        select(User).where(User.id.in_(grants)).order_by(User.display_name, User.id)
    )
    return [JudgeProgress(judge, *counts.get(judge.id, (0, 0, 0))) for judge in judges]


def review_counts(*, contest: Contest, entry_ids: list[int] | None = None) -> dict[int, tuple[int, int]]:
    """``{entry_id: (submitted reviews, assignments)}`` for the contest's entries that have assignments, from
    one GROUP BY; only over ``entry_ids`` when given (e.g. the entries of one dashboard page)."""
    stmt = (
        select(Assignment.entry_id, func.count(case((Review.state == ReviewState.SUBMITTED, 1))),
               func.count(Assignment.id))
        .join(Entry, Assignment.entry_id == Entry.id).outerjoin(Review, Review.assignment_id == Assignment.id)
        .where(Entry.contest_id == contest.id).group_by(Assignment.entry_id)
    )
    if entry_ids is not None:
        stmt = stmt.where(Assignment.entry_id.in_(entry_ids))
    return {entry_id: (submitted, assigned) for entry_id, submitted, assigned in db.session.execute(stmt)}


def entry_assignments(*, entry: Entry) -> list[Assignment]:
    """The entry's assignments with judge, review and scores loaded, by judge name."""
    assignments = db.session.scalars(
        select(Assignment).where(Assignment.entry_id == entry.id)
        .options(joinedload(Assignment.judge), joinedload(Assignment.round),
                 joinedload(Assignment.review).selectinload(Review.scores))
    ).unique().all()
    return sorted(assignments, key=lambda a: (a.judge.display_name, a.judge_id))


def active_judges(*, contest: Contest) -> list[User]:
    """Active accounts holding the judge grant of ``contest``, by display name."""
    return list(db.session.scalars(
        select(User).where(User.id.in_(_judge_grants(contest)), User.active.is_(True))
        .order_by(User.display_name, User.id)
    ))


def _judge_grants(contest: Contest):
    return select(ContestRole.user_id).where(ContestRole.contest_id == contest.id,
                                             ContestRole.role == ContestRoleName.JUDGE)


# --- helpers ------------------------------------------------------------------------------------------


def _progress_query():
    """judge_id, assignments, submitted reviews, draft reviews — grouped by judge."""
    return (
        select(Assignment.judge_id, func.count(Assignment.id),
               func.count(case((Review.state == ReviewState.SUBMITTED, 1))),
               func.count(case((Review.state == ReviewState.DRAFT, 1))))
        .outerjoin(Review, Review.assignment_id == Assignment.id).group_by(Assignment.judge_id)
    )


def _check_judges(judges: list[User], contest: Contest) -> None:
    if not judges:
        raise AssignmentError(_("Choose at least one judge."))
    granted = set(db.session.scalars(_judge_grants(contest)))
    for judge in judges:
        if judge.id not in granted or not judge.active:
            raise AssignmentError(_("%(name)s is not an active judge.", name=judge.display_name))


def _round_entry_ids(round_: Round) -> list[int]:
    return list(db.session.scalars(round_entry_ids(round_).order_by(Entry.id)))


def _join_panel(round_: Round, judges: list[User]) -> None:
    """Add the judges to the round's panel (:class:`RoundJudge`, every category) unless they are on it."""
    on_panel = set(db.session.scalars(select(RoundJudge.judge_id).where(RoundJudge.round_id == round_.id)))
    db.session.add_all(RoundJudge(round_id=round_.id, judge_id=judge.id) for judge in judges
                       if judge.id not in on_panel)


def _existing_pairs(round_: Round) -> defaultdict[int, set[int]]:
    """``{entry_id: {judge_id, …}}`` of the round's existing assignments."""
    pairs: defaultdict[int, set[int]] = defaultdict(set)
    rows = db.session.execute(
        select(Assignment.entry_id, Assignment.judge_id).where(Assignment.round_id == round_.id)
    )
    for entry_id, judge_id in rows:
        pairs[entry_id].add(judge_id)
    return pairs
