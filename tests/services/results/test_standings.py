"""A round's standings: the round's method ranks, the raw mean stays beside it, disagreement and flags come
along, and the kept result is dropped when a review changes."""
from decimal import Decimal

import pytest

from contest.models import Assignment, EntryState
from tests.people import Role
from contest.services.judging import rounds
from contest.services.judging.reviews import reopen_review, save_review
from contest.services.results.standings import compute, round_standings

D = Decimal


@pytest.fixture(autouse=True)
def english(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture
def scored(db, make_contest, make_user, make_entry):
    """Two entries, four judges: A gets 90, 90, 90, 10 (mean 70, trimmed 90); B gets 80 ×4 (mean = trimmed = 80)."""
    contest = make_contest()
    judges = [make_user(Role.JUDGE, display_name=f"评委{i}") for i in range(4)]
    creator = make_user(Role.CREATOR, display_name="小明")
    a, b = (make_entry(contest=contest, creator=creator, state=EntryState.SUBMITTED) for _ in range(2))
    reviews = {}
    for entry, points in ((a, ("9", "9", "9", "1")), (b, ("8", "8", "8", "8"))):
        for judge, p in zip(judges, points):
            assignment = Assignment(judge=judge, entry=entry)
            db.session.add(assignment)
            reviews[(entry.id, judge.id)] = save_review(
                assignment=assignment, scores={c.id: D(p) for c in contest.criteria}, comment="", submit=True)
    db.session.commit()
    return contest, a, b, judges, reviews


def test_the_round_method_ranks_and_the_mean_stays_beside_it(db, scored):
    contest, a, b, judges, reviews = scored
    round_ = contest.rounds[0]
    by_mean = compute(round_)
    assert [r.entry_id for r in by_mean.rows] == [b.id, a.id]
    assert (by_mean.by_entry[a.id].mean, by_mean.by_entry[a.id].score) == (D("70.000"), D("70.000"))
    rounds.update_round(round_=round_, aggregation="trimmed_mean")
    trimmed = compute(round_)
    row = trimmed.by_entry[a.id]
    assert [r.entry_id for r in trimmed.rows] == [a.id, b.id] and row.rank == 1
    assert (row.mean, row.score, row.trimmed, row.median) == (D("70.000"), D("90.000"), D("90.000"), D("90.000"))
    assert (row.range, row.reviews, row.assigned) == (D("80.000"), 4, 4)
    assert "strong_disagreement" in row.flags and not trimmed.by_entry[b.id].flags
    dropped = {reviews[(a.id, judges[3].id)].id}  # the 10 is dropped low …
    assert dropped < set(row.dropped_review_ids) and len(row.dropped_review_ids) == 2  # … and one 90 high
    judge3 = next(j for j in trimmed.judges if j.judge_id == judges[3].id)
    assert judge3.offset == D("-40.000") and judge3.name == "评委3"
    assert trimmed.filtered(flagged=True) == [row]
    assert trimmed.filtered(category_id=a.category_id, coverage="partial") == []


def test_kept_standings_are_dropped_when_a_review_changes(db, scored):
    contest, a, b, judges, reviews = scored
    round_ = contest.rounds[0]
    first = round_standings(round_)
    assert round_standings(round_) is first  # kept
    reopen_review(review=reviews[(b.id, judges[0].id)], reason="重新评分")
    db.session.commit()
    again = round_standings(round_)
    assert again is not first and again.by_entry[b.id].reviews == 3
