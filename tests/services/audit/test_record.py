"""Every audited action leaves exactly one row per thing it changed, with the values before and after, the
actor and the address; a save that changes nothing leaves none; the database refuses to change the rows."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from contest.infra.actor import Actor, acting_as
from contest.models import Assignment, AuditAction, AuditEvent, EntryState, utcnow
from tests.people import Role
from contest.services.accounts.sessions import deactivate_account, reactivate_account, sign_out_everywhere
from contest.services.audit.record import record
from contest.services.contests.setup import CriterionSpec, update_contest
from contest.services.judging import voiding
from contest.services.judging.assignments import assign_all, remove_assignment
from contest.services.judging.reviews import save_review
from contest.services.submissions.declarations import update_declarations
from contest.services.submissions.entries import disqualify_entry, withdraw_entry
from contest.services.submissions.window import extend_deadline
from contest.services.uploads import admission

D = Decimal


@pytest.fixture(autouse=True)
def english(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture
def people(make_user):
    return {"creator": make_user(Role.CREATOR), "organizer": make_user(Role.ORGANIZER),
            "judge": make_user(Role.JUDGE), "judge2": make_user(Role.JUDGE)}


@pytest.fixture
def entry(make_contest, make_entry, people):
    return make_entry(contest=make_contest(), creator=people["creator"], state=EntryState.SUBMITTED)


@pytest.fixture
def assignment(db, entry, people):
    assignment = Assignment(judge=people["judge"], entry=entry)
    db.session.add(assignment)
    db.session.commit()
    return assignment


def events(db, action=None) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt))


def scores(contest, *points):
    return {c.id: (None if p is None else D(p)) for c, p in zip(contest.criteria, points)}


def test_the_row_names_the_actor_and_address_and_commits_with_the_change(db, entry, people):
    with acting_as(Actor(user_id=people["organizer"].id, ip="203.0.113.7")):
        record(AuditAction.ENTRY_DISQUALIFIED, contest_id=entry.contest_id, entry_id=entry.id,
               before={"at": utcnow().replace(year=2026, month=3, day=1, hour=1, minute=0, second=0,
                                              microsecond=0)},
               after={"points": D("8.50")}, reason="抄袭")
    db.session.commit()
    (event,) = events(db)
    assert (event.actor_id, event.actor_ip, event.contest_id, event.entry_id, event.reason) == (
        people["organizer"].id, "203.0.113.7", entry.contest_id, entry.id, "抄袭")
    assert event.before == {"at": "2026-03-01T01:00:00+00:00"} and event.after == {"points": "8.50"}


def test_outside_a_request_the_actor_is_the_system_and_a_rollback_drops_the_row(db, entry):
    record(AuditAction.ENTRY_WITHDRAWN, contest_id=entry.contest_id)
    db.session.flush()
    assert [(e.actor_id, e.actor_ip) for e in events(db)] == [(None, None)]
    db.session.rollback()
    assert events(db) == []


def test_a_first_draft_records_the_scores_it_gives(db, assignment, people):
    contest = assignment.entry.contest
    save_review(assignment=assignment, scores=scores(contest, "8", None, None), comment="", submit=False)
    db.session.commit()
    (event,) = events(db)
    assert event.action == AuditAction.SCORE_CHANGED
    assert (event.entry_id, event.subject_user_id) == (assignment.entry_id, people["judge"].id)
    assert event.before == {"主题契合": None} and event.after == {"主题契合": "8.00"}


def test_a_draft_save_records_only_the_changed_scores_and_total(db, assignment):
    contest = assignment.entry.contest
    save_review(assignment=assignment, scores=scores(contest, "8", "7", "9"), comment="", submit=False)
    db.session.commit()
    save_review(assignment=assignment, scores=scores(contest, "8", "6.5", "9"), comment="改了", submit=False)
    db.session.commit()
    first, second = events(db, AuditAction.SCORE_CHANGED)
    assert first.after == {"主题契合": "8.00", "创意": "7.00", "制作水平": "9.00", "total": "80.000"}
    assert second.before == {"创意": "7.00", "total": "80.000"}
    assert second.after == {"创意": "6.50", "total": "78.500"}


def test_a_save_that_changes_no_score_leaves_no_row(db, assignment):
    contest = assignment.entry.contest
    save_review(assignment=assignment, scores=scores(contest, "8", "7", "9"), comment="", submit=False)
    db.session.commit()
    save_review(assignment=assignment, scores=scores(contest, "8.00", "7", "9"), comment="只改评语",
                submit=False)
    db.session.commit()
    assert len(events(db)) == 1


def test_a_submission_leaves_one_row_with_the_final_scores(db, assignment):
    contest = assignment.entry.contest
    save_review(assignment=assignment, scores=scores(contest, "8", "7", "9"), comment="", submit=False)
    db.session.commit()
    save_review(assignment=assignment, scores=scores(contest, "8", "7", "10"), comment="", submit=True)
    db.session.commit()
    (submitted,) = events(db, AuditAction.REVIEW_SUBMITTED)
    assert submitted.before == {"制作水平": "9.00", "total": "80.000"}
    assert submitted.after == {"主题契合": "8.00", "创意": "7.00", "制作水平": "10.00", "total": "83.000"}
    assert len(events(db)) == 2  # the draft's score change, the submission


def test_a_refused_save_leaves_no_row(db, assignment):
    contest = assignment.entry.contest
    with pytest.raises(Exception):
        save_review(assignment=assignment, scores=scores(contest, "11", "7", "9"), comment="", submit=False)
    db.session.rollback()
    assert events(db) == []


def test_assigning_records_one_row_per_new_assignment(db, entry, people):
    created = assign_all(contest=entry.contest, judges=[people["judge"], people["judge2"]])
    db.session.commit()
    rows = events(db, AuditAction.ASSIGNMENT_CREATED)
    assert created == 2
    assert sorted((e.entry_id, e.subject_user_id, e.contest_id) for e in rows) == [
        (entry.id, people["judge"].id, entry.contest_id), (entry.id, people["judge2"].id, entry.contest_id)]
    ids = {a.judge_id: a.id for a in db.session.scalars(select(Assignment))}
    assert sorted(e.after["assignment_id"] for e in rows) == sorted(ids.values())
    assign_all(contest=entry.contest, judges=[people["judge"]])  # nothing new: no row
    db.session.commit()
    assert len(events(db)) == 2


def test_removing_an_assignment_records_the_draft_that_goes_with_it(db, assignment, people):
    contest = assignment.entry.contest
    save_review(assignment=assignment, scores=scores(contest, "5", None, None), comment="", submit=False)
    db.session.commit()
    assignment_id = assignment.id
    remove_assignment(assignment=assignment)
    db.session.commit()
    (removed,) = events(db, AuditAction.ASSIGNMENT_REMOVED)
    assert removed.subject_user_id == people["judge"].id
    assert removed.before == {"assignment_id": assignment_id, "review": "draft", "主题契合": "5.00",
                              "创意": None, "制作水平": None, "total": None}


def test_contest_changes_record_the_changed_fields_only(db, make_contest):
    contest = make_contest()
    fields = dict(code=contest.code, title="新标题", opens_at=contest.opens_at, closes_at=contest.closes_at,
                  theme=contest.theme, rules=contest.rules, max_file_bytes=contest.max_file_bytes,
                  min_duration_s=contest.min_duration_s, max_duration_s=contest.max_duration_s,
                  orientation=contest.orientation, max_entries_per_creator=5)
    old_title = contest.title
    update_contest(contest=contest, **fields)
    db.session.commit()
    (changed,) = events(db)
    assert changed.action == AuditAction.CONTEST_SETTINGS_CHANGED
    assert changed.before == {"title": old_title, "max_entries_per_creator": 3}
    assert changed.after == {"title": "新标题", "max_entries_per_creator": 5}
    update_contest(contest=contest, **fields)  # the same values again: nothing changed
    db.session.commit()
    assert len(events(db)) == 1


def test_a_rubric_change_records_the_rubric_before_and_after(db, make_contest):
    contest = make_contest()
    ids = [c.id for c in contest.criteria]
    fields = dict(code=contest.code, title=contest.title, opens_at=contest.opens_at, closes_at=contest.closes_at,
                  theme=contest.theme, rules=contest.rules, max_file_bytes=contest.max_file_bytes,
                  min_duration_s=contest.min_duration_s, max_duration_s=contest.max_duration_s,
                  orientation=contest.orientation, max_entries_per_creator=3)
    criteria = [CriterionSpec("主题契合", 10, 50, id=ids[0]), CriterionSpec("创意", 10, 20, id=ids[1]),
                CriterionSpec("制作水平", 10, 30, id=ids[2])]
    update_contest(contest=contest, criteria=criteria, categories=["微视频组", "Vlog组", "纪录片组"], **fields)
    db.session.commit()
    settings, rubric = events(db)
    assert settings.before == {"categories": ["微视频组", "Vlog组"]}
    assert settings.after == {"categories": ["微视频组", "Vlog组", "纪录片组"]}
    assert rubric.action == AuditAction.RUBRIC_CHANGED
    assert [(c["name"], c["weight"]) for c in rubric.before["criteria"]] == [
        ("主题契合", 40), ("创意", 30), ("制作水平", 30)]
    assert [(c["name"], c["weight"]) for c in rubric.after["criteria"]] == [
        ("主题契合", 50), ("创意", 20), ("制作水平", 30)]


def test_disqualifying_and_withdrawing_record_the_state_and_reason(db, entry, make_entry, people):
    disqualify_entry(entry=entry, reason="抄袭他人作品", by=people["organizer"])
    other = make_entry(contest=entry.contest, creator=people["creator"], state=EntryState.SUBMITTED)
    withdraw_entry(entry=other, reason="想重新拍")
    db.session.commit()
    disqualified, withdrawn = events(db)
    assert (disqualified.action, disqualified.entry_id, disqualified.before, disqualified.after,
            disqualified.reason) == (AuditAction.ENTRY_DISQUALIFIED, entry.id, {"state": "submitted"},
                                     {"state": "disqualified"}, "抄袭他人作品")
    assert (withdrawn.action, withdrawn.entry_id, withdrawn.subject_user_id, withdrawn.after,
            withdrawn.reason) == (AuditAction.ENTRY_WITHDRAWN, other.id, people["creator"].id,
                                  {"state": "withdrawn"}, "想重新拍")


def test_a_replacement_permit_and_the_voided_review_are_recorded(db, assignment, people):
    entry = assignment.entry
    save_review(assignment=assignment, scores=scores(entry.contest, "8", "7", "9"), comment="", submit=True)
    db.session.commit()
    permit = voiding.allow_replacement(entry=entry, organizer=people["organizer"], reason="原视频有误")
    db.session.commit()
    admission.replace_video(entry=entry, key="originals/new.mp4", size_bytes=1000, sha256="0" * 64,
                            filename="新.mp4")
    db.session.commit()
    (allowed,) = events(db, AuditAction.REPLACEMENT_ALLOWED)
    (voided,) = events(db, AuditAction.REVIEW_VOIDED)
    assert (allowed.entry_id, allowed.after, allowed.reason) == (entry.id, {"permit_id": permit.id}, "原视频有误")
    assert voided.subject_user_id == people["judge"].id and voided.after == {"permit_id": permit.id}
    assert voided.before == {"review": "submitted", "主题契合": "8.00", "创意": "7.00", "制作水平": "9.00",
                             "total": "80.000"}


def test_revoking_a_permit_is_recorded(db, assignment, people):
    entry = assignment.entry
    save_review(assignment=assignment, scores=scores(entry.contest, "8", None, None), comment="", submit=False)
    permit = voiding.allow_replacement(entry=entry, organizer=people["organizer"], reason="原视频有误")
    voiding.revoke_permit(permit=permit, organizer=people["organizer"])
    db.session.commit()
    (revoked,) = events(db, AuditAction.REPLACEMENT_REVOKED)
    assert (revoked.entry_id, revoked.before) == (entry.id, {"permit_id": permit.id})


def test_a_deadline_extension_records_the_old_and_new_deadline(db, entry, people):
    contest = entry.contest
    new = (contest.closes_at + timedelta(days=2)).replace(microsecond=0)
    extend_deadline(contest=contest, creator=people["creator"], closes_at=new, reason="网络故障",
                    by=people["organizer"])
    db.session.commit()
    (event,) = events(db)
    assert (event.action, event.subject_user_id, event.reason) == (
        AuditAction.DEADLINE_EXTENDED, people["creator"].id, "网络故障")
    assert event.before == {"closes_at": contest.closes_at.isoformat()}
    assert event.after == {"closes_at": new.isoformat()}


def test_account_actions_are_recorded_outside_any_contest(db, people):
    judge, organizer = people["judge"], people["organizer"]
    deactivate_account(user=judge, by=organizer)
    reactivate_account(user=judge, by=organizer)
    sign_out_everywhere(user=judge, by=organizer)
    db.session.commit()
    assert [(e.action, e.contest_id, e.subject_user_id, e.before, e.after) for e in events(db)] == [
        (AuditAction.ACCOUNT_DEACTIVATED, None, judge.id, {"active": True}, {"active": False}),
        (AuditAction.ACCOUNT_REACTIVATED, None, judge.id, {"active": False}, {"active": True}),
        (AuditAction.ACCOUNT_SIGNED_OUT, None, judge.id, None, None),
    ]


def test_a_changed_declaration_text_is_recorded(db, make_contest, people):
    contest = make_contest()
    update_declarations(contest=contest, texts={"originality": "本作品为原创。"}, by=people["organizer"])
    db.session.commit()
    (event,) = events(db)
    assert event.action == AuditAction.DECLARATIONS_CHANGED
    assert list(event.before) == ["originality"] and event.after == {"originality": "本作品为原创。"}


def add_one(db) -> None:
    record(AuditAction.CONTEST_CREATED, contest_id=1, after={"code": "T01"})
    db.session.commit()


@pytest.mark.postgres
@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET reason = 'x'", "DELETE FROM audit_event", "TRUNCATE audit_event"])
def test_postgres_refuses_to_change_or_remove_rows(db, statement):
    add_one(db)
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert db.session.scalar(text("SELECT count(*) FROM audit_event")) == 1


@pytest.mark.sqlite
@pytest.mark.parametrize("statement", ["UPDATE audit_event SET reason = 'x'", "DELETE FROM audit_event"])
def test_sqlite_refuses_to_change_or_remove_rows(db, statement):
    add_one(db)
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert db.session.scalar(text("SELECT count(*) FROM audit_event")) == 1


def test_every_action_has_a_chinese_label(app):
    from flask_babel import force_locale

    from contest.services.audit.queries import ACTION_LABELS

    with force_locale("zh"):
        labels = {action: str(ACTION_LABELS.get(action)) for action in AuditAction}
    untranslated = [action for action, label in labels.items() if not label or label.isascii()]
    assert untranslated == []
