from datetime import timedelta

import pytest
from sqlalchemy import event

from contest.infra import cache
from contest.models import utcnow
from contest.services.contests.queries import contest_entries, entry_total
from contest.services.submissions.entries import create_entry
from tests.people import Role


@pytest.fixture
def contest(make_contest):
    now = utcnow()
    return make_contest(opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1))


def counts_taken(db, contest) -> tuple[int, int]:
    """(entry_total of the contest, COUNT statements it ran)."""
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        total = entry_total(contest=contest)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return total, sum("count(" in s.lower() for s in statements)


def test_the_count_is_kept_until_an_entry_is_added(app, db, contest, make_user):
    app.config["PROGRESS_CACHE_S"] = 3600
    creator = make_user(Role.CREATOR)
    create_entry(contest=contest, creator=creator, category=contest.categories[0], title="一")
    db.session.commit()
    assert counts_taken(db, contest) == (1, 1)
    assert counts_taken(db, contest) == (1, 0)  # kept

    create_entry(contest=contest, creator=creator, category=contest.categories[0], title="二")
    db.session.commit()
    db.session.refresh(contest)  # the page loads the contest afresh: its entry_seq moved on
    assert counts_taken(db, contest) == (2, 1)
    assert counts_taken(db, contest) == (2, 0)


def test_the_count_is_taken_again_after_progress_cache_s(app, db, contest, make_entry, make_user,
                                                         monkeypatch):
    app.config["PROGRESS_CACHE_S"] = 30
    clock = [100.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock[0])
    make_entry(contest=contest, creator=make_user())
    assert counts_taken(db, contest) == (1, 1)
    make_entry(contest=contest, creator=make_user())  # written past next_entry_number, like a bulk import
    clock[0] += 29
    assert counts_taken(db, contest) == (1, 0)
    clock[0] += 1
    assert counts_taken(db, contest) == (2, 1)


def test_each_page_uses_the_kept_count_and_the_last_page_counts_from_the_end(app, db, contest, make_entry,
                                                                              make_user):
    app.config["PROGRESS_CACHE_S"] = 0
    creator = make_user()
    numbers = [make_entry(contest=contest, creator=creator).number for _ in range(7)]
    pages = [contest_entries(contest=contest, page=p, per_page=3) for p in (1, 2, 3, 4)]
    assert [[e.number for e in page.items] for page in pages] == [numbers[:3], numbers[3:6], numbers[6:], []]
    assert [(page.total, page.pages) for page in pages] == [(7, 3)] * 4
