"""Round, promotion, reopening and conflict actions each leave exactly one audit row with their values."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from contest.models import Assignment, AuditAction, AuditEvent, EntryState
from tests.people import Role
from contest.services.judging import recusal, rounds
from contest.services.judging.assignments import assign_per_entry
from contest.services.judging.reviews import reopen_review, save_review
from contest.services.results import promotion


@pytest.fixture(autouse=True)
def english(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


def events(db, action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_round_actions_are_audited_with_before_and_after(db, make_contest, make_user, make_entry):
    contest = make_contest()
    judge, organizer = make_user(Role.JUDGE), make_user(Role.ORGANIZER)
    entry = make_entry(contest=contest, creator=make_user(Role.CREATOR), state=EntryState.SUBMITTED)
    first = contest.rounds[0]
    rounds.update_round(round_=first, aggregation="trimmed_mean", trim_k=1)  # trim_k unchanged
    rounds.update_round(round_=first, aggregation="trimmed_mean")  # nothing changed: no row
    second = rounds.add_round(contest=contest, name="终评")
    assignment = Assignment(judge=judge, entry=entry, round=first)
    db.session.add(assignment)
    review = save_review(assignment=assignment, scores={c.id: Decimal("8") for c in contest.criteria}, comment="",
                         submit=True)
    reopen_review(review=review, reason="评委误操作")
    save_review(assignment=assignment, scores={c.id: Decimal("9") for c in contest.criteria}, comment="",
                submit=True)
    rounds.close_round(round_=first)
    promotion.promote(round_=first, decided_by=organizer, entry_ids=[entry.id])
    promotion.revert(round_=first)
    db.session.commit()

    [changed] = events(db, AuditAction.ROUND_SETTINGS_CHANGED)
    assert (changed.before, changed.after) == ({"round": "评审", "aggregation": "mean"},
                                               {"round": "评审", "aggregation": "trimmed_mean"})
    [added] = events(db, AuditAction.ROUND_ADDED)
    assert added.after == {"round_id": second.id, "position": 2, "name": "终评"}
    [reopened] = events(db, AuditAction.REVIEW_REOPENED)
    assert (reopened.before, reopened.after, reopened.reason, reopened.subject_user_id) == (
        {"state": "submitted", "total": "80.000"}, {"state": "draft"}, "评委误操作", judge.id)
    [closed] = events(db, AuditAction.ROUND_CLOSED)
    assert closed.after["round"] == "评审"
    [promoted] = events(db, AuditAction.ROUND_PROMOTED)
    assert (promoted.before["entry_ids"], promoted.after["entry_ids"], promoted.after["to"]) == ([], [entry.id], "终评")
    [reverted] = events(db, AuditAction.PROMOTION_REVERTED)
    assert (reverted.before["entry_ids"], reverted.after["entry_ids"]) == ([entry.id], [])


def test_recusal_and_conflicts_are_audited(db, make_contest, make_user, make_entry):
    contest = make_contest()
    judges = [make_user(Role.JUDGE) for _ in range(2)]
    organizer = make_user(Role.ORGANIZER)
    entry = make_entry(contest=contest, creator=make_user(Role.CREATOR), state=EntryState.SUBMITTED)
    assign_per_entry(contest=contest, judges=judges, per_entry=1)
    assignment = db.session.scalar(select(Assignment))
    done = recusal.recuse(assignment=assignment, reason="同一单位")
    pair = recusal.add_conflict(entry=entry, judge=done.replacement.judge, reason="同一MCN", by=organizer)
    recusal.remove_conflict(conflict=pair)
    db.session.commit()
    [recused] = events(db, AuditAction.CONFLICT_RECUSED)
    assert (recused.subject_user_id, recused.reason, recused.after["replacement_judge_id"]) == (
        assignment.judge_id, "同一单位", done.replacement.judge_id)
    [added] = events(db, AuditAction.CONFLICT_ADDED)
    assert (added.after, added.reason) == ({"source": "organizer", "removed_assignments": 1}, "同一MCN")
    [removed] = events(db, AuditAction.CONFLICT_REMOVED)
    assert removed.before == {"source": "organizer", "reason": "同一MCN"}
