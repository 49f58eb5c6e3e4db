from datetime import timedelta

import pytest
from sqlalchemy import event

from contest.models import Assignment, EntryState, Review, ReviewState, utcnow
from contest.infra import cache as progress_module
from contest.services.judging.progress import (
    count_progress, forget_progress, judge_rows_page, judging_progress,
)
from tests.people import Role


@pytest.fixture
def contest(make_contest):
    return make_contest()


@pytest.fixture
def world(db, contest, make_user, make_entry):
    """Judges 赵 and 张 on two submitted entries (赵 submitted one review and drafted the other), a third judge
    only on a disqualified entry (not counted)."""
    creator = make_user()
    first, second = (make_entry(contest=contest, creator=creator, state=EntryState.SUBMITTED)
                     for _ in range(2))
    gone = make_entry(contest=contest, creator=creator, state=EntryState.DISQUALIFIED)
    zhao = make_user(Role.JUDGE, username="zhao", display_name="赵评委")
    zhang = make_user(Role.JUDGE, username="zhang", display_name="张评委")
    db.session.add_all([
        Assignment(entry=first, judge=zhao, review=Review(state=ReviewState.SUBMITTED)),
        Assignment(entry=second, judge=zhao, review=Review(state=ReviewState.DRAFT)),
        Assignment(entry=first, judge=zhang), Assignment(entry=second, judge=zhang),
        Assignment(entry=gone, judge=make_user(Role.JUDGE)),
    ])
    db.session.commit()
    return {"zhao": zhao, "zhang": zhang, "entries": (first, second)}


class Statements:
    """Counts the SQL statements run inside ``with`` (``n``)."""

    def __init__(self, db):
        self.engine, self.n = db.engine, 0

    def _count(self, *args):
        self.n += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


def test_counted_numbers_are_plain_values_over_submitted_entries(contest, world):
    before = utcnow()
    snapshot = count_progress(contest=contest)
    rows = [(r.display_name, r.username, r.assigned, r.submitted, r.drafts, r.not_started)
            for r in snapshot.judges]
    assert rows == [("张评委", "zhang", 2, 0, 0, 2), ("赵评委", "zhao", 2, 1, 1, 0)]  # by display name
    assert (snapshot.assigned, snapshot.submitted, snapshot.drafts) == (4, 1, 1)
    assert snapshot.percent == 25.0 and snapshot.contest_id == contest.id
    assert before <= snapshot.counted_at <= utcnow()


def test_numbers_are_kept_for_progress_cache_s_then_counted_again(app, db, contest, world, make_user,
                                                                  monkeypatch):
    app.config["PROGRESS_CACHE_S"] = 30
    clock = [1000.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: clock[0])
    db.session.refresh(contest)  # loaded, as the pages have it
    with Statements(db) as counting:
        first = judging_progress(contest=contest)
    assert counting.n == 2  # the GROUP BY and the judges' names

    db.session.add(Assignment(entry=world["entries"][0], judge=make_user(Role.JUDGE)))
    db.session.commit()
    clock[0] += 29.9
    db.session.refresh(contest)
    with Statements(db) as kept:
        assert judging_progress(contest=contest) is first
    assert kept.n == 0

    clock[0] += 0.1
    again = judging_progress(contest=contest)
    assert again is not first and again.assigned == first.assigned + 1


def test_forgetting_drops_the_kept_numbers_of_that_contest_only(app, db, contest, world, make_contest):
    app.config["PROGRESS_CACHE_S"] = 3600
    other = make_contest()
    kept, other_kept = judging_progress(contest=contest), judging_progress(contest=other)
    forget_progress(contest.id)
    assert judging_progress(contest=contest) is not kept
    assert judging_progress(contest=other) is other_kept
    forget_progress(999)  # nothing kept: nothing to do


def test_zero_seconds_counts_every_time(app, contest, world):
    app.config["PROGRESS_CACHE_S"] = 0
    assert judging_progress(contest=contest) is not judging_progress(contest=contest)


def test_rows_are_paged_without_queries(db, contest, world):
    snapshot = count_progress(contest=contest)
    with Statements(db) as paging:
        first, second, past = (judge_rows_page(snapshot, page=p, per_page=1) for p in (1, 2, 3))
        below = judge_rows_page(snapshot, page=0, per_page=1)
    assert paging.n == 0
    assert [r.username for r in first.items] == ["zhang"] and (first.total, first.pages) == (2, 2)
    assert [r.username for r in second.items] == ["zhao"] and (second.first, second.last) == (2, 2)
    assert past.items == [] and past.total == 2
    assert below.page == 1


def test_a_contest_without_assignments_has_zero_progress(contest):
    snapshot = count_progress(contest=contest)
    assert snapshot.judges == () and snapshot.percent == 0.0
    assert snapshot.counted_at > utcnow() - timedelta(minutes=1)

