"""A round's panel and its assignment: the organizer picks the judges (with the categories each judges when
the round restricts by category), N judges per entry and a per-judge cap; the plan
(:func:`contest.services.judging.planning.plan_assignments`) gives every entry of the round N judges, never a
conflicted pair (recorded conflicts, :mod:`.recusal`, and those derived from people's ties,
:func:`contest.services.judging.conflicts.derive_conflicts`), loads balanced, caps held — or says which entries
cannot be served and why. Nothing is written unless the whole plan holds.

Writers flush and never commit; the request commits once.
"""
from collections.abc import Mapping

from sqlalchemy import insert, select

from contest.extensions import db
from contest.models import Assignment, Entry, Round, RoundJudge, User, utcnow
from contest.services.audit.judging import record_assignments_created
from contest.services.judging.assignments import active_judges
from contest.services.judging.changes import progress_changed
from contest.services.judging.planning import Plan, PlanEntry, PlanJudge, plan_assignments
from contest.services.judging.recusal import conflicted_pairs
from contest.services.judging.rounds import round_entry_ids, update_round


def panel_of(round_: Round) -> dict[int, frozenset[int]]:
    """judge id → the categories they judge (empty = every category) of the round's panel."""
    return {member.judge_id: frozenset(member.categories)
            for member in db.session.scalars(select(RoundJudge).where(RoundJudge.round_id == round_.id))}


def set_panel(round_: Round, judges: Mapping[int, frozenset[int]]) -> None:
    """Make the round's panel exactly ``judges`` (judge id → categories, empty = all). Judges taken off keep
    their assignments (remove those one by one on the entry page)."""
    members = {m.judge_id: m for m in db.session.scalars(select(RoundJudge).where(RoundJudge.round_id == round_.id))}
    for judge_id, member in members.items():
        if judge_id not in judges:
            db.session.delete(member)
    for judge_id, categories in judges.items():
        text = ",".join(str(c) for c in sorted(categories))
        if judge_id in members:
            members[judge_id].category_ids = text
        else:
            db.session.add(RoundJudge(round_id=round_.id, judge_id=judge_id, category_ids=text))
    db.session.flush()


def derived_conflicts(round_: Round) -> list[tuple[User, str, tuple]]:
    """The conflicts derived from people's ties between the round's panel (every active judge when it has none
    yet) and its entries: ``(judge, entry number, reasons)``, by judge name then entry number."""
    judge_ids = list(panel_of(round_)) or [judge.id for judge in active_judges(contest=round_.contest)]
    found = conflicted_pairs(round_, judge_ids, recorded=False)
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(judge_ids)))}
    numbers = dict(db.session.execute(select(Entry.id, Entry.number)
                                      .where(Entry.id.in_([entry_id for _j, entry_id in found]))).all())
    rows = [(users[judge_id], numbers.get(entry_id, ""), reasons)
            for (judge_id, entry_id), reasons in found.items() if judge_id in users]
    return sorted(rows, key=lambda row: (row[0].display_name, row[1]))


def assign_round(*, round_: Round, judges: Mapping[int, frozenset[int]], per_entry: int,
                 cap: int | None) -> Plan:
    """Set the round's panel to ``judges`` (judge id → categories; empty = all), store ``per_entry`` and
    ``cap`` as the round's settings, and add the assignments the plan makes (existing ones count and stay).
    Returns the plan (its ``pairs`` were written, ``loads`` are per judge in the round).

    Raises :class:`~contest.services.judging.planning.PlanningError` naming the entries when the constraints
    cannot all hold (N per entry, no conflicted pair, caps, categories), and
    :class:`~contest.services.judging.rounds.RoundError` for bad settings — nothing is written either way
    (the caller rolls back).
    """
    update_round(round_=round_, judges_per_entry=per_entry, judge_cap=cap)
    set_panel(round_, judges)
    entries = [PlanEntry(entry_id=row[0], category_id=row[1], number=row[2]) for row in db.session.execute(
        select(Entry.id, Entry.category_id, Entry.number).where(Entry.id.in_(round_entry_ids(round_)))
        .order_by(Entry.id))]
    plan_judges = [PlanJudge(judge_id=judge_id, category_ids=categories or None)
                   for judge_id, categories in sorted(judges.items())]
    existing = db.session.execute(select(Assignment.judge_id, Assignment.entry_id)
                                  .where(Assignment.round_id == round_.id)).all()
    plan = plan_assignments(entries, plan_judges, per_entry, conflicted_pairs(round_, list(judges)), existing,
                            cap=cap, restrict_by_category=round_.by_category)
    if plan.pairs:
        now = utcnow()
        db.session.execute(insert(Assignment), [
            {"round_id": round_.id, "judge_id": judge_id, "entry_id": entry_id, "created_at": now}
            for judge_id, entry_id in plan.pairs])
        created = db.session.execute(select(Assignment.id, Assignment.entry_id, Assignment.judge_id)
                                     .where(Assignment.round_id == round_.id, Assignment.created_at == now)).all()
        record_assignments_created(created, contest_id=round_.contest_id)
    progress_changed(round_.contest_id)
    return plan

