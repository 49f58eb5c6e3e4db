"""Concurrency on PostgreSQL: parallel judges, the same review saved twice at once (service and HTTP), the
per-creator entry limit under parallel creates, and parallel play counting.

Runs only when ``CONTEST_TEST_DATABASE_URL`` points at PostgreSQL (``scripts/test-postgres.sh``); SQLite
serializes every writer, so these races cannot happen there. Each thread works in its own app context, hence
its own session and connection; a barrier releases the threads together once each has loaded its rows.
"""
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from contest.models import (
    Assignment, Contest, Entry, EntryState, PlayCount, Review, ReviewState, User,
)
from contest.services.judging.reviews import ReviewError, save_review
from contest.services.metrics.plays import record_play
from contest.services.results.ranking import rank_entries
from contest.services.submissions.entries import SubmissionError, create_entry
from tests.concurrency import counts, load_assignment, post_the_same_review, run_together
from tests.conftest import TEST_DATABASE_URL
from tests.people import Role

pytestmark = pytest.mark.postgres

D = Decimal
THREADS = 20


@pytest.fixture(autouse=True)
def postgres(server_database):
    """These tests are collected only when the suite runs on PostgreSQL (see ``pytest_collection_modifyitems``
    in tests/conftest.py); ``server_database`` fails under CI when that server is unreachable."""
    assert make_url(TEST_DATABASE_URL).get_backend_name() == "postgresql"


@pytest.fixture
def app_overrides():
    # One connection per thread, all at once, plus the test's own session.
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": THREADS + 5, "max_overflow": 0}}


@pytest.fixture
def contest(make_contest):
    return make_contest()  # rubric 40/30/30, each out of 10


@pytest.fixture
def entry(make_user, make_entry, contest):
    return make_entry(contest=contest, creator=make_user(Role.CREATOR), state=EntryState.SUBMITTED)


def assign(db, make_user, entry, judges: int) -> list[int]:
    ids = []
    for _ in range(judges):
        assignment = Assignment(judge=make_user(Role.JUDGE), entry=entry)
        db.session.add(assignment)
        db.session.commit()
        ids.append(assignment.id)
    return ids


# --- judging -----------------------------------------------------------------------------------------------

def test_twenty_judges_submitting_at_once_store_twenty_reviews_with_right_totals(app, db, make_user, contest,
                                                                                entry):
    ids = assign(db, make_user, entry, THREADS)
    criterion_ids = [c.id for c in contest.criteria]
    points = {i: (D(i % 11), D((i * 3) % 11), D((i * 7) % 11) / 2) for i in range(THREADS)}

    def act(i_and_assignment):
        i, assignment = i_and_assignment
        return save_review(assignment=assignment, scores=dict(zip(criterion_ids, points[i])),
                           comment=f"评委 {i}", submit=True).id

    results = run_together(app, db, count=THREADS,
                           load=lambda i: (i, load_assignment(db, ids[i])), act=act)
    assert all(isinstance(r, int) for r in results), results
    reviews = {r.assignment_id: r for r in db.session.scalars(select(Review))}
    assert len(reviews) == THREADS and counts(db) == (THREADS, THREADS * 3)
    for i, assignment_id in enumerate(ids):
        a, b, c = points[i]
        expected = (a / 10 * 40 + b / 10 * 30 + c / 10 * 30).quantize(D("0.001"))
        review = reviews[assignment_id]
        assert (review.state, review.total, review.comment) == (ReviewState.SUBMITTED, expected, f"评委 {i}")
    [row] = rank_entries(contest=contest)
    assert row.reviews == THREADS
    assert row.total == (sum(r.total for r in reviews.values()) / THREADS).quantize(D("0.001"))


@pytest.mark.parametrize("draft_first, submit", [(False, False), (False, True), (True, True)],
                         ids=["new draft", "new final", "draft to final"])
