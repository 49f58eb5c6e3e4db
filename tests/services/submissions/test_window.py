"""The creator's window: an organizer's extension for one creator, and the grace for uploads begun before the
deadline (form, tus, and the submit of such a video)."""
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from contest.models import DeadlineExtension, EntryState, Video, VideoState, utcnow
from contest.services.submissions import entries as submissions
from contest.services.submissions.errors import SubmissionError
from contest.services.submissions.window import (
    WindowClosed,
    deadline_for,
    extend_deadline,
    require_open,
)
from contest.services.uploads import admission
from contest.services.uploads import tus as resumable
from contest.services.uploads.tus import UploadError
from tests.conftest import ALL_DECLARED, media
from tests.people import Role

PLAIN = "plain_h264_aac_1280x720_25fps.mp4"


@pytest.fixture
def closed(make_contest):
    """A contest whose deadline passed 5 minutes ago."""
    now = utcnow()
    return make_contest(opens_at=now - timedelta(days=3), closes_at=now - timedelta(minutes=5))


# --- extensions --------------------------------------------------------------------------------------------

def test_an_extension_opens_the_window_for_that_creator_only(db, closed, creator, organizer, make_user):
    other = make_user(Role.CREATOR)
    new_deadline = utcnow() + timedelta(days=1)
    extend_deadline(contest=closed, creator=creator, closes_at=new_deadline, reason="暴雨停电，补交", by=organizer)
    db.session.commit()
    require_open(closed, creator_id=creator.id)  # open for them
    with pytest.raises(WindowClosed, match="Submissions closed"):
        require_open(closed, creator_id=other.id)
    with pytest.raises(WindowClosed):
        require_open(closed)
    assert deadline_for(closed, creator.id) == new_deadline
    entry = submissions.create_entry(contest=closed, creator=creator, category=closed.categories[0],
                                     title="补交")
    assert entry.state == EntryState.DRAFT


def test_granting_again_updates_the_one_row(db, closed, creator, organizer):
    first = utcnow() + timedelta(hours=1)
    extend_deadline(contest=closed, creator=creator, closes_at=first, reason="一", by=organizer)
    second = first + timedelta(hours=1)
    extend_deadline(contest=closed, creator=creator, closes_at=second, reason="二", by=organizer)
    db.session.commit()
    rows = db.session.scalars(select(DeadlineExtension)).all()
    assert [(r.reason, r.closes_at, r.granted_by_id) for r in rows] == [("二", second, organizer.id)]


def test_an_extension_needs_a_later_deadline_a_reason_and_a_creator(db, closed, creator, organizer):
    with pytest.raises(SubmissionError) as error:
        extend_deadline(contest=closed, creator=organizer, closes_at=closed.closes_at, reason=" ",
                        by=organizer)
    assert error.value.reasons[0] == "Only a creator's deadline can be extended."
    assert error.value.reasons[1].startswith("The new deadline must be later than the contest's")
    assert error.value.reasons[2] == "Give the reason for the extension."
    assert db.session.scalar(select(func.count(DeadlineExtension.id))) == 0


# --- grace -------------------------------------------------------------------------------------------------

def test_an_upload_begun_before_the_deadline_may_finish_within_the_grace(app, closed):
    deadline = closed.closes_at
    require_open(closed, at=deadline + timedelta(minutes=29), started_at=deadline - timedelta(seconds=1))
    with pytest.raises(WindowClosed):  # past the grace
        require_open(closed, at=deadline + timedelta(minutes=30), started_at=deadline - timedelta(seconds=1))
    with pytest.raises(WindowClosed):  # begun after the deadline
        require_open(closed, at=deadline + timedelta(minutes=1), started_at=deadline)
    app.config["UPLOAD_GRACE_S"] = 60
    with pytest.raises(WindowClosed):
        require_open(closed, at=deadline + timedelta(minutes=2), started_at=deadline - timedelta(minutes=1))


def test_a_form_upload_begun_before_the_deadline_is_accepted_and_recorded(db, closed, creator, make_entry):
    entry = make_entry(contest=closed, creator=creator)
    started = closed.closes_at - timedelta(seconds=30)
    with media(PLAIN).open("rb") as stream:
        video = admission.attach_video(entry=entry, stream=stream, filename="a.mp4", started_at=started)
    db.session.commit()
    assert video.upload_started_at == started and entry.video is video
    with media(PLAIN).open("rb") as stream, pytest.raises(WindowClosed):  # a request begun now: refused
        admission.attach_video(entry=entry, stream=stream, filename="b.mp4")


def test_a_tus_upload_created_before_the_deadline_may_finish_after_it(app, db, make_contest, creator,
                                                                      make_entry):
    contest = make_contest()
    entry = make_entry(contest=contest, creator=creator)
    data = media(PLAIN).read_bytes()
    upload = resumable.create_upload(user=creator, length=len(data),
                                     metadata={"entry_id": str(entry.id), "filename": "a.mp4"})
    contest.closes_at = utcnow()  # the deadline passes while the bytes arrive
    db.session.commit()
    resumable.append_chunk(upload=upload, offset=0, stream=io.BytesIO(data), size=len(data))
    upload = resumable.load_upload(upload_id=upload.id, user=creator)
    video = resumable.finish_upload(upload=upload, user=creator)
    db.session.commit()
    assert abs(video.upload_started_at.timestamp() - upload.created_at) < 1e-3

    with pytest.raises(UploadError) as error:  # a new upload cannot begin after the deadline
        resumable.create_upload(user=creator, length=len(data), metadata={"entry_id": str(entry.id)})
    assert error.value.status == 403


def test_a_video_begun_before_the_deadline_may_be_submitted_within_the_grace(db, closed, creator, make_entry):
    entry = make_entry(contest=closed, creator=creator)
    entry.video = Video(original_name="a.mp4", original_key="originals/x", bytes=1, sha256="0" * 64,
                        state=VideoState.READY, rendition_key="renditions/x",
                        upload_started_at=closed.closes_at - timedelta(minutes=1))
    db.session.commit()
    submissions.submit_entry(entry=entry, answers=ALL_DECLARED)
    assert entry.state == EntryState.SUBMITTED

    late = make_entry(contest=closed, creator=creator)
    late.video = Video(original_name="b.mp4", original_key="originals/y", bytes=1, sha256="1" * 64,
                       state=VideoState.READY, rendition_key="renditions/y",
                       upload_started_at=closed.closes_at)
    db.session.commit()
    with pytest.raises(WindowClosed):
        submissions.submit_entry(entry=late, answers=ALL_DECLARED)
    with pytest.raises(WindowClosed):  # the grace covers the upload and its submit, not edits
        submissions.update_entry(entry=entry, title="改", description="", category=entry.category)
