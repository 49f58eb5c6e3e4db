import threading

import pytest
from sqlalchemy import select

from contest.models import SITE, PlayCount
from contest.services.metrics import plays
from contest.services.metrics.plays import plays_of, record_play


@pytest.fixture
def entry(make_contest, make_user, make_entry):
    return make_entry(contest=make_contest(), creator=make_user())


def test_first_play_creates_the_counter_and_later_plays_add_one(db, entry):
    assert plays_of(entry=entry) == 0
    assert [record_play(entry=entry) for _ in range(3)] == [1, 2, 3]
    db.session.commit()
    row = db.session.scalar(select(PlayCount).where(PlayCount.entry_id == entry.id))
    assert (row.platform, row.plays) == (SITE, 3)


def test_platforms_are_counted_apart(db, entry):
    record_play(entry=entry)
    assert record_play(entry=entry, platform="douyin") == 1
    assert plays_of(entry=entry, platform=SITE) == 1


def test_insert_race_falls_back_to_the_increment(db, entry, monkeypatch):
    """Another request inserted the row between our UPDATE (no row yet) and our INSERT."""
    record_play(entry=entry)
    db.session.commit()
    real_increment, calls = plays._increment, []

    def increment_missing_the_row_once(entry_id, platform):
        calls.append(entry_id)
        return False if len(calls) == 1 else real_increment(entry_id, platform)

    monkeypatch.setattr(plays, "_increment", increment_missing_the_row_once)
    assert record_play(entry=entry) == 2
    db.session.commit()
    assert len(calls) == 2
    assert db.session.scalars(select(PlayCount.plays).where(PlayCount.entry_id == entry.id)).all() == [2]


def test_concurrent_plays_are_not_lost(app, db, entry):
    entry_id, threads_n, plays_each = entry.id, 6, 5
    errors = []

    def play_many():
        with app.app_context():
            try:
                for _ in range(plays_each):
                    record_play(entry=db.session.get(type(entry), entry_id))
                    db.session.commit()
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

    threads = [threading.Thread(target=play_many) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db.session.expire_all()
    assert plays_of(entry=entry) == threads_n * plays_each
