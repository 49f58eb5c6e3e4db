"""Replacing the video of a reviewed entry: refused on every upload path, allowed once by an organizer with a
reason, and then the entry's reviews are voided (kept as VoidedReview rows) and count nowhere."""
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contest.models import (
    Assignment,
    CriterionScore,
    EntryState,
    ReplacementPermit,
    Review,
    ReviewState,
    Video,
    VoidedReview,
)
from contest.services.judging import voiding
from contest.services.judging.queries import judge_progress
from contest.services.judging.reviews import save_review
from contest.services.results.ranking import rank_entries
from contest.services.uploads import admission, s3_multipart, tus
from contest.services.uploads.s3_multipart import DirectUploadError
from contest.services.uploads.tus import UploadError
from tests.people import Role

D = Decimal
LOCKED = "评委已开始评审此作品，不能再更换视频。如需更换，请联系主办方。"


@pytest.fixture(autouse=True)
def chinese(app):
    with app.test_request_context():  # the default locale: Chinese
        yield


@pytest.fixture
def people(make_user):
    return {"creator": make_user(Role.CREATOR), "organizer": make_user(Role.ORGANIZER, display_name="主办方甲"),
            "judges": [make_user(Role.JUDGE, display_name=f"评委{i}") for i in (1, 2)]}


@pytest.fixture
def entry(db, make_contest, make_entry, people):
    """A submitted entry assigned to two judges: judge 1 submitted 8/7/9 (80.000), judge 2 saved a draft."""
    contest = make_contest()
    entry = make_entry(contest=contest, creator=people["creator"], state=EntryState.SUBMITTED)
    first, second = (Assignment(judge=judge, entry=entry) for judge in people["judges"])
    db.session.add_all([first, second])
    db.session.flush()
    points = [c.id for c in contest.criteria]
    save_review(assignment=first, scores=dict(zip(points, map(D, "879"))), comment="很好", submit=True)
    save_review(assignment=second, scores={points[0]: D("5")}, comment="", submit=False)
    db.session.commit()
    return entry


def replace(entry, key="originals/new.mp4"):
    """The step every upload path ends with, once the new original is stored."""
    return admission.replace_video(entry=entry, key=key, size_bytes=1000, sha256="0" * 64, filename="新.mp4")


def test_a_draft_review_is_enough_to_lock_the_video(db, make_contest, make_entry, people):
    entry = make_entry(contest=make_contest(), creator=people["creator"], state=EntryState.SUBMITTED)
    assignment = Assignment(judge=people["judges"][0], entry=entry)
    db.session.add(assignment)
    db.session.commit()
    admission.require_can_upload(entry)  # assigned, nothing saved yet: allowed

    save_review(assignment=assignment, scores={}, comment="", submit=False)
    db.session.commit()
    with pytest.raises(voiding.VideoLocked) as refused:
        admission.require_can_upload(entry)
    assert refused.value.reasons == [LOCKED] and refused.value.status == 403


def test_every_upload_path_refuses_a_reviewed_entry(db, entry, people):
    creator = people["creator"]
    with pytest.raises(voiding.VideoLocked):
        admission.attach_video(entry=entry, stream=io.BytesIO(b"x" * 100), filename="a.mp4")
    with pytest.raises(UploadError) as tus_refused:
        tus.create_upload(user=creator, length=100, metadata={"entry_id": str(entry.id), "filename": "a.mp4"})
    assert (tus_refused.value.status, tus_refused.value.reasons) == (403, [LOCKED])
    with pytest.raises(DirectUploadError) as s3_refused:
        s3_multipart.start(user=creator, entry_id=entry.id, filename="a.mp4", size=100, content_type="video/mp4")
    assert (s3_refused.value.status, s3_refused.value.reasons) == (422, [LOCKED])
    with pytest.raises(voiding.VideoLocked):
        replace(entry)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Video.id))) == 0
    assert db.session.scalar(select(func.count(Review.id))) == 2


@pytest.mark.parametrize("reason, message", [
    ("  ", "请填写允许更换视频的原因，评委会看到这一原因。"),
    ("长" * 501, "原因最多 500 个字。"),
])
def test_a_permission_needs_a_reason(db, entry, people, reason, message):
    with pytest.raises(voiding.PermitError) as refused:
        voiding.allow_replacement(entry=entry, organizer=people["organizer"], reason=reason)
    assert refused.value.reasons == [message]
    assert db.session.scalar(select(func.count(ReplacementPermit.id))) == 0


