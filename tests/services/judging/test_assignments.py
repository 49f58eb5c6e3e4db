from collections import Counter

import pytest
from sqlalchemy import func, select

from contest.models import Assignment, EntryState, Review, ReviewState
from contest.services.judging.assignments import (
    AssignmentError, assign_all, assign_per_entry, contest_progress, judge_workloads, remove_assignment,
    review_counts,
)
from tests.people import Role


@pytest.fixture(autouse=True)
def english(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture
def contest(make_contest):
    return make_contest()


@pytest.fixture
def judges(make_user):
    return [make_user(Role.JUDGE) for _ in range(3)]


@pytest.fixture
def submitted(contest, make_user, make_entry):
    """``submitted(n)``: n submitted entries of ``contest``."""
    creator = make_user()

    def make(n: int):
        return [make_entry(contest=contest, creator=creator, state=EntryState.SUBMITTED) for _ in range(n)]

    return make


def pairs(db) -> list[tuple[int, int]]:
    return [tuple(row) for row in db.session.execute(select(Assignment.entry_id, Assignment.judge_id))]


def add_review(db, *, entry, judge, state) -> Assignment:
    assignment = Assignment(entry=entry, judge=judge, review=Review(state=state))
    db.session.add(assignment)
    db.session.commit()
    return assignment


def test_assign_all_pairs_every_judge_with_every_submitted_entry_once(db, contest, judges, submitted,
                                                                     make_user, make_entry):
    entries = submitted(3)
    make_entry(contest=contest, creator=make_user(), state=EntryState.DRAFT)
    make_entry(contest=contest, creator=make_user(), state=EntryState.WITHDRAWN)
    db.session.add(Assignment(entry=entries[0], judge=judges[0]))
    db.session.commit()

    assert assign_all(contest=contest, judges=judges) == 8
    db.session.commit()
    assert sorted(pairs(db)) == sorted((e.id, j.id) for e in entries for j in judges)
    assert assign_all(contest=contest, judges=judges) == 0


def test_assign_per_entry_spreads_load_evenly(db, contest, judges, submitted):
    entries = submitted(7)
    assert assign_per_entry(contest=contest, judges=judges, per_entry=2) == 14
    db.session.commit()

    per_entry = Counter(entry_id for entry_id, _ in pairs(db))
    assert set(per_entry) == {e.id for e in entries} and set(per_entry.values()) == {2}
    loads = Counter(judge_id for _, judge_id in pairs(db))
    assert [loads[j.id] for j in judges] == [5, 5, 4]  # ties go to the lower judge id


def test_assign_per_entry_rerun_creates_nothing(db, contest, judges, submitted):
    submitted(7)
    assign_per_entry(contest=contest, judges=judges, per_entry=2)
    db.session.commit()
    assert assign_per_entry(contest=contest, judges=judges, per_entry=2) == 0
    assert db.session.scalar(select(func.count(Assignment.id))) == 14


def test_assign_per_entry_counts_chosen_judges_already_on_the_entry(db, contest, judges, submitted):
    entry, = submitted(1)
    db.session.add(Assignment(entry=entry, judge=judges[2]))
    db.session.commit()
    assert assign_per_entry(contest=contest, judges=judges, per_entry=2) == 1
    db.session.commit()
    assert sorted(judge_id for _, judge_id in pairs(db)) == [judges[0].id, judges[2].id]


def test_more_judges_per_entry_than_chosen_is_refused(db, contest, judges, submitted):
    submitted(2)
    with pytest.raises(AssignmentError, match="4 judges per entry but chose only 3"):
        assign_per_entry(contest=contest, judges=judges, per_entry=4)
    assert pairs(db) == []


def test_only_active_judges_can_be_assigned(db, contest, judges, make_user):
    with pytest.raises(AssignmentError, match="not an active judge"):
        assign_all(contest=contest, judges=[judges[0], make_user(Role.CREATOR)])
    with pytest.raises(AssignmentError, match="at least one judge"):
        assign_per_entry(contest=contest, judges=[], per_entry=1)


def test_assignment_with_a_draft_review_can_be_removed(db, contest, judges, submitted):
    entry, = submitted(1)
    assignment = add_review(db, entry=entry, judge=judges[0], state=ReviewState.DRAFT)
    remove_assignment(assignment=assignment)
    db.session.commit()
    assert pairs(db) == [] and db.session.scalar(select(func.count(Review.id))) == 0


def test_assignment_with_a_submitted_review_stays(db, contest, judges, submitted):
    entry, = submitted(1)
    assignment = add_review(db, entry=entry, judge=judges[0], state=ReviewState.SUBMITTED)
    with pytest.raises(AssignmentError, match="already submitted"):
        remove_assignment(assignment=assignment)
    assert len(pairs(db)) == 1


def test_progress_counts_reviews_per_judge_over_submitted_entries(db, contest, judges, submitted, make_user,
                                                                  make_entry):
    first, second = submitted(2)
    add_review(db, entry=first, judge=judges[0], state=ReviewState.SUBMITTED)
    add_review(db, entry=second, judge=judges[0], state=ReviewState.DRAFT)
    add_review(db, entry=first, judge=judges[1], state=ReviewState.SUBMITTED)
    db.session.add(Assignment(entry=second, judge=judges[1]))
    gone = make_entry(contest=contest, creator=make_user(), state=EntryState.DISQUALIFIED)
    db.session.add(Assignment(entry=gone, judge=judges[2]))
    db.session.commit()

    progress = contest_progress(contest=contest)
    by_judge = {p.judge.id: (p.assigned, p.submitted, p.drafts) for p in progress.judges}
    assert by_judge == {judges[0].id: (2, 1, 1), judges[1].id: (2, 1, 0)}
    assert (progress.assigned, progress.submitted, progress.drafts) == (4, 2, 1)
    assert progress.percent == 50.0
    assert review_counts(contest=contest) == {first.id: (2, 2), second.id: (0, 2), gone.id: (0, 1)}


def test_judge_workloads_list_every_judge_with_counts(db, contest, judges, submitted):
    entry, = submitted(1)
    add_review(db, entry=entry, judge=judges[1], state=ReviewState.SUBMITTED)
    rows = {row.judge.id: (row.assigned, row.submitted, row.drafts) for row in judge_workloads()}
    assert rows == {judges[0].id: (0, 0, 0), judges[1].id: (1, 1, 0), judges[2].id: (0, 0, 0)}
