"""SQL statements per request stay constant as a contest grows (no N+1), and long lists are paged.

Each page is requested on a small and on a 5× larger contest; the number of statements must be the same and
stay under a small bound. ``PAGE_SIZE`` is 10 here, so the large contest spans several pages.
"""
import re
from decimal import Decimal

import pytest
from sqlalchemy import event

from contest.models import (
    Assignment, CriterionScore, Entry, EntryState, Review, ReviewState, User, Video, VideoState, utcnow,
)
from contest.services.judging.progress import forget_progress
from tests.people import Role

SMALL, LARGE = 6, 30
MAX_STATEMENTS = 12


@pytest.fixture
def app_overrides():
    return {"PAGE_SIZE": 10}


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def people(make_user):
    return {"organizer": make_user(Role.ORGANIZER), "judge": make_user(Role.JUDGE),
            "other_judge": make_user(Role.JUDGE), "creator": make_user(Role.CREATOR)}


@pytest.fixture
def grow(db, make_contest, people):
    """``grow(n)`` makes a contest with ``n`` submitted entries, each by its own creator, with a ready video,
    assigned to both judges; the judge has a submitted review on every third entry and a draft on the next.
    The first entry belongs to ``people["creator"]``. Returns the contest."""

    def make(n: int):
        contest = make_contest()
        password_hash = people["creator"].password_hash
        for i in range(n):
            creator = people["creator"] if i == 0 else User(
                username=f"{contest.code.lower()}c{i}", display_name=f"创作者{i}",
                password_hash=password_hash)
            entry = Entry(contest=contest, creator=creator, category=contest.categories[i % 2],
                          number=f"{contest.code}-{i + 1:04d}", title=f"作品 {i + 1}",
                          state=EntryState.SUBMITTED, submitted_at=utcnow())
            entry.video = Video(original_name=f"v{i}.mp4", original_key=f"k/{contest.code}/{i}", bytes=1000,
                                sha256=f"{i:064d}", state=VideoState.READY,
                                poster_key=f"p/{contest.code}/{i}")
            mine = Assignment(judge=people["judge"], entry=entry)
            db.session.add_all([entry, mine, Assignment(judge=people["other_judge"], entry=entry)])
            if i % 3 < 2:
                state = ReviewState.SUBMITTED if i % 3 == 0 else ReviewState.DRAFT
                mine.review = Review(state=state, total=Decimal("80.000") if state == "submitted" else None,
                                     scores=[CriterionScore(criterion=c, points=Decimal(8))
                                             for c in contest.criteria])
        db.session.commit()
        return contest

    return make


def count_statements(db, client, url: str) -> tuple[int, str]:
    """(SQL statements run while serving ``url``, page text); the response must be 200."""
    statements: list[str] = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    db.session.expire_all()
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, response.data[:500]
    return len(statements), response.get_data(as_text=True)


def test_organizer_dashboard_runs_the_same_few_queries_on_any_page_and_contest_size(db, client, login, grow,
                                                                                    people):
    small, large = grow(SMALL), grow(LARGE)
    login(people["organizer"])
    n_small, page_small = count_statements(db, client, f"/organizer/contests/{small.id}")
    n_large, page_large = count_statements(db, client, f"/organizer/contests/{large.id}")
    n_kept, page_last = count_statements(db, client, f"/organizer/contests/{large.id}?page=3")
    forget_progress(large.id)
    large.entry_seq += 1  # as when an entry is added: the entry count is taken again
    db.session.commit()
    n_last, _ = count_statements(db, client, f"/organizer/contests/{large.id}?page=3")
    assert n_small == n_large == n_last <= MAX_STATEMENTS
    # the judging-progress numbers (2 queries) and the entry count (1) kept from the request before
    assert n_kept == n_last - 3
    assert page_small.count('class="title"') == SMALL and "1–6 of 6" in page_small
    assert page_large.count('class="title"') == 10 and "1–10 of 30" in page_large
    assert f"{large.code}-0010" in page_large and f"{large.code}-0011" not in page_large
    assert page_last.count('class="title"') == 10 and "21–30 of 30" in page_last
    assert f"{large.code}-0030" in page_last and f"{large.code}-0020" not in page_last
    assert f"/organizer/contests/{large.id}?page=2#entries" in page_last
    # the judging-progress block still counts every assignment of the contest (2 judges × 30 entries)
    assert f"10 of {2 * LARGE} reviews submitted" in page_large


def test_progress_per_judge_runs_the_same_queries_whatever_the_number_of_judges(db, client, login, grow,
                                                                                people, make_user):
    small, large = grow(1), grow(1)
    for i in range(LARGE):  # LARGE more judges on the large contest's entry, in three pages
        db.session.add(Assignment(judge=make_user(Role.JUDGE, display_name=f"评委{i:02d}"),
                                  entry=contest_entries_of(db, large)[0]))
    db.session.commit()
    login(people["organizer"])
    n_small, page_small = count_statements(db, client, f"/organizer/contests/{small.id}/progress")
    n_large, page_large = count_statements(db, client, f"/organizer/contests/{large.id}/progress")
    forget_progress(large.id)
    n_last, page_last = count_statements(db, client, f"/organizer/contests/{large.id}/progress?page=4")
    assert n_small == n_large == n_last <= MAX_STATEMENTS
    assert page_small.count('class="judge-progress"') == 2 and "1–2 of 2" in page_small
    assert page_large.count('class="judge-progress"') == 10 and f"1–10 of {LARGE + 2}" in page_large
    assert page_last.count('class="judge-progress"') == 2 and f"31–32 of {LARGE + 2}" in page_last