def test_no_permission_is_given_when_none_is_needed_or_one_is_open(db, make_contest, make_entry, entry, people):
    unreviewed = make_entry(contest=entry.contest, creator=people["creator"], state=EntryState.SUBMITTED)
    with pytest.raises(voiding.PermitError, match="还没有评委评审此作品"):
        voiding.allow_replacement(entry=unreviewed, organizer=people["organizer"], reason="换片")
    voiding.allow_replacement(entry=entry, organizer=people["organizer"], reason="换片")
    with pytest.raises(voiding.PermitError, match="已允许此作品的参赛者更换视频"):
        voiding.allow_replacement(entry=entry, organizer=people["organizer"], reason="再换")


def test_the_permitted_upload_voids_every_review_and_records_it(db, entry, people):
    judge_one, judge_two = people["judges"]
    permit = voiding.allow_replacement(entry=entry, organizer=people["organizer"], reason="上传错了文件")
    db.session.commit()
    assert [r.reviews for r in rank_entries(contest=entry.contest)] == [1]  # the permission alone voids nothing
    admission.require_can_upload(entry)

    video = replace(entry)
    db.session.commit()

    assert entry.video == video and entry.state == EntryState.DRAFT
    assert permit.used_at is not None and not permit.is_open
    assert db.session.scalar(select(func.count(Review.id))) == 0
    assert db.session.scalar(select(func.count(CriterionScore.id))) == 0
    voided = db.session.scalars(select(VoidedReview).order_by(VoidedReview.id)).all()
    criteria = [str(c.id) for c in entry.contest.criteria]
    assert [(v.assignment.judge_id, v.state, v.total, v.scores, v.comment) for v in voided] == [
        (judge_one.id, ReviewState.SUBMITTED, D("80.000"), dict(zip(criteria, ["8.00", "7.00", "9.00"])), "很好"),
        (judge_two.id, ReviewState.DRAFT, None, {criteria[0]: "5.00"}, ""),
    ]
    assert {(v.voided_reason, v.voided_by_id, v.voided_at, v.permit_id) for v in voided} == {
        ("上传错了文件", people["organizer"].id, permit.used_at, permit.id)}
    assert voided[0].submitted_at is not None and voided[0].saved_at is not None

    entry.state = EntryState.SUBMITTED  # the creator submits the new video
    db.session.commit()
    assert judge_progress(judge=judge_one) == (0, 1)  # the judge's "done" no longer counts it
    [row] = rank_entries(contest=entry.contest)
    assert (row.reviews, row.assigned, row.total, row.fully_reviewed) == (0, 2, None, False)
    notices = voiding.voided_notices(assignment_ids=[a.id for a in entry_assignments(db, entry)])
    assert {n.voided_reason for n in notices.values()} == {"上传错了文件"} and len(notices) == 2

    # The judge scores the new video in a fresh review; that locks the video again.
    assignment = entry_assignments(db, entry)[0]
    fresh = save_review(assignment=assignment, scores=dict(zip(map(int, criteria), map(D, "999"))), comment="",
                        submit=True)
    db.session.commit()
    assert fresh.total == D("90.000") and [r.total for r in rank_entries(contest=entry.contest)] == [D("90.000")]
    with pytest.raises(voiding.VideoLocked):
        admission.require_can_upload(entry)


def entry_assignments(db, entry) -> list[Assignment]:
    return db.session.scalars(select(Assignment).where(Assignment.entry_id == entry.id)
                              .order_by(Assignment.id)).all()


def test_a_review_saved_after_the_permission_is_voided_too(db, entry, people):
    voiding.allow_replacement(entry=entry, organizer=people["organizer"], reason="换片")
    second = entry_assignments(db, entry)[1]
    save_review(assignment=second, scores={c.id: D("6") for c in entry.contest.criteria}, comment="", submit=True)
    db.session.commit()

    replace(entry)
    db.session.commit()
    assert db.session.scalar(select(func.count(Review.id))) == 0
    assert db.session.scalars(select(VoidedReview.total).order_by(VoidedReview.id)).all() == [
        D("80.000"), D("60.000")]


def test_the_permission_serves_one_upload_and_can_be_withdrawn(db, entry, people):
    organizer = people["organizer"]
    permit = voiding.allow_replacement(entry=entry, organizer=organizer, reason="换片")
    voiding.revoke_permit(permit=permit, organizer=organizer)
    db.session.commit()
    assert (permit.revoked_by, permit.used_at) == (organizer, None) and permit.revoked_at is not None
    with pytest.raises(voiding.VideoLocked):
        admission.require_can_upload(entry)
    with pytest.raises(voiding.PermitError, match="该许可已被使用或已撤回"):
        voiding.revoke_permit(permit=permit, organizer=organizer)

    voiding.allow_replacement(entry=entry, organizer=organizer, reason="第二次")
    replace(entry, key="originals/one.mp4")
    db.session.commit()
    admission.require_can_upload(entry)  # nothing reviewed any more: the creator may upload freely again
    assert [p.reason for p in voiding.permit_history(entry=entry)] == ["第二次", "换片"]
