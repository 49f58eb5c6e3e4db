from datetime import datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from contest.models import (
    Assignment, Category, Contest, Criterion, CriterionScore, EntryState, Orientation, Review, ReviewState,
)
from contest.services.contests.queries import entry_counts
from contest.services.contests.setup import (
    ContestError, CriterionSpec, create_contest, set_categories, set_rubric, update_contest,
)
from contest.services.judging.reviews import update_review_total
from tests.people import Role

SHANGHAI = ZoneInfo("Asia/Shanghai")
RUBRIC = [CriterionSpec("主题契合", 10, 40), CriterionSpec("创意", 10, 30), CriterionSpec("制作水平", 10, 30)]


@pytest.fixture(autouse=True)
def english(app):
    """Messages are translated, so services need a request; English keeps the assertions readable."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


def contest_kwargs(**overrides):
    fields = dict(
        code="xh2026", title="新会短视频大赛", theme="侨乡新貌", rules="原创",
        opens_at=datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI),
        closes_at=datetime(2026, 4, 30, 23, 59, tzinfo=SHANGHAI),
        categories=["微视频组", "Vlog组"], criteria=RUBRIC, max_file_bytes=200 * 1024 * 1024,
        min_duration_s=5.0, max_duration_s=180.0, orientation=Orientation.PORTRAIT, max_entries_per_creator=2,
    )
    fields.update(overrides)
    return fields


def contest_rows(db) -> int:
    return db.session.scalar(select(func.count(Contest.id)))


def score(db, *, entry, judge, points: list[int], state=ReviewState.SUBMITTED) -> Review:
    """A review of ``entry`` by ``judge`` with ``points`` in rubric order, total derived by its one writer."""
    assignment = Assignment(entry=entry, judge=judge)
    review = Review(assignment=assignment, state=state)
    review.scores = [CriterionScore(criterion=criterion, points=Decimal(p))
                     for criterion, p in zip(entry.contest.criteria, points)]
    db.session.add(review)
    db.session.flush()
    update_review_total(review)
    db.session.commit()
    return review


def test_create_contest_stores_window_in_utc_and_keeps_order(db):
    contest = create_contest(**contest_kwargs())
    db.session.commit()
    db.session.expire_all()

    assert contest.code == "XH2026"
    assert contest.opens_at == datetime(2026, 3, 1, 1, 0, tzinfo=timezone.utc)
    assert contest.closes_at == datetime(2026, 4, 30, 15, 59, tzinfo=timezone.utc)
    assert [c.name for c in contest.categories] == ["微视频组", "Vlog组"]
    assert [(c.name, c.max_points, c.weight, c.position) for c in contest.criteria] == [
        ("主题契合", 10, 40, 0), ("创意", 10, 30, 1), ("制作水平", 10, 30, 2)]
    assert (contest.max_file_bytes, contest.min_duration_s, contest.max_duration_s) == (209715200, 5.0, 180.0)
    assert contest.orientation == Orientation.PORTRAIT and contest.max_entries_per_creator == 2


def test_weights_not_adding_to_100_are_refused_with_the_actual_total(db):
    rubric = [CriterionSpec("主题契合", 10, 40), CriterionSpec("创意", 10, 30), CriterionSpec("制作水平", 10, 20)]
    with pytest.raises(ContestError, match="add up to 90%") as caught:
        create_contest(**contest_kwargs(criteria=rubric))
    assert caught.value.field == "criteria"
    db.session.rollback()
    assert contest_rows(db) == 0


def test_duplicate_criterion_names_are_refused_ignoring_case(db):
    rubric = [CriterionSpec("Story", 10, 50), CriterionSpec("story ", 10, 50)]
    with pytest.raises(ContestError, match="listed twice"):
        create_contest(**contest_kwargs(criteria=rubric))


@pytest.mark.parametrize("spec, message", [
    (CriterionSpec("创意", 0, 100), "at least 1 point"),
    (CriterionSpec("创意", 10, 0), "between 1 and 100"),
    (CriterionSpec("  ", 10, 100), "needs a name"),
])
def test_bad_criterion_lines_are_refused(db, spec, message):
    with pytest.raises(ContestError, match=message):
        create_contest(**contest_kwargs(criteria=[spec]))


def test_every_problem_is_reported_at_once(db):
    opens = datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI)
    bad_rubric = [CriterionSpec(name="创意", max_points=10, weight=50),
                  CriterionSpec(name="技术", max_points=10, weight=40)]
    with pytest.raises(ContestError) as caught:
        create_contest(**contest_kwargs(opens_at=opens, closes_at=opens, min_duration_s=50, max_duration_s=10,
                                        categories=["A组", "a组"], criteria=bad_rubric))
    fields = [field for field, _ in caught.value.errors]
    assert fields == ["closes_at", "max_duration_s", "categories", "criteria"]
    assert "add up to 90%" in caught.value.errors[-1][1]
    assert contest_rows(db) == 0


def test_window_must_close_after_it_opens(db):
    opens = datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI)
    with pytest.raises(ContestError, match="close after they open") as caught:
        create_contest(**contest_kwargs(opens_at=opens, closes_at=opens))
    assert caught.value.field == "closes_at"
    assert contest_rows(db) == 0


@pytest.mark.parametrize("code", ["X", "XH-2026", "新会2026", "A" * 21])
def test_malformed_codes_are_refused(db, code):
    with pytest.raises(ContestError) as caught:
        create_contest(**contest_kwargs(code=code))
    assert caught.value.field == "code"


def test_code_is_unique_ignoring_case(db, make_contest):
    make_contest(code="XH2026")
    with pytest.raises(ContestError, match="already used"):
        create_contest(**contest_kwargs(code="xh2026"))


def test_duration_window_and_limits_are_checked(db):
    with pytest.raises(ContestError, match="longest duration") as caught:
        create_contest(**contest_kwargs(min_duration_s=60.0, max_duration_s=60.0))
    assert caught.value.field == "max_duration_s"
    with pytest.raises(ContestError) as caught:
        create_contest(**contest_kwargs(max_entries_per_creator=0))
    assert caught.value.field == "max_entries_per_creator"


def test_update_contest_changes_fields_and_keeps_what_is_not_given(db, make_contest):
    contest = make_contest()
    update_contest(contest=contest, **{k: v for k, v in contest_kwargs(code=contest.code).items()
                                       if k not in ("categories", "criteria")})
    db.session.commit()
    assert contest.title == "新会短视频大赛" and contest.opens_at == datetime(2026, 3, 1, 1, 0, tzinfo=timezone.utc)
    assert [c.name for c in contest.categories] == ["微视频组", "Vlog组"]
    assert [c.weight for c in contest.criteria] == [40, 30, 30]


def test_code_cannot_change_once_entries_are_numbered(db, make_contest, make_user, make_entry):
    contest = make_contest(code="OLD1")
    make_entry(contest=contest, creator=make_user())
    fields = {k: v for k, v in contest_kwargs(code="NEW1").items() if k not in ("categories", "criteria")}
    with pytest.raises(ContestError, match="OLD1"):
        update_contest(contest=contest, **fields)


def test_categories_can_be_added_reordered_and_unused_ones_removed(db, make_contest):
    contest = make_contest()
    vlog_id = contest.categories[1].id
    set_categories(contest=contest, names=["Vlog组", "", "  纪录片组 "])
    db.session.commit()
    assert [(c.name, c.position) for c in contest.categories] == [("Vlog组", 0), ("纪录片组", 1)]
    assert contest.categories[0].id == vlog_id
    assert db.session.scalar(select(func.count(Category.id))) == 2


def test_category_with_entries_cannot_be_renamed_or_removed(db, make_contest, make_user, make_entry):
    contest = make_contest()
    make_entry(contest=contest, creator=make_user(), category=contest.categories[0])
    with pytest.raises(ContestError, match="微视频组 already has entries"):
        set_categories(contest=contest, names=["微视频 组", "Vlog组"])
    db.session.rollback()
    set_categories(contest=contest, names=["Vlog组", "微视频组", "新组"])
    db.session.commit()
    assert [c.name for c in contest.categories] == ["Vlog组", "微视频组", "新组"]


def test_duplicate_or_missing_categories_are_refused(db, make_contest):
    contest = make_contest()
    with pytest.raises(ContestError, match="listed twice"):
        set_categories(contest=contest, names=["A组", "a组"])
    with pytest.raises(ContestError, match="at least one category"):
        set_categories(contest=contest, names=["", "  "])


def test_rubric_keeps_ids_when_renaming_and_swapping_names(db, make_contest):
    contest = make_contest()
    first, second, _third = contest.criteria
    set_rubric(contest=contest, criteria=[
        CriterionSpec("创意", 10, 40, id=first.id), CriterionSpec("主题契合", 10, 30, id=second.id),
        CriterionSpec("传播力", 5, 30),
    ])
    db.session.commit()
    assert [(c.id, c.name, c.max_points) for c in contest.criteria][:2] == [
        (first.id, "创意", 10), (second.id, "主题契合", 10)]
    assert contest.criteria[2].name == "传播力" and contest.criteria[2].max_points == 5
    assert sorted(db.session.scalars(select(Criterion.name))) == sorted(["创意", "主题契合", "传播力"])


def test_scored_criterion_cannot_be_removed(db, make_contest, make_user, make_entry):
    contest = make_contest()
    entry = make_entry(contest=contest, creator=make_user(), state=EntryState.SUBMITTED)
    score(db, entry=entry, judge=make_user(Role.JUDGE), points=[8, 7, 9], state=ReviewState.DRAFT)
    first, second, _third = contest.criteria
    with pytest.raises(ContestError, match="制作水平 already has scores"):
        set_rubric(contest=contest, criteria=[CriterionSpec("主题契合", 10, 50, id=first.id),
                                              CriterionSpec("创意", 10, 50, id=second.id)])


def test_max_points_cannot_drop_below_a_given_score(db, make_contest, make_user, make_entry):
    contest = make_contest()
    entry = make_entry(contest=contest, creator=make_user(), state=EntryState.SUBMITTED)
    score(db, entry=entry, judge=make_user(Role.JUDGE), points=[8, 7, 9])
    specs = [CriterionSpec(c.name, c.max_points, c.weight, id=c.id) for c in contest.criteria]
    specs[0] = CriterionSpec("主题契合", 5, 40, id=specs[0].id)
    with pytest.raises(ContestError, match="already gave 8"):
        set_rubric(contest=contest, criteria=specs)


def test_reweighting_rederives_review_totals(db, make_contest, make_user, make_entry):
    contest = make_contest()
    entry = make_entry(contest=contest, creator=make_user(), state=EntryState.SUBMITTED)
    review = score(db, entry=entry, judge=make_user(Role.JUDGE), points=[10, 5, 5])
    assert review.total == Decimal("70.000")  # 1.0×40 + 0.5×30 + 0.5×30
    weights = [60, 20, 20]
    set_rubric(contest=contest, criteria=[CriterionSpec(c.name, c.max_points, w, id=c.id)
                                          for c, w in zip(contest.criteria, weights)])
    db.session.commit()
    assert db.session.get(Review, review.id).total == Decimal("80.000")  # 1.0×60 + 0.5×20 + 0.5×20


def test_no_criterion_can_be_added_after_a_review_is_submitted(db, make_contest, make_user, make_entry):
    contest = make_contest()
    entry = make_entry(contest=contest, creator=make_user(), state=EntryState.SUBMITTED)
    score(db, entry=entry, judge=make_user(Role.JUDGE), points=[8, 7, 9])
    specs = [CriterionSpec(c.name, c.max_points, c.weight - 10, id=c.id) for c in contest.criteria]
    with pytest.raises(ContestError, match="no criterion can be added"):
        set_rubric(contest=contest, criteria=specs + [CriterionSpec("传播力", 10, 30)])


def test_entry_counts_group_by_contest_and_state(db, make_contest, make_user, make_entry):
    first, second = make_contest(), make_contest()
    creator = make_user()
    for state in (EntryState.SUBMITTED, EntryState.SUBMITTED, EntryState.DRAFT):
        make_entry(contest=first, creator=creator, state=state)
    make_entry(contest=second, creator=creator, state=EntryState.DISQUALIFIED)
    counts = entry_counts()
    assert counts[first.id] == {EntryState.SUBMITTED: 2, EntryState.DRAFT: 1}
    assert counts[second.id] == {EntryState.DISQUALIFIED: 1}
