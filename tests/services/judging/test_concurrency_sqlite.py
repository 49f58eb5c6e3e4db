"""Concurrency on SQLite (the embedded default): the same review saved by 20 threads or 20 requests at once, and
50 concurrent writers, all answered without a UNIQUE violation, a 500 or "database is locked".

Each test runs against its own SQLite *file* (tests/conftest.py), so the threads hold real connections of their
own: WAL, the busy timeout and ``BEGIN IMMEDIATE`` before re-reading a review (contest/infra/sqlite.py) are what
is tested. The same races on PostgreSQL are in test_concurrency_pg.py.
"""
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from contest.extensions import db as _db
from contest.models import Assignment, Contest, Entry, EntryState, PlayCount, Review, ReviewState, User
from contest.services.judging.reviews import ReviewError, save_review
from contest.services.metrics.plays import record_play
from contest.services.submissions.entries import create_entry
from tests.concurrency import counts, load_assignment, post_the_same_review, run_together
from tests.people import Role

pytestmark = pytest.mark.sqlite

D = Decimal
THREADS = 20
WRITERS = 50


@pytest.fixture
def app_overrides():
    # One connection per thread, all at once, plus the test's own session.
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": WRITERS + 5, "max_overflow": 0}}


@pytest.fixture
def entry(make_user, make_entry, make_contest):
    return make_entry(contest=make_contest(), creator=make_user(Role.CREATOR), state=EntryState.SUBMITTED)


@pytest.fixture
def assignment_id(db, make_user, entry) -> int:
    assignment = Assignment(judge=make_user(Role.JUDGE), entry=entry)
    db.session.add(assignment)
    db.session.commit()
    return assignment.id


def test_every_new_connection_uses_wal_a_busy_timeout_and_normal_sync(app, db):
    with db.engine.connect() as connection:
        pragmas = [connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                   for name in ("journal_mode", "busy_timeout", "synchronous")]
    assert pragmas == ["wal", 30_000, 1]  # synchronous 1 = NORMAL


@pytest.mark.parametrize("submit", [False, True], ids=["first draft", "final"])
def test_twenty_threads_saving_the_same_new_review_keep_one_review(app, db, entry, assignment_id, submit):
    scores = {c.id: D(p) for c, p in zip(entry.contest.criteria, ["8", "7", "9"])}

    def act(assignment):
        return save_review(assignment=assignment, scores=scores, comment="同一份评分", submit=submit).id

    results = run_together(app, db, count=THREADS, load=lambda i: load_assignment(db, assignment_id), act=act)
    review = db.session.scalar(select(Review))
    assert counts(db) == (1, 3)
    assert (review.total, review.comment) == (D("80.000"), "同一份评分")
    if submit:  # one submits; the others find the review final: a domain error the view shows
        assert review.state == ReviewState.SUBMITTED
        assert sorted(type(r).__name__ for r in results) == ["ReviewError"] * (THREADS - 1) + ["int"], results
        assert all(r.criterion_errors == {} for r in results if isinstance(r, ReviewError))
    else:
        assert results == [review.id] * THREADS, results


@pytest.mark.parametrize("action", ["save_draft", "submit_final"])
def test_twenty_requests_posting_the_same_review_at_once_never_answer_500(app, db, entry, assignment_id,
                                                                          action):
    judge = db.session.get(Assignment, assignment_id).judge
    review, responses = post_the_same_review(app, db, judge=judge, entry=entry, action=action, count=THREADS)
    statuses = [r.status_code for r in responses]
    if action == "save_draft":
        assert statuses == [302] * THREADS and review.state == ReviewState.DRAFT
    else:  # the later ones re-render the form with the reason
        assert review.state == ReviewState.SUBMITTED and statuses == [200] * (THREADS - 1) + [302], statuses
        assert all("These scores were already submitted and are final." in r.get_data(as_text=True)
                   for r in responses[:-1])


def test_fifty_concurrent_writers_creating_entries_all_succeed(app, db, make_contest):
    contest_id = make_contest().id
    creators = [User(username=f"creator-{i}", display_name=f"参赛者 {i}", password_hash="-")
                for i in range(WRITERS)]  # no password: hashing 50 would take a minute
    db.session.add_all(creators)
    db.session.commit()
    creator_ids = [creator.id for creator in creators]

    def load(i):
        found = db.session.get(Contest, contest_id)
        return i, found, db.session.get(User, creator_ids[i])

    def act(state):
        i, found, creator = state
        return create_entry(contest=found, creator=creator, category=found.categories[0],
                            title=f"作品 {i}").number

    results = run_together(app, db, count=WRITERS, load=load, act=act)
    assert all(isinstance(r, str) for r in results), [r for r in results if not isinstance(r, str)][:3]
    stored = db.session.scalars(select(Entry.number).where(Entry.contest_id == contest_id)).all()
    assert len(stored) == len(set(stored)) == WRITERS and sorted(stored) == sorted(results)


def test_fifty_concurrent_plays_are_all_counted(app, db, entry):
    entry_id = entry.id
    results = run_together(app, db, count=WRITERS, load=lambda i: (db.session.get(Entry, entry_id), i),
                           act=lambda found: record_play(entry=found[0], viewer_key=f"viewer-{found[1]}").plays)
    assert all(isinstance(r, int) for r in results), [r for r in results if not isinstance(r, int)][:3]
    assert sorted(results) == list(range(1, WRITERS + 1))
    assert db.session.execute(select(PlayCount.platform, PlayCount.plays)).all() == [("site", WRITERS)]


def test_an_in_memory_database_keeps_its_journal(tmp_path):
    """WAL needs a file: an in-memory database (the testing default) is left as it is and still works."""
    from contest import create_app

    app = create_app("testing", DATABASE_URL="sqlite://", UPLOAD_ROOT=str(tmp_path))
    with app.app_context():
        with _db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "memory"
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
        _db.engine.dispose()
