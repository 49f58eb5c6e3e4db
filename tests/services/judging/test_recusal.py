"""Recorded conflicts of interest: a judge's recusal frees the seat for another panel judge within the cap;
organizer pairs; recorded conflicts are never assigned."""
import pytest
from sqlalchemy import select

from contest.models import Assignment, Conflict, ConflictSource, EntryState, RoundJudge
from tests.people import Role
from contest.services.judging import recusal, rounds
from contest.services.judging.assignments import assign_per_entry
from contest.services.judging.reviews import save_review


@pytest.fixture(autouse=True)
def english(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture
def contest(make_contest):
    return make_contest()


@pytest.fixture
def judges(make_user):
    return [make_user(Role.JUDGE, display_name=f"评委{i}") for i in range(3)]


@pytest.fixture
def entries(make_user, make_entry, contest):
    creator = make_user(Role.CREATOR)
    return [make_entry(contest=contest, creator=creator, state=EntryState.SUBMITTED) for _ in range(3)]


def judges_of(db, entry):
    return sorted(db.session.scalars(select(Assignment.judge_id).where(Assignment.entry_id == entry.id)))


def test_recusal_records_the_conflict_and_the_least_loaded_panel_judge_takes_the_seat(db, contest, judges,
                                                                                      entries):
    assign_per_entry(contest=contest, judges=judges[:2], per_entry=1)  # 评委0: entries 0, 2; 评委1: entry 1
    db.session.add(RoundJudge(round_id=contest.rounds[0].id, judge_id=judges[2].id))
    db.session.commit()
    assignment = db.session.scalar(select(Assignment).where(Assignment.entry_id == entries[0].id))
    assert assignment.judge_id == judges[0].id
    with pytest.raises(recusal.ConflictError, match="Say why"):
        recusal.recuse(assignment=assignment, reason=" ")
    done = recusal.recuse(assignment=assignment, reason="与作者同一单位")
    db.session.commit()
    assert (done.conflict.source, done.conflict.reason, done.conflict.judge_id) == \
        (ConflictSource.DECLARED, "与作者同一单位", judges[0].id)
    assert done.replacement.judge_id == judges[2].id  # 评委2 had no assignment; 评委1 had one
    assert judges_of(db, entries[0]) == [judges[2].id]
    # the conflict holds: assigning again never gives entry 0 back to 评委0
    assign_per_entry(contest=contest, judges=judges, per_entry=3)
    assert judges[0].id not in judges_of(db, entries[0]) and len(judges_of(db, entries[0])) == 2


def test_recusal_respects_the_cap_and_says_when_nobody_can_take_the_seat(db, contest, judges, entries):
    round_ = contest.rounds[0]
    rounds.update_round(round_=round_, judge_cap=1)
    assign_per_entry(contest=contest, judges=judges[:2], per_entry=1)
    db.session.commit()
    assignment = db.session.scalar(select(Assignment).where(Assignment.entry_id == entries[1].id))
    done = recusal.recuse(assignment=assignment, reason="亲属")
    assert done.replacement is None and entries[1].number in done.why
    assert judges_of(db, entries[1]) == []


def test_a_submitted_review_blocks_recusal_and_organizer_pairs(db, contest, judges, entries):
    assign_per_entry(contest=contest, judges=judges[:1], per_entry=1)
    db.session.commit()
    assignment = db.session.scalar(select(Assignment).where(Assignment.entry_id == entries[0].id))
    save_review(assignment=assignment, scores={c.id: 5 for c in contest.criteria}, comment="", submit=True)
    db.session.commit()
    with pytest.raises(recusal.ConflictError, match="already submitted"):
        recusal.recuse(assignment=assignment, reason="同一单位")
    with pytest.raises(recusal.ConflictError, match="reopen them first"):
        recusal.add_conflict(entry=entries[0], judge=judges[0], reason="同一MCN", by=judges[1])
    db.session.rollback()
    assert db.session.scalars(select(Conflict)).all() == []


def test_organizer_pair_removes_open_assignments_and_can_be_removed_but_a_recusal_cannot(db, contest, judges,
                                                                                         entries):
    assign_per_entry(contest=contest, judges=judges[:1], per_entry=1)
    db.session.commit()
    pair = recusal.add_conflict(entry=entries[1], judge=judges[0], reason="同一MCN", by=judges[2])
    db.session.commit()
    assert judges_of(db, entries[1]) == [] and pair.source == ConflictSource.ORGANIZER
    with pytest.raises(recusal.ConflictError, match="already recorded"):
        recusal.add_conflict(entry=entries[1], judge=judges[0], reason="again", by=judges[2])
    db.session.rollback()
    assert recusal.recorded_pairs(contest_id=contest.id) == {(judges[0].id, entries[1].id)}
    recusal.remove_conflict(conflict=pair)
    own = recusal.recuse(assignment=db.session.scalar(select(Assignment).where(Assignment.entry_id == entries[0].id)),
                         reason="认识作者").conflict
    with pytest.raises(recusal.ConflictError, match="cannot be removed"):
        recusal.remove_conflict(conflict=own)
