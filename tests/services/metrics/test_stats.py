from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import event

from contest.models import Assignment, EntryState, PlayCount
from contest.services.judging.reviews import save_review
from contest.services.metrics.stats import CategoryCounts, DayCount, contest_stats
from tests.people import Role

UTC = timezone.utc


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def stats_contest(db, make_contest, make_user, make_entry):
    """Two categories; 4 submitted entries over a Shanghai-midnight boundary, 2 drafts, 1 withdrawn,
    1 disqualified; plays on several platforms (one above 2**31); 3 assignments, 1 submitted + 1 draft review.
    Another contest's entry and plays must never be counted."""
    contest = make_contest(code="XH2026")
    micro, vlog = contest.categories
    creator = make_user()

    def entry(category, state, submitted_at=None):
        made = make_entry(contest=contest, creator=creator, category=category, state=state)
        made.submitted_at = submitted_at
        return made

    e1 = entry(micro, EntryState.SUBMITTED, at(2026, 11, 29, 2, 0))     # Shanghai 11-29 10:00
    e2 = entry(micro, EntryState.SUBMITTED, at(2026, 11, 30, 15, 59))   # Shanghai 11-30 23:59
    e3 = entry(vlog, EntryState.SUBMITTED, at(2026, 11, 30, 16, 30))    # Shanghai 12-01 00:30
    entry(vlog, EntryState.SUBMITTED, at(2026, 12, 3, 1, 0))            # Shanghai 12-03 09:00
    entry(micro, EntryState.DRAFT)
    entry(vlog, EntryState.DRAFT)
    withdrawn = entry(micro, EntryState.WITHDRAWN, at(2026, 11, 28, 1, 0))
    entry(vlog, EntryState.DISQUALIFIED, at(2026, 12, 5, 1, 0))

    other = make_contest(code="OTHER")
    foreign = make_entry(contest=other, creator=creator, state=EntryState.SUBMITTED)
    foreign.submitted_at = at(2026, 12, 10, 1, 0)

    db.session.add_all([
        PlayCount(entry_id=e1.id, platform="site", plays=5),
        PlayCount(entry_id=e1.id, platform="douyin", plays=2**31 + 7),
        PlayCount(entry_id=e2.id, platform="site", plays=3_000_000_000),
        PlayCount(entry_id=e3.id, platform="site", plays=0),
        PlayCount(entry_id=withdrawn.id, platform="site", plays=10),
        PlayCount(entry_id=foreign.id, platform="site", plays=999),
    ])
    judge_a, judge_b = make_user(Role.JUDGE), make_user(Role.JUDGE)
    a1, a2, a3 = (Assignment(judge=judge_a, entry=e1), Assignment(judge=judge_a, entry=e2),
                  Assignment(judge=judge_b, entry=e1))
    db.session.add_all([a1, a2, a3, Assignment(judge=judge_b, entry=foreign)])
    db.session.flush()
    criteria = contest.criteria
    save_review(assignment=a1, scores={c.id: Decimal(8) for c in criteria}, comment="", submit=True)
    save_review(assignment=a2, scores={criteria[0].id: Decimal(5)}, comment="", submit=False)
    db.session.commit()
    return contest


def test_counts_entries_by_category_and_state(stats_contest):
    stats = contest_stats(contest=stats_contest)

    assert stats.by_category == [
        CategoryCounts(category_id=stats_contest.categories[0].id, name="微视频组",
                       submitted=2, draft=1, withdrawn=1, disqualified=0),
        CategoryCounts(category_id=stats_contest.categories[1].id, name="Vlog组",
                       submitted=2, draft=1, withdrawn=0, disqualified=1),
    ]
    assert [c.total for c in stats.by_category] == [4, 4]
    assert stats.by_state == {EntryState.DRAFT: 2, EntryState.SUBMITTED: 4, EntryState.WITHDRAWN: 1,
                              EntryState.DISQUALIFIED: 1}
    assert stats.total_entries == 8 and stats.submitted == 4


def test_days_are_shanghai_dates_with_gaps_filled(stats_contest):
    stats = contest_stats(contest=stats_contest)

    # 2026-11-30 16:30 UTC is 2026-12-01 00:30 in Shanghai; 15:59 UTC is still 11-30.
    # The withdrawn (11-28) and disqualified (12-05) entries do not widen the range.
    assert stats.by_day == [
        DayCount(date(2026, 11, 29), 1),
        DayCount(date(2026, 11, 30), 1),
        DayCount(date(2026, 12, 1), 1),
        DayCount(date(2026, 12, 2), 0),
        DayCount(date(2026, 12, 3), 1),
    ]
    assert sum(d.submitted for d in stats.by_day) == stats.submitted


def test_plays_are_summed_over_platforms_in_64_bits(stats_contest):
    stats = contest_stats(contest=stats_contest)

    assert stats.total_plays == 5 + (2**31 + 7) + 3_000_000_000 + 0 + 10
    assert stats.total_plays == 5_147_483_670
    assert [(row.number, row.plays, row.state) for row in stats.top_by_plays] == [
        ("XH2026-0002", 3_000_000_000, EntryState.SUBMITTED),
        ("XH2026-0001", 2**31 + 12, EntryState.SUBMITTED),
        ("XH2026-0007", 10, EntryState.WITHDRAWN),
    ]
    assert stats.top_by_plays[0].category == "微视频组"


def test_top_by_plays_keeps_ten_ties_by_number(db, make_contest, make_user, make_entry):
    contest = make_contest()
    creator = make_user()
    entries = [make_entry(contest=contest, creator=creator) for _ in range(12)]
    db.session.add_all(PlayCount(entry_id=e.id, plays=100 if i % 2 else 7) for i, e in enumerate(entries))
    db.session.commit()

    top = contest_stats(contest=contest).top_by_plays

    assert len(top) == 10
    assert [row.plays for row in top] == [100] * 6 + [7] * 4
    assert [row.number for row in top[:6]] == sorted(e.number for i, e in enumerate(entries) if i % 2)


def test_judging_progress(stats_contest):
    judging = contest_stats(contest=stats_contest).judging

    assert (judging.judges, judging.assignments) == (2, 3)
    assert (judging.reviews_submitted, judging.reviews_draft) == (1, 1)
    assert judging.reviews_missing == 2
    assert judging.percent_done == 33


def test_empty_contest_has_zeros(make_contest):
    stats = contest_stats(contest=make_contest())

    assert [c.total for c in stats.by_category] == [0, 0]
    assert stats.by_day == [] and stats.top_by_plays == []
    assert stats.total_plays == 0 and stats.total_entries == 0
    assert stats.judging.percent_done is None


def test_query_count_does_not_grow_with_entries(db, make_contest, make_user, make_entry):
    contest = make_contest()
    creator = make_user()

    def queries() -> int:
        seen = []

        def listener(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            contest_stats(contest=contest)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    make_entry(contest=contest, creator=creator, state=EntryState.SUBMITTED)
    few = queries()
    for _ in range(15):
        entry = make_entry(contest=contest, creator=creator, state=EntryState.SUBMITTED)
        db.session.add(PlayCount(entry_id=entry.id, plays=3))
    db.session.commit()

    assert queries() == few
