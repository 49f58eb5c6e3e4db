"""A round's panel assigned by the plan: N per entry, recorded conflicts and the creator never paired, loads
within one, caps, categories; an impossible request names the entries and writes nothing."""
import pytest
from sqlalchemy import func, select

from contest.models import Assignment, AuditAction, AuditEvent, EntryState
from tests.people import Role
from contest.services.judging import panel, recusal
from contest.services.judging.planning import PlanningError


@pytest.fixture(autouse=True)
def english(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture
def world(db, make_contest, make_user, make_entry):
    contest = make_contest()
    judges = [make_user(Role.JUDGE) for _ in range(4)]
    creator = make_user(Role.CREATOR)
    entries = [make_entry(contest=contest, creator=creator, state=EntryState.SUBMITTED,
                          category=contest.categories[i % 2]) for i in range(6)]
    return contest, judges, entries, creator


def pairs(db, round_id):
    return set(db.session.execute(select(Assignment.judge_id, Assignment.entry_id)
                                  .where(Assignment.round_id == round_id)).all())


def test_plan_gives_every_entry_n_judges_balanced_and_never_a_conflict(db, world):
    contest, judges, entries, creator = world
    round_ = contest.rounds[0]
    recusal.add_conflict(entry=entries[0], judge=judges[0], reason="同一单位", by=creator)
    plan = panel.assign_round(round_=round_, judges={j.id: frozenset() for j in judges}, per_entry=2, cap=None)
    db.session.commit()
    made = pairs(db, round_.id)
    assert len(made) == 12 == len(plan.pairs)
    assert all(sum(1 for _j, e in made if e == entry.id) == 2 for entry in entries)
    assert (judges[0].id, entries[0].id) not in made
    loads = [sum(1 for j, _e in made if j == judge.id) for judge in judges]
    assert max(loads) - min(loads) <= 1
    assert (round_.judges_per_entry, round_.judge_cap) == (2, None)
    assert set(panel.panel_of(round_)) == {j.id for j in judges}
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == AuditAction.ASSIGNMENT_CREATED)) == 12
    # run again: existing assignments count, nothing new
    assert panel.assign_round(round_=round_, judges={j.id: frozenset() for j in judges}, per_entry=2,
                              cap=None).pairs == []


def test_the_creator_never_judges_their_own_entry(db, world, make_user, make_entry):
    contest, judges, entries, creator = world
    own = make_entry(contest=contest, creator=judges[1], state=EntryState.SUBMITTED)
    panel.assign_round(round_=contest.rounds[0], judges={j.id: frozenset() for j in judges}, per_entry=3, cap=None)
    assert (judges[1].id, own.id) not in pairs(db, contest.rounds[0].id)


def test_categories_and_caps_hold_and_an_impossible_plan_names_entries_and_writes_nothing(db, world):
    contest, judges, entries, creator = world
    round_ = contest.rounds[0]
    round_.by_category = True
    micro, vlog = (c.id for c in contest.categories)
    chosen = {judges[0].id: frozenset({micro}), judges[1].id: frozenset({micro}),
              judges[2].id: frozenset({vlog}), judges[3].id: frozenset({vlog})}
    panel.assign_round(round_=round_, judges=chosen, per_entry=2, cap=3)
    db.session.commit()
    category = {e.id: e.category_id for e in entries}
    assert all(category[e] in chosen[j] for j, e in pairs(db, round_.id))
    with pytest.raises(PlanningError) as caught:
        panel.assign_round(round_=round_, judges=chosen, per_entry=3, cap=None)
    assert entries[0].number in str(caught.value)
    db.session.rollback()
    assert len(pairs(db, round_.id)) == 12


def test_same_unit_written_differently_is_a_conflict_and_never_assigned(db, world):
    contest, judges, entries, creator = world
    creator.unit = "杭州 星河传媒有限公司"
    judges[0].unit = "杭州星河传媒有限责任公司"
    db.session.commit()
    panel.assign_round(round_=contest.rounds[0], judges={j.id: frozenset() for j in judges}, per_entry=3, cap=None)
    assert not any(j == judges[0].id for j, _e in pairs(db, contest.rounds[0].id))
    derived = panel.derived_conflicts(contest.rounds[0])
    assert {number for judge, number, _r in derived if judge.id == judges[0].id} == {e.number for e in entries}


def test_the_contest_wide_assignment_and_a_recusal_skip_derived_conflicts_too(db, world):
    from contest.services.judging.assignments import assign_per_entry
    contest, judges, entries, creator = world
    creator.mcn = "星河MCN"
    judges[1].mcn = "星河 mcn"
    db.session.commit()
    assign_per_entry(contest=contest, judges=judges, per_entry=3)
    db.session.commit()
    assert not any(j == judges[1].id for j, _e in pairs(db, contest.rounds[0].id))
    # 评委0 steps aside from entry 0: the seat may not go to 评委1 (same MCN as the creator)
    assignment = db.session.scalar(select(Assignment).where(Assignment.entry_id == entries[0].id,
                                                            Assignment.judge_id == judges[0].id))
    done = recusal.recuse(assignment=assignment, reason="认识作者")
    assert done.replacement is None and entries[0].number in done.why
