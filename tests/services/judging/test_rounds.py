"""Judging rounds: set-up, the entries a round holds, closing (reviews lock), reopening a review, and when a
judge may see the other judges' scores."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from contest.models import (
    Aggregation, Assignment, EntryState, PromotionRule, Review, ReviewState, RoundEntry, ScoreVisibility,
    utcnow,
)
from tests.people import Role
from contest.services.judging import rounds
from contest.services.judging.reviews import ReviewError, reopen_review, save_review

D = Decimal


@pytest.fixture(autouse=True)
def english(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture
def contest(make_contest):
    return make_contest()  # rubric 40/30/30, each out of 10


@pytest.fixture
def judge(make_user):
    return make_user(Role.JUDGE)


@pytest.fixture
def entry(make_user, make_entry, contest):
    return make_entry(contest=contest, creator=make_user(Role.CREATOR), state=EntryState.SUBMITTED)


def full_scores(contest, *points):
    return {c.id: D(p) for c, p in zip(contest.criteria, points)}


def test_a_contest_is_born_with_one_plain_round(db, contest):
    [only] = contest.rounds
    assert (only.position, only.name, only.blind, only.aggregation, only.score_visibility) == \
        (1, "评审", True, Aggregation.MEAN, ScoreVisibility.NEVER)
    assert rounds.current_round(contest) is only


def test_added_round_follows_the_last_and_copies_its_judging_settings(db, contest):
    first = contest.rounds[0]
    rounds.update_round(round_=first, name="初评", blind=False, aggregation="trimmed_mean", trim_k=2)
    second = rounds.add_round(contest=contest, name="复评")
    db.session.commit()
    assert [(r.position, r.name) for r in contest.rounds] == [(1, "初评"), (2, "复评")]
    assert (second.blind, second.aggregation, second.trim_k) == (False, Aggregation.TRIMMED_MEAN, 2)
    with pytest.raises(rounds.RoundError, match="already has a round named"):
        rounds.add_round(contest=contest, name="初评")
    with pytest.raises(rounds.RoundError, match="name"):
        rounds.add_round(contest=contest, name="  ")


def test_update_round_returns_what_changed_and_refuses_bad_settings_whole(db, contest):
    round_ = contest.rounds[0]
    changes = rounds.update_round(round_=round_, aggregation="median", blind=False, name="评审")
    assert changes == {"aggregation": (Aggregation.MEAN, Aggregation.MEDIAN), "blind": (True, False)}
    now = utcnow()
    bad = [dict(opens_at=now, closes_at=now - timedelta(hours=1)), dict(trim_k=0), dict(judge_cap=0),
           dict(promotion_rule="top_n", promotion_n=None), dict(promotion_rule="threshold"),
           dict(promotion_rule="threshold", promotion_threshold="100.5"), dict(colour="red")]
    for settings in bad:
        with pytest.raises(rounds.RoundError):
            rounds.update_round(round_=round_, **settings)
    assert (round_.trim_k, round_.judge_cap, round_.promotion_rule) == (1, None, PromotionRule.MANUAL)


def test_a_closed_round_refuses_every_review_save_and_changes_nothing(db, contest, entry, judge):
    assignment = Assignment(judge=judge, entry=entry)
    db.session.add(assignment)
    save_review(assignment=assignment, scores=full_scores(contest, "5", "5", "5"), comment="", submit=False)
    rounds.close_round(round_=contest.rounds[0])
    db.session.commit()
    with pytest.raises(rounds.RoundClosed, match="closed"):
        save_review(assignment=assignment, scores=full_scores(contest, "9", "9", "9"), comment="x", submit=True)
    db.session.rollback()
    review = db.session.scalars(select(Review)).one()
    assert (review.state, review.total, review.comment) == (ReviewState.DRAFT, D("50.000"), "")
    with pytest.raises(rounds.RoundError, match="already closed"):
        rounds.close_round(round_=contest.rounds[0])


def test_round_window_is_enforced_on_both_sides(db, contest, entry, judge):
    round_ = contest.rounds[0]
    assignment = Assignment(judge=judge, entry=entry)
    db.session.add(assignment)
    rounds.update_round(round_=round_, opens_at=utcnow() + timedelta(days=1))
    db.session.commit()
    with pytest.raises(rounds.RoundClosed, match="not started"):
        save_review(assignment=assignment, scores={}, comment="", submit=False)
    db.session.rollback()
    rounds.update_round(round_=round_, opens_at=utcnow() - timedelta(days=2),
                        closes_at=utcnow() - timedelta(days=1))
    db.session.commit()
    with pytest.raises(rounds.RoundClosed):
        save_review(assignment=assignment, scores={}, comment="", submit=False)
    db.session.rollback()
    assert db.session.scalars(select(Review)).all() == []


def test_organizer_reopens_a_submitted_review_with_a_reason(db, contest, entry, judge):
    assignment = Assignment(judge=judge, entry=entry)
    db.session.add(assignment)
    review = save_review(assignment=assignment, scores=full_scores(contest, "5", "5", "5"), comment="",
                         submit=True)
    db.session.commit()
    with pytest.raises(ReviewError, match="why"):
        reopen_review(review=review, reason=" ")
    reopen_review(review=review, reason="评委误操作")
    db.session.commit()
    assert (review.state, review.submitted_at) == (ReviewState.DRAFT, None)
    with pytest.raises(ReviewError, match="Only a submitted"):
        reopen_review(review=review, reason="again")
    save_review(assignment=assignment, scores=full_scores(contest, "6", "6", "6"), comment="", submit=True)
    db.session.commit()
    assert review.total == D("60.000")
    rounds.close_round(round_=contest.rounds[0])
    with pytest.raises(rounds.RoundClosed):
        reopen_review(review=review, reason="太晚")


@pytest.mark.parametrize("visibility, own_submitted, closed, visible", [
    ("never", True, True, False),
    ("after_own", False, False, False),
    ("after_own", True, False, True),
    ("after_close", True, False, False),
    ("after_close", True, True, True),
    ("after_close", False, True, False),
])
def test_other_judges_scores_are_visible_only_as_the_round_says(db, contest, visibility, own_submitted, closed,
                                                                visible):
    round_ = contest.rounds[0]
    rounds.update_round(round_=round_, score_visibility=visibility)
    if closed:
        rounds.close_round(round_=round_)
    assert rounds.others_visible(round_, own_submitted=own_submitted) is visible


def test_a_later_round_holds_only_the_promoted_entries(db, contest, make_entry, make_user):
    creator = make_user(Role.CREATOR)
    entries = [make_entry(contest=contest, creator=creator, state=EntryState.SUBMITTED) for _ in range(3)]
    make_entry(contest=contest, creator=creator, state=EntryState.DRAFT)
    second = rounds.add_round(contest=contest, name="复评")
    db.session.add(RoundEntry(round_id=second.id, entry_id=entries[1].id))
    db.session.commit()
    assert sorted(db.session.scalars(rounds.round_entry_ids(contest.rounds[0]))) == sorted(e.id for e in entries)
    assert list(db.session.scalars(rounds.round_entry_ids(second))) == [entries[1].id]
    assert rounds.current_round(contest) is second