def test_the_same_review_saved_twice_at_once_keeps_one_row_per_criterion(app, db, make_user, contest, entry,
                                                                         draft_first, submit):
    [assignment_id] = assign(db, make_user, entry, 1)
    scores = {c.id: D(p) for c, p in zip(contest.criteria, ["8", "7", "9"])}
    if draft_first:  # both threads then hold the draft in their session: the later one must see it submitted
        save_review(assignment=db.session.get(Assignment, assignment_id), scores={}, comment="", submit=False)
        db.session.commit()

    def act(assignment):
        return save_review(assignment=assignment, scores=scores, comment="同一份评分", submit=submit).id

    results = run_together(app, db, count=2, load=lambda i: load_assignment(db, assignment_id), act=act)
    review = db.session.scalar(select(Review))
    assert counts(db) == (1, 3)
    assert (review.total, review.comment) == (D("80.000"), "同一份评分")
    if submit:  # the later one finds the review final: a domain error the view shows, nothing else
        assert review.state == ReviewState.SUBMITTED
        assert sorted(type(r).__name__ for r in results) == ["ReviewError", "int"], results
        assert [r for r in results if isinstance(r, ReviewError)][0].criterion_errors == {}
    else:
        assert results == [review.id, review.id]


@pytest.mark.parametrize("action", ["save_draft", "submit_final"])
def test_the_same_review_posted_twice_at_once_answers_both_requests_normally(app, db, make_user, contest,
                                                                            entry, action):
    judge = make_user(Role.JUDGE)
    db.session.add(Assignment(judge=judge, entry=entry))
    db.session.commit()
    review, responses = post_the_same_review(app, db, judge=judge, entry=entry, action=action, count=2)
    statuses = [r.status_code for r in responses]
    if action == "save_draft":
        assert statuses == [302, 302] and review.state == ReviewState.DRAFT
    else:
        assert review.state == ReviewState.SUBMITTED
        assert statuses == [200, 302], statuses  # the later one re-renders the form with the reason
        for response in responses:
            if response.status_code == 200:
                assert "These scores were already submitted and are final." in response.get_data(as_text=True)
            else:
                assert response.location == "/judge/"


# --- entries and plays -------------------------------------------------------------------------------------

@pytest.mark.parametrize("limit, creates", [(1, 2), (3, 10)])
def test_parallel_creates_by_one_creator_stop_at_the_limit(app, db, make_user, make_contest, limit, creates):
    contest_id = make_contest(max_entries_per_creator=limit).id
    creator_id = make_user(Role.CREATOR).id

    def load(i):
        found = db.session.get(Contest, contest_id)
        return i, found, db.session.get(User, creator_id), found.categories[0]

    def act(state):
        i, found, user, category = state
        return create_entry(contest=found, creator=user, category=category, title=f"作品 {i}").number

    results = run_together(app, db, count=creates, load=load, act=act)
    numbers = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, SubmissionError)]
    assert len(numbers) == limit and len(refused) == creates - limit, results
    stored = db.session.scalars(select(Entry.number).where(Entry.creator_id == creator_id)).all()
    assert sorted(stored) == sorted(numbers) and len(set(numbers)) == limit


def test_twenty_parallel_plays_of_a_new_entry_are_all_counted(app, db, entry):
    entry_id = entry.id
    results = run_together(app, db, count=THREADS, load=lambda i: (db.session.get(Entry, entry_id), i),
                           act=lambda found: record_play(entry=found[0], viewer_key=f"viewer-{found[1]}").plays)
    assert sorted(results) == list(range(1, THREADS + 1)), results  # each play saw its own count
    assert db.session.execute(select(PlayCount.platform, PlayCount.plays)).all() == [("site", THREADS)]


def test_reviews_racing_the_round_close_either_land_before_it_or_are_refused(app, db, make_user, contest, entry):
    """Ten judges submit while an organizer closes the round: every saved review was written before the close
    (the close waits for saves holding the round row FOR SHARE; later saves see it closed), every other save
    is refused with RoundClosed, and nothing else goes wrong."""
    from contest.models import Round
    from contest.services.judging.rounds import RoundClosed, close_round

    ids = assign(db, make_user, entry, 10)
    round_id = contest.rounds[0].id
    criterion_ids = [c.id for c in contest.criteria]

    def load(i):
        if i == len(ids):
            return ("close", db.session.get(Round, round_id))
        return ("save", load_assignment(db, ids[i]))

    def act(state):
        kind, target = state
        if kind == "close":
            close_round(round_=target)
            return "closed"
        return save_review(assignment=target, scores={c: D(5) for c in criterion_ids}, comment="",
                           submit=True).id

    results = run_together(app, db, count=len(ids) + 1, load=load, act=act)
    assert "closed" in results
    saved = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, RoundClosed)]
    assert len(saved) + len(refused) == len(ids), results
    closed_at = db.session.get(Round, round_id).closed_at
    reviews = db.session.scalars(select(Review)).all()
    assert sorted(r.id for r in reviews) == sorted(saved)
    assert all(r.updated_at <= closed_at for r in reviews)