def test_organizer_entry_page_runs_the_same_queries_whatever_the_contest_size(db, client, login, grow,
                                                                               people):
    small, large = grow(SMALL), grow(LARGE)
    login(people["organizer"])
    counts = []
    for contest in (small, large):
        entry = db.session.scalar(db.select(Entry.id).where(Entry.number == f"{contest.code}-0001"))
        n, page = count_statements(db, client, f"/organizer/entries/{entry}")
        assert f"{contest.code}-0001" in page and page.count('class="assignment-row"') == 2
        assert "80.000" in page  # the judge's submitted total
        counts.append(n)
    assert counts[0] == counts[1] <= 9  # 6, + the declarations accepted, the creator's deadline extension, the rounds


def test_judge_queue_is_paged_and_its_progress_counts_every_assignment(db, client, login, grow, people):
    grow(SMALL)
    login(people["judge"])
    n_small, page_small = count_statements(db, client, "/judge/")
    grow(LARGE)  # the judge now has SMALL + LARGE assignments
    n_large, page_large = count_statements(db, client, "/judge/")
    n_last, page_last = count_statements(db, client, "/judge/?page=4")
    assert n_small == n_large == n_last <= MAX_STATEMENTS
    assert "2 of 6 submitted" in page_small and "1–6 of 6" in page_small
    total, done = SMALL + LARGE, 2 + 10
    assert f"{done} of {total} submitted" in page_large and f"1–10 of {total}" in page_large
    assert page_large.count('class="list-group-item') == 10
    assert page_last.count('class="list-group-item') == 6 and f"31–36 of {total}" in page_last
    assert "/judge/?page=3" in page_last


def test_judge_queue_groups_the_page_by_contest_in_the_same_queries(db, client, login, grow, people):
    older = grow(SMALL)
    login(people["judge"])
    n_one, _ = count_statements(db, client, "/judge/")
    newer = grow(3)
    n_two, page = count_statements(db, client, "/judge/")
    # the session's user, the page with its numbers and headings, the voided-review notices
    assert n_two == n_one == 3
    heading = r'<h2 [^>]*id="queue-contest-(\d+)">\s*<span[^>]*>([^<]*)</span>\s*<span[^>]*>([^<]*)</span>'
    headings = re.findall(heading, page)
    # the newest contest first; each heading counts that contest's reviews, the page's top line all of them
    assert headings == [(str(newer.id), newer.title, "1 of 3 submitted"),
                        (str(older.id), older.title, "2 of 6 submitted")]
    assert "3 of 9 submitted" in page
    sections = page.split('class="queue-contest')[1:]
    assert [s.count('class="list-group-item') for s in sections] == [3, SMALL]
    assert f"{newer.code}-0001" in sections[0] and f"{older.code}-0001" in sections[1]


def test_judge_queue_page_past_the_end_lists_nothing_but_keeps_the_links(db, client, login, grow, people):
    grow(SMALL)
    login(people["judge"])
    page = client.get("/judge/?page=9").get_data(as_text=True)
    assert "2 of 6 submitted" in page and 'class="list-group-item' not in page


def test_judge_entry_page_runs_the_same_queries_whatever_the_contest_size(db, client, login, grow, people):
    small, large = grow(SMALL), grow(LARGE)
    login(people["judge"])
    counts = []
    for contest in (small, large):
        entry = db.session.scalar(db.select(Entry.id).where(Entry.number == f"{contest.code}-0001"))
        n, page = count_statements(db, client, f"/judge/entries/{entry}")
        assert f"{contest.code}-0001" in page
        counts.append(n)
    assert counts[0] == counts[1] <= 5  # user, assignment, voided notices, round position, (visibility off)


def test_creator_entry_page_runs_the_same_queries_whatever_the_contest_size(db, client, login, grow, people):
    small, large = grow(SMALL), grow(LARGE)
    login(people["creator"])
    counts = []
    for contest in (small, large):
        entry = db.session.scalar(db.select(Entry.id).where(Entry.contest_id == contest.id,
                                                            Entry.creator_id == people["creator"].id))
        n, page = count_statements(db, client, f"/my/entries/{entry}")
        assert f"{contest.code}-0001" in page
        counts.append(n)
    assert counts[0] == counts[1] <= MAX_STATEMENTS


def test_next_unscored_entry_follows_a_submitted_review_on_a_long_queue(db, client, login, grow, people):
    contest = grow(LARGE)
    login(people["judge"])
    entries = {e.number: e for e in contest_entries_of(db, contest)}
    first_open = entries[f"{contest.code}-0002"]  # 0001 is submitted, 0002 a draft
    data = {f"criterion_{c.id}": "7" for c in contest.criteria}
    data.update({"comment": "", "submit_final": "1"})
    response = client.post(f"/judge/entries/{first_open.id}", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/judge/entries/{entries[f'{contest.code}-0003'].id}")


def contest_entries_of(db, contest) -> list[Entry]:
    return list(db.session.scalars(db.select(Entry).where(Entry.contest_id == contest.id)))
