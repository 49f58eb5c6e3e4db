from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contest.models import (
    Assignment, Criterion, CriterionScore, EntryState, Review, ReviewState,
)
from contest.services.judging.reviews import ReviewError, judge_queue, save_review, update_review_total
from tests.people import Role

D = Decimal


@pytest.fixture(autouse=True)
def english(app):
    """Messages are checked in English (the msgids), whatever catalog exists."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture
def judge(make_user):
    return make_user(Role.JUDGE)


@pytest.fixture
def contest(make_contest):
    return make_contest()  # rubric 40/30/30, each out of 10


@pytest.fixture
def assign(db, make_user, make_entry, judge):
    creator = make_user(Role.CREATOR)

    def make(contest, *, state=EntryState.SUBMITTED, title=None, to=None):
        entry = make_entry(contest=contest, creator=creator, state=state, title=title)
        assignment = Assignment(judge=to or judge, entry=entry)
        db.session.add(assignment)
        db.session.commit()
        return assignment

    return make


def scores_for(contest, *points):
    return {c.id: (None if p is None else D(p)) for c, p in zip(contest.criteria, points)}


def set_rubric(db, contest, *lines):
    """Replace the rubric with (weight, max_points) lines (bypasses the rubric service on purpose)."""
    contest.criteria = [Criterion(name=f"标准{i}", weight=w, max_points=m, position=i)
                        for i, (w, m) in enumerate(lines)]
    db.session.commit()


# --- the weighted total ------------------------------------------------------------------------------------

@pytest.mark.parametrize("points, expected", [
    (("8", "7", "9"), "80.000"),      # 0.8×40 + 0.7×30 + 0.9×30
    (("10", "10", "10"), "100.000"),
    (("0", "0", "0"), "0.000"),
    (("7.5", "6.25", "9"), "75.750"),  # 30 + 18.75 + 27
])
def test_total_is_weighted_points_out_of_100(db, contest, assign, points, expected):
    review = save_review(assignment=assign(contest), scores=scores_for(contest, *points), comment="",
                         submit=False)
    assert review.total == D(expected)


def test_total_scales_each_criterion_by_its_max(db, contest, assign):
    set_rubric(db, contest, (50, 20), (30, 10), (20, 5))
    review = save_review(assignment=assign(contest), scores=scores_for(contest, "15", "6", "4"),
                         comment="", submit=False)
    # 15/20×50 + 6/10×30 + 4/5×20 = 37.5 + 18 + 16
    assert review.total == D("71.500")


def test_total_rounds_half_up_to_three_decimals(db, contest, assign):
    set_rubric(db, contest, (1, 4), (99, 10))
    review = save_review(assignment=assign(contest), scores=scores_for(contest, "0.01", "0"),
                         comment="", submit=False)
    assert review.total == D("0.003")  # exactly 0.0025: half-up (half-even would give 0.002)


def test_total_of_thirds_is_rounded_not_truncated(db, contest, assign):
    set_rubric(db, contest, (50, 3), (50, 3))
    review = save_review(assignment=assign(contest), scores=scores_for(contest, "2", "2"),
                         comment="", submit=False)
    assert review.total == D("66.667")  # 2/3×50 + 2/3×50 = 66.666…


def test_total_is_none_while_a_criterion_is_unscored(db, contest, assign):
    review = save_review(assignment=assign(contest), scores=scores_for(contest, "8", None, "9"),
                         comment="", submit=False)
    assert review.total is None
    review.scores.append(CriterionScore(criterion_id=contest.criteria[1].id, points=D("7")))
    assert update_review_total(review) == D("80.000") == review.total


# --- saving -------------------------------------------------------------------------------------------------

def test_saving_twice_keeps_one_review_and_one_score_per_criterion(db, contest, assign):
    assignment = assign(contest)
    save_review(assignment=assignment, scores=scores_for(contest, "5", "5", None), comment="初看", submit=False)
    db.session.commit()
    review = save_review(assignment=assignment, scores=scores_for(contest, "8", "7", "9"), comment=" 不错 ",
                         submit=False)
    db.session.commit()
    assert db.session.scalar(select(func.count(Review.id))) == 1
    rows = db.session.execute(select(CriterionScore.criterion_id, CriterionScore.points)
                              .order_by(CriterionScore.criterion_id)).all()
    assert rows == [(c.id, p) for c, p in zip(contest.criteria, [D("8.00"), D("7.00"), D("9.00")])]
    assert review.comment == "不错" and review.state == ReviewState.DRAFT and review.total == D("80.000")


def test_draft_may_be_empty_and_clearing_a_score_removes_its_row(db, contest, assign):
    assignment = assign(contest)
    save_review(assignment=assignment, scores=scores_for(contest, "8", "7", "9"), comment="", submit=False)
    db.session.commit()
    review = save_review(assignment=assignment, scores={}, comment="", submit=False)
    db.session.commit()
    assert db.session.scalar(select(func.count(CriterionScore.id))) == 0
    assert review.total is None and review.state == ReviewState.DRAFT


def test_submit_makes_the_review_final(db, contest, assign):
    assignment = assign(contest)
    review = save_review(assignment=assignment, scores=scores_for(contest, "8", "7", "9"), comment="",
                         submit=True)
    db.session.commit()
    assert review.state == ReviewState.SUBMITTED and review.submitted_at is not None
    with pytest.raises(ReviewError, match="already submitted"):
        save_review(assignment=assignment, scores=scores_for(contest, "1", "1", "1"), comment="",
                    submit=False)
    db.session.rollback()
    assert [s.points for s in db.session.get(Review, review.id).scores] == [D("8.00"), D("7.00"), D("9.00")]


def test_submit_needs_every_criterion(db, contest, assign):
    assignment = assign(contest)
    with pytest.raises(ReviewError) as caught:
        save_review(assignment=assignment, scores=scores_for(contest, "8", None, "9"), comment="",
                    submit=True)
    second = contest.criteria[1]
    assert list(caught.value.criterion_errors) == [second.id]
    assert "创意" in str(caught.value) and "10" in str(caught.value)
    assert assignment.review is None


@pytest.mark.parametrize("value, fragment", [
    ("10.5", "between 0 and 10"),
    ("-1", "between 0 and 10"),
    ("NaN", "between 0 and 10"),
    ("7.255", "two decimals"),
])
def test_bad_scores_are_refused_naming_the_criterion_and_max(db, contest, assign, value, fragment):
    assignment = assign(contest)
    with pytest.raises(ReviewError) as caught:
        save_review(assignment=assignment, scores=scores_for(contest, value, "7", "9"), comment="",
                    submit=False)
    message = caught.value.criterion_errors[contest.criteria[0].id]
    assert message.startswith("主题契合") and fragment in message
    assert db.session.scalar(select(func.count(Review.id))) == 0


def test_unknown_criterion_is_refused(db, contest, make_contest, assign):
    foreign = make_contest().criteria[0]
    with pytest.raises(ReviewError, match=f"Unknown criterion: {foreign.id}"):
        save_review(assignment=assign(contest), scores={foreign.id: D("5")}, comment="", submit=False)


@pytest.mark.parametrize("state", [EntryState.DRAFT, EntryState.WITHDRAWN, EntryState.DISQUALIFIED])
def test_only_submitted_entries_can_be_reviewed(db, contest, assign, state):
    with pytest.raises(ReviewError, match="not open for judging"):
        save_review(assignment=assign(contest, state=state), scores=scores_for(contest, "8", "7", "9"),
                    comment="", submit=False)


# --- the queue ----------------------------------------------------------------------------------------------

def test_queue_lists_unsubmitted_first_then_by_number_and_skips_withdrawn(db, contest, assign, make_user):
    first, second, third = (assign(contest) for _ in range(3))
    assign(contest, state=EntryState.WITHDRAWN)
    assign(contest, to=make_user(Role.JUDGE))  # someone else's
    save_review(assignment=first, scores=scores_for(contest, "8", "7", "9"), comment="", submit=True)
    save_review(assignment=third, scores=scores_for(contest, "8", None, None), comment="", submit=False)
    db.session.commit()
    judge, expected = first.judge, [second.id, third.id, first.id]
    db.session.expunge_all()
    assert [a.id for a in judge_queue(judge=judge)] == expected


def test_queue_loads_entries_and_reviews_without_extra_queries(db, contest, assign, app):
    from sqlalchemy import event

    assignments = [assign(contest) for _ in range(4)]
    for a in assignments[:2]:
        save_review(assignment=a, scores=scores_for(contest, "8", "7", "9"), comment="", submit=False)
    db.session.commit()
    judge = assignments[0].judge
    db.session.expunge_all()
    judge = db.session.merge(judge, load=False)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        queue = judge_queue(judge=judge)
        seen = [(a.entry.number, a.entry.category.name, a.entry.contest.code, a.entry.video,
                 a.review and [s.points for s in a.review.scores]) for a in queue]
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(seen) == 4
    assert len(statements) == 2, statements  # the joined query + scores (selectin)
