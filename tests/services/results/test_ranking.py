from decimal import Decimal

import pytest
from sqlalchemy import event

from contest.models import Assignment, Criterion, EntryState
from contest.services.judging.reviews import save_review
from contest.services.results.ranking import TIE_BREAK_RULE, rank_entries
from tests.people import Role

D = Decimal


@pytest.fixture(autouse=True)
def english(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture
def judges(make_user):
    return [make_user(Role.JUDGE) for _ in range(3)]


@pytest.fixture
def contest(make_contest):
    return make_contest()  # rubric 40/30/30, each out of 10; categories 微视频组, Vlog组


@pytest.fixture
def entry_in(make_user, make_entry):
    creator = make_user(Role.CREATOR)

    def make(contest, *, category=0, state=EntryState.SUBMITTED):
        return make_entry(contest=contest, creator=creator, category=contest.categories[category],
                          state=state)

    return make


@pytest.fixture
def review(db, contest):
    """``review(entry, judge, "8", "7", "9", submit=True)`` saves a review of ``entry`` by ``judge``."""

    def make(entry, judge, *points, submit=True):
        assignment = Assignment(judge=judge, entry=entry)
        db.session.add(assignment)
        scores = {c.id: D(p) for c, p in zip(entry.contest.criteria, points) if p is not None}
        save_review(assignment=assignment, scores=scores, comment="", submit=submit)
        db.session.commit()

    return make


def by_number(rows):
    return {row.entry.number: row for row in rows}


def test_total_is_the_mean_of_submitted_reviews_only(db, contest, entry_in, review, judges):
    entry = entry_in(contest)
    review(entry, judges[0], "8", "7", "9")  # 80.000
    review(entry, judges[1], "9", "9", "9")  # 90.000
    review(entry, judges[2], "1", "1", "1", submit=False)  # draft: does not count
    [row] = rank_entries(contest=contest)
    assert row.total == D("85.000") and row.reviews == 2 and row.rank == 1 and row.category_rank == 1
    first, second, third = contest.criteria
    assert row.criterion_means == {first.id: D("8.500"), second.id: D("8.000"), third.id: D("9.000")}


def test_means_are_rounded_half_up_to_three_decimals(db, contest, entry_in, review, judges):
    entry = entry_in(contest)
    review(entry, judges[0], "8", "7", "9")     # 80.000
    review(entry, judges[1], "8", "7", "9.01")  # 80.030
    review(entry, judges[2], "8", "7", "9")     # 80.000
    [row] = rank_entries(contest=contest)
    assert row.total == D("80.010")
    assert row.criterion_means[contest.criteria[2].id] == D("9.003")  # 27.01 / 3 = 9.00333…


def test_equal_totals_are_ordered_by_the_heaviest_criterion_then_share_a_rank(db, contest, entry_in, review,
                                                                              judges):
    # All totals 80.000 except the last. Weights: 主题契合 40, 创意 30, 制作水平 30.
    a = entry_in(contest)
    b = entry_in(contest)
    c = entry_in(contest)
    d = entry_in(contest)
    e = entry_in(contest)
    review(a, judges[0], "8", "7", "9")      # 主题契合 8
    review(b, judges[0], "9", "6", "6.67")   # 36 + 18 + 20.01 = 74.01 → not a tie
    review(c, judges[0], "6.5", "9", "8")    # 26 + 27 + 24 = 77 → not a tie
    review(d, judges[0], "8", "9", "7")      # 80, 主题契合 8, 创意 9 > a's 7 → ahead of a
    review(e, judges[0], "8", "9", "7")      # identical to d → shares d's rank
    rows = rank_entries(contest=contest)
    assert [(row.entry.number, row.rank) for row in rows] == [
        (d.number, 1), (e.number, 1), (a.number, 3), (c.number, 4), (b.number, 5),
    ]


def test_heaviest_criterion_decides_before_rubric_order(db, make_contest, entry_in, review, judges):
    contest = make_contest()
    contest.criteria.clear()
    db.session.flush()
    contest.criteria = [Criterion(name="创意", weight=20, max_points=10, position=0),
                        Criterion(name="主题契合", weight=50, max_points=20, position=1),
                        Criterion(name="制作水平", weight=30, max_points=10, position=2)]
    db.session.commit()
    first_in_rubric, heaviest = entry_in(contest), entry_in(contest)
    review(first_in_rubric, judges[0], "10", "14", "10")  # 20 + 35 + 30 = 85, better on 创意 (rubric first)
    review(heaviest, judges[0], "7.5", "16", "10")        # 15 + 40 + 30 = 85, better on 主题契合 (weight 50)
    rows = rank_entries(contest=contest)
    assert [(row.entry.number, row.total, row.rank) for row in rows] == [
        (heaviest.number, D("85.000"), 1), (first_in_rubric.number, D("85.000"), 2),
    ]


def test_full_ties_share_rank_and_skip_the_next(db, contest, entry_in, review, judges):
    entries = [entry_in(contest) for _ in range(4)]
    review(entries[0], judges[0], "10", "10", "10")
    review(entries[1], judges[0], "8", "7", "9")
    review(entries[2], judges[0], "8", "7", "9")
    review(entries[3], judges[0], "5", "5", "5")
    assert [row.rank for row in rank_entries(contest=contest)] == [1, 2, 2, 4]


def test_category_rank_uses_the_same_rule_within_the_category(db, contest, entry_in, review, judges):
    short_best = entry_in(contest, category=0)
    vlog_best = entry_in(contest, category=1)
    short_second = entry_in(contest, category=0)
    vlog_second = entry_in(contest, category=1)
    review(short_best, judges[0], "10", "10", "10")  # 100
    review(vlog_best, judges[0], "9", "9", "9")      # 90
    review(short_second, judges[0], "8", "8", "8")   # 80
    review(vlog_second, judges[0], "7", "7", "7")    # 70
    rows = by_number(rank_entries(contest=contest))
    assert [(rows[e.number].rank, rows[e.number].category_rank)
            for e in (short_best, vlog_best, short_second, vlog_second)] == [(1, 1), (2, 1), (3, 2), (4, 2)]


def test_entries_without_submitted_reviews_come_last_unranked(db, contest, entry_in, review, judges):
    unreviewed = entry_in(contest)
    drafted = entry_in(contest)
    scored = entry_in(contest)
    review(drafted, judges[0], "9", "9", None, submit=False)
    review(scored, judges[0], "1", "1", "1")
    rows = rank_entries(contest=contest)
    assert [row.entry.number for row in rows] == [scored.number, unreviewed.number, drafted.number]
    unranked = [(row.rank, row.category_rank, row.total, row.reviews) for row in rows[1:]]
    assert unranked == [(None, None, None, 0)] * 2
    assert rows[1].criterion_means == {}


@pytest.mark.parametrize("state", [EntryState.WITHDRAWN, EntryState.DISQUALIFIED, EntryState.DRAFT])
def test_entries_not_in_submitted_state_are_left_out(db, contest, entry_in, review, judges, state):
    kept = entry_in(contest)
    gone = entry_in(contest)
    review(kept, judges[0], "5", "5", "5")
    review(gone, judges[0], "9", "9", "9")
    gone.state = state
    db.session.commit()
    assert [row.entry.number for row in rank_entries(contest=contest)] == [kept.number]


def test_other_contests_do_not_leak_in(db, contest, make_contest, entry_in, review, judges):
    other = make_contest()
    mine = entry_in(contest)
    review(mine, judges[0], "5", "5", "5")
    review(entry_in(other), judges[0], "9", "9", "9")
    [row] = rank_entries(contest=contest)
    assert row.entry.number == mine.number and row.total == D("50.000") and row.reviews == 1


def test_ranking_runs_a_fixed_number_of_queries(db, contest, entry_in, review, judges):
    for i in range(6):
        entry = entry_in(contest, category=i % 2)
        for judge in judges:
            review(entry, judge, str(i), "5", "5")
    db.session.expire_all()
    contest = db.session.merge(contest)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        rows = rank_entries(contest=contest)
        [(row.entry.category.name, row.entry.creator.display_name) for row in rows]
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(rows) == 6
    assert len(statements) <= 6, statements  # contest (expired), rounds, criteria, entries, totals, criterion means


def test_tie_break_rule_is_a_translatable_sentence(app):
    assert "highest weight" in str(TIE_BREAK_RULE)


def test_rows_tell_review_coverage_and_only_fully_reviewed_entries_can_be_ranked(db, contest, entry_in, review,
                                                                                 judges):
    partly = entry_in(contest)  # 2 of 3 judges submitted, one draft: 90.000 on what is in
    review(partly, judges[0], "9", "9", "9")
    review(partly, judges[1], "9", "9", "9")
    review(partly, judges[2], "1", None, None, submit=False)
    fully = entry_in(contest)  # 1 of 1: 50.000
    review(fully, judges[0], "5", "5", "5")

    rows = rank_entries(contest=contest)
    coverage = [(row.entry.number, row.rank, row.total, row.reviews, row.assigned, row.fully_reviewed)
                for row in rows]
    assert coverage == [(partly.number, 1, D("90.000"), 2, 3, False), (fully.number, 2, D("50.000"), 1, 1, True)]

    rows = rank_entries(contest=contest, fully_reviewed_only=True)
    coverage = [(row.entry.number, row.rank, row.category_rank, row.total, row.fully_reviewed) for row in rows]
    assert coverage == [(fully.number, 1, 1, D("50.000"), True), (partly.number, None, None, D("90.000"), False)]


def test_an_entry_without_any_judge_is_not_fully_reviewed(contest, entry_in):
    entry = entry_in(contest)
    [row] = rank_entries(contest=contest, fully_reviewed_only=True)
    assert (row.entry.number, row.reviews, row.assigned, row.fully_reviewed, row.rank) == (
        entry.number, 0, 0, False, None)
