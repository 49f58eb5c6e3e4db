import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from contest.models import SITE, Assignment, Entry, PlayCount, PlayView, utcnow
from contest.services.metrics import plays
from contest.services.metrics.plays import plays_of, record_play, viewer_key
from tests.people import Role

WINDOW = timedelta(minutes=30)


@pytest.fixture
def entry(make_contest, make_user, make_entry):
    return make_entry(contest=make_contest(), creator=make_user())


def test_one_viewer_reporting_1000_plays_counts_once(db, entry):
    at = utcnow()
    answers = [record_play(entry=entry, viewer_key="user:77", at=at + timedelta(seconds=s))
               for s in range(1000)]
    db.session.commit()
    assert answers[0] == (True, 1)
    assert {a for a in answers[1:]} == {(False, 1)}
    assert db.session.scalar(select(PlayCount.plays).where(PlayCount.entry_id == entry.id)) == 1
    assert db.session.scalar(select(func.count(PlayView.id))) == 1


def test_after_the_window_the_same_viewer_counts_again(db, entry):
    at = utcnow()
    assert record_play(entry=entry, viewer_key="user:7", at=at).counted
    assert not record_play(entry=entry, viewer_key="user:7", at=at + WINDOW - timedelta(seconds=1)).counted
    assert record_play(entry=entry, viewer_key="user:7", at=at + WINDOW) == (True, 2)
    assert not record_play(entry=entry, viewer_key="user:7", at=at + WINDOW + timedelta(minutes=29)).counted


def test_the_window_is_configurable(app, db, entry):
    app.config["PLAY_WINDOW_S"] = 60
    at = utcnow()
    record_play(entry=entry, viewer_key="user:7", at=at)
    assert record_play(entry=entry, viewer_key="user:7", at=at + timedelta(seconds=60)) == (True, 2)


def test_two_viewers_count_two(db, entry):
    at = utcnow()
    assert record_play(entry=entry, viewer_key="user:1", at=at) == (True, 1)
    assert record_play(entry=entry, viewer_key="user:2", at=at) == (True, 2)
    assert record_play(entry=entry, viewer_key="user:1", at=at) == (False, 2)


def test_the_creators_judges_and_organizers_own_plays_count_0(db, entry, make_user):
    judge, organizer, other_judge = make_user(Role.JUDGE), make_user(Role.ORGANIZER), make_user(Role.JUDGE)
    db.session.add(Assignment(entry_id=entry.id, judge_id=judge.id))
    db.session.commit()
    for user in (entry.creator, judge, organizer):
        for _ in range(3):
            assert record_play(entry=entry, viewer_key=viewer_key(user=user), viewer=user) == (False, 0)
    assert db.session.scalar(select(func.count(PlayView.id))) == 0
    # a judge not assigned to the entry is an audience member like any other
    assert record_play(entry=entry, viewer_key=viewer_key(user=other_judge), viewer=other_judge) == (True, 1)


def test_viewer_key_prefers_the_user_then_a_cookie_then_address_and_agent(make_user):
    user = make_user()
    assert viewer_key(user=user, cookie="abc") == f"user:{user.id}"
    assert viewer_key(cookie="abc", address="1.2.3.4") == "cookie:abc"
    by_address = viewer_key(address="1.2.3.4", user_agent="Phone")
    assert by_address.startswith("addr:") and len(by_address) == 5 + 32 and "1.2.3.4" not in by_address
    assert by_address != viewer_key(address="1.2.3.4", user_agent="Laptop")


def test_platforms_are_counted_apart(db, entry):
    record_play(entry=entry, viewer_key="user:1")
    assert record_play(entry=entry, viewer_key="user:2", platform="douyin") == (True, 1)
    assert plays_of(entry=entry, platform=SITE) == 1


def test_counter_insert_race_falls_back_to_the_increment(db, entry, monkeypatch):
    """Another request inserted the counter row between our UPDATE (no row yet) and our INSERT."""
    record_play(entry=entry, viewer_key="user:1")
    db.session.commit()
    real_increment, calls = plays._increment, []

    def increment_missing_the_row_once(entry_id, platform):
        calls.append(entry_id)
        return False if len(calls) == 1 else real_increment(entry_id, platform)

    monkeypatch.setattr(plays, "_increment", increment_missing_the_row_once)
    assert record_play(entry=entry, viewer_key="user:2") == (True, 2)
    db.session.commit()
    assert len(calls) == 2
    assert db.session.scalars(select(PlayCount.plays).where(PlayCount.entry_id == entry.id)).all() == [2]


def run_in_threads(app, threads_n: int, work) -> list[Exception]:
    errors = []

    def target(n):
        with app.app_context():
            try:
                work(n)
            except Exception as exc:  # pragma: no cover - reported by the caller
                errors.append(exc)

    threads = [threading.Thread(target=target, args=(n,)) for n in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_concurrent_plays_of_distinct_viewers_are_not_lost(app, db, entry):
    entry_id = entry.id

    def play_many(n):
        for k in range(5):
            record_play(entry=db.session.get(Entry, entry_id), viewer_key=f"user:{n}-{k}")
            db.session.commit()

    assert run_in_threads(app, 6, play_many) == []
    db.session.expire_all()
    assert plays_of(entry=entry) == 30


def test_concurrent_reports_of_one_viewer_count_once(app, db, entry):
    entry_id, at = entry.id, utcnow()

    def report(n):
        for _ in range(20):
            record_play(entry=db.session.get(Entry, entry_id), viewer_key="user:42", at=at)
            db.session.commit()

    assert run_in_threads(app, 6, report) == []
    db.session.expire_all()
    assert plays_of(entry=entry) == 1
