import hashlib
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contest.models import Contest, EntryState, Video, VideoState, utcnow
from contest.services.submissions import entries as submissions
from contest.infra.storage import get_storage
from contest.services.submissions.entries import SubmissionError, TRANSITIONS
from contest.services.uploads import admission
from tests.conftest import ALL_DECLARED, media, stored_keys
from tests.people import Role

PLAIN = "plain_h264_aac_1280x720_25fps.mp4"


def video_rows(db) -> int:
    return db.session.scalar(select(func.count(Video.id)))


@pytest.fixture
def contest(make_contest):
    return make_contest(code="XH2026", max_entries_per_creator=2)


def new_entry(contest, creator, title="我的家乡", **kwargs):
    return submissions.create_entry(contest=contest, creator=creator, category=contest.categories[0],
                                    title=title, **kwargs)


def ready_video(db, entry) -> Video:
    entry.video = Video(original_name="a.mp4", original_key="originals/x", bytes=1, sha256="0" * 64,
                        state=VideoState.READY, rendition_key="renditions/x")
    db.session.flush()
    return entry.video


# --- numbering, window, limit ------------------------------------------------------------------------------

def test_entry_numbers_follow_the_contest_sequence(db, make_contest, creator):
    first, other = make_contest(code="XH2026"), make_contest(code="QX2026")
    numbers = [new_entry(contest, creator).number for contest in (first, first, other)]
    db.session.commit()
    assert numbers == ["XH2026-0001", "XH2026-0002", "QX2026-0001"]
    assert db.session.get(Contest, first.id).entry_seq == 2


def test_refused_entry_does_not_use_up_a_number(db, contest, creator):
    new_entry(contest, creator)
    new_entry(contest, creator)
    db.session.commit()
    with pytest.raises(SubmissionError):
        new_entry(contest, creator)
    db.session.rollback()
    assert contest.entry_seq == 2


def test_new_entry_keeps_title_description_and_starts_as_draft(db, contest, creator):
    entry = new_entry(contest, creator, title="  我的家乡  ", description=" 拍摄于西湖 ")
    assert (entry.title, entry.description, entry.state) == ("我的家乡", "拍摄于西湖", EntryState.DRAFT)
    assert entry.creator_id == creator.id and entry.category == contest.categories[0]


def test_limit_counts_entries_that_are_not_withdrawn(db, contest, creator):
    first = new_entry(contest, creator)
    new_entry(contest, creator)
    db.session.commit()
    with pytest.raises(SubmissionError) as error:
        new_entry(contest, creator)
    assert error.value.reasons == ["You already have 2 entries in this contest; the limit is 2."]
    db.session.rollback()
    submissions.withdraw_entry(entry=first, reason="换一部")
    assert new_entry(contest, creator).number == "XH2026-0003"


def test_limit_is_per_creator(db, contest, creator, make_user):
    new_entry(contest, creator)
    new_entry(contest, creator)
    assert new_entry(contest, make_user(Role.CREATOR)).number == "XH2026-0003"


def test_creating_after_closing_names_the_closing_time_in_beijing(db, make_contest, creator):
    closed = make_contest(opens_at=datetime(2025, 11, 1, tzinfo=timezone.utc),
                          closes_at=datetime(2025, 12, 1, 10, 0, tzinfo=timezone.utc))
    with pytest.raises(SubmissionError) as error:
        new_entry(closed, creator)
    assert str(error.value) == "Submissions closed at 2025-12-01 18:00 (Beijing time)."


def test_creating_before_opening_names_the_opening_time(db, make_contest, creator):
    later = make_contest(opens_at=utcnow() + timedelta(days=1), closes_at=utcnow() + timedelta(days=2))
    opening = r"^Submissions open at \d{4}-\d\d-\d\d \d\d:\d\d \(Beijing time\)\.$"
    with pytest.raises(SubmissionError, match=opening):
        new_entry(later, creator)


def test_window_is_closed_at_exactly_closes_at(db, contest, creator):
    entry = new_entry(contest, creator)
    ready_video(db, entry)
    with pytest.raises(SubmissionError, match="Submissions closed"):
        submissions.submit_entry(entry=entry, answers=ALL_DECLARED, at=contest.closes_at)
    just_before = contest.closes_at - timedelta(seconds=1)
    submitted = submissions.submit_entry(entry=entry, answers=ALL_DECLARED, at=just_before)
    assert submitted.state == EntryState.SUBMITTED


@pytest.mark.parametrize("title", ["", "   ", "长" * 201])
def test_bad_title_is_refused(db, contest, creator, title):
    with pytest.raises(SubmissionError):
        new_entry(contest, creator, title=title)


def test_category_of_another_contest_is_refused(db, contest, make_contest, creator):
    other = make_contest()
    with pytest.raises(SubmissionError, match="categories of this contest"):
        submissions.create_entry(contest=contest, creator=creator, category=other.categories[0], title="x")


def test_only_creators_enter(db, contest, make_user):
    with pytest.raises(SubmissionError):
        new_entry(contest, make_user(Role.JUDGE))


# --- transitions -------------------------------------------------------------------------------------------

def test_transition_map_makes_withdrawn_and_disqualified_final():
    assert TRANSITIONS[EntryState.WITHDRAWN] == set() and TRANSITIONS[EntryState.DISQUALIFIED] == set()
    assert TRANSITIONS[EntryState.DRAFT] == {
        EntryState.SUBMITTED, EntryState.WITHDRAWN, EntryState.DISQUALIFIED}
    assert EntryState.DRAFT in TRANSITIONS[EntryState.SUBMITTED]


def test_submit_needs_a_ready_video(db, contest, creator):
    entry = new_entry(contest, creator)
    with pytest.raises(SubmissionError, match="Upload a video before submitting"):
        submissions.submit_entry(entry=entry, answers=ALL_DECLARED)
    video = ready_video(db, entry)
    for state, message in [(VideoState.PENDING, "still being processed"),
                           (VideoState.PROCESSING, "still being processed"),
                           (VideoState.FAILED, "could not be processed")]:
        video.state = state
        with pytest.raises(SubmissionError, match=message):
            submissions.submit_entry(entry=entry, answers=ALL_DECLARED)
    video.state = VideoState.READY
    at = utcnow()
    submissions.submit_entry(entry=entry, answers=ALL_DECLARED, at=at)
    assert entry.state == EntryState.SUBMITTED and entry.submitted_at == at


def test_submitting_twice_is_refused(db, contest, creator):
    entry = new_entry(contest, creator)
    ready_video(db, entry)
    submissions.submit_entry(entry=entry, answers=ALL_DECLARED)
    with pytest.raises(SubmissionError, match="already been submitted"):
        submissions.submit_entry(entry=entry, answers=ALL_DECLARED)


def test_submitted_entry_stays_submitted_when_edited(db, contest, creator):
    entry = new_entry(contest, creator)
    ready_video(db, entry)
    submissions.submit_entry(entry=entry, answers=ALL_DECLARED)
    submissions.update_entry(entry=entry, title="新标题", description="新简介", category=contest.categories[1])
    assert (entry.title, entry.category, entry.state) == ("新标题", contest.categories[1], EntryState.SUBMITTED)


@pytest.mark.parametrize("action", ["submit", "withdraw", "update", "upload"])
def test_withdrawn_entry_can_no_longer_change(db, contest, creator, action):
    entry = new_entry(contest, creator)
    ready_video(db, entry)
    submissions.withdraw_entry(entry=entry, reason="不参加了")
    calls = {
        "submit": lambda: submissions.submit_entry(entry=entry, answers=ALL_DECLARED),
        "withdraw": lambda: submissions.withdraw_entry(entry=entry, reason="不参加了"),
        "update": lambda: submissions.update_entry(entry=entry, title="x", description="",
                                                   category=entry.category),
        "upload": lambda: admission.attach_video(entry=entry, stream=io.BytesIO(b"x"), filename="a.mp4"),
    }
    with pytest.raises(SubmissionError, match="can no longer be changed"):
        calls[action]()
    assert entry.state == EntryState.WITHDRAWN


def test_withdraw_after_closing_is_refused(db, make_contest, make_entry, creator):
    closed = make_contest(opens_at=utcnow() - timedelta(days=2), closes_at=utcnow() - timedelta(days=1))
    entry = make_entry(contest=closed, creator=creator, state=EntryState.SUBMITTED)
    with pytest.raises(SubmissionError, match="Submissions closed"):
        submissions.withdraw_entry(entry=entry, reason="不参加了")
    assert entry.state == EntryState.SUBMITTED


def test_organizer_disqualifies_after_closing_but_not_a_withdrawn_entry(db, make_contest, make_entry,
                                                                        creator):
    closed = make_contest(opens_at=utcnow() - timedelta(days=2), closes_at=utcnow() - timedelta(days=1))
    entry = make_entry(contest=closed, creator=creator, state=EntryState.SUBMITTED)
    assert submissions.disqualify_entry(entry=entry, reason="抄袭", by=creator).state == EntryState.DISQUALIFIED
    gone = make_entry(contest=closed, creator=creator, state=EntryState.WITHDRAWN)
    with pytest.raises(SubmissionError):
        submissions.disqualify_entry(entry=gone, reason="抄袭", by=creator)


# --- file names --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, shown", [
    ("C:\\Users\\小明\\Desktop\\我的家乡 终版.MP4", "我的家乡 终版.MP4"),
    ("../../etc/passwd", "passwd"),
    ("evil\x00name\u202egpj.mp4", "evilnamegpj.mp4"),
    ("  \t ", "video"),
    (None, "video"),
])
def test_display_filename_keeps_chinese_and_drops_paths_and_controls(raw, shown):
    assert admission.display_filename(raw) == shown


def test_display_filename_is_capped_and_keeps_the_extension():
    shown = admission.display_filename("长" * 300 + ".mov")
    assert len(shown) == admission.MAX_FILENAME_CHARS and shown.endswith("长.mov")


# --- upload ------------------------------------------------------------------------------------------------

def attach(entry, path: Path, filename: str | None = None):
    with open(path, "rb") as stream:
        return admission.attach_video(entry=entry, stream=stream, filename=filename or path.name)


def test_attach_video_stores_the_original_and_records_its_facts(app, db, contest, creator):
    entry = new_entry(contest, creator)
    video = attach(entry, media(PLAIN), filename="西湖 春天.mp4")
    db.session.commit()
    data = media(PLAIN).read_bytes()
    assert video.state == VideoState.PENDING and video.original_name == "西湖 春天.mp4"
    assert (video.bytes, video.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert (video.width, video.height) == (1280, 720) and 5.0 < video.duration_s < 5.5
    with get_storage().local_path(video.original_key) as path:
        assert path.read_bytes() == data
    assert "西湖" not in video.original_key and stored_keys(app) == [video.original_key]


def test_rejected_file_leaves_nothing_behind(app, db, contest, creator, tmp_path):
    entry = new_entry(contest, creator)
    fake = tmp_path / "video.mp4"
    fake.write_text("this is not a video, just text\n")
    with pytest.raises(SubmissionError) as error:
        attach(entry, fake)
    assert error.value.reasons and all(error.value.reasons)
    assert stored_keys(app) == [] and video_rows(db) == 0 and entry.video is None


def test_file_over_the_contest_limit_is_refused_with_the_limit(app, db, make_contest, creator):
    small = make_contest(max_file_bytes=100 * 1024)
    entry = new_entry(small, creator)
    with pytest.raises(SubmissionError, match=r"accepts video files up to 0\.1 MB"):
        attach(entry, media(PLAIN))
    assert stored_keys(app) == [] and video_rows(db) == 0


def test_new_video_replaces_the_old_one_and_its_files_after_commit(app, db, contest, creator):
    entry = new_entry(contest, creator)
    old = attach(entry, media(PLAIN))
    storage = get_storage()
    old.poster_key, old.rendition_key = "posters/aa/old.jpg", "renditions/aa/old.mp4"
    storage.save(old.poster_key, io.BytesIO(b"jpeg"))
    storage.save(old.rendition_key, io.BytesIO(b"mp4"))
    old.state = VideoState.READY
    old_keys = admission.video_keys(old)
    db.session.commit()
    submissions.submit_entry(entry=entry, answers=ALL_DECLARED)
    db.session.commit()

    new = attach(entry, media(PLAIN), filename="second.mp4")
    assert all(storage.exists(k) for k in old_keys)  # kept until the commit
    db.session.commit()
    assert not any(storage.exists(k) for k in old_keys)
    assert storage.exists(new.original_key) and video_rows(db) == 1
    assert entry.video.original_name == "second.mp4" and entry.state == EntryState.DRAFT
    assert entry.submitted_at is None


def test_rolled_back_upload_deletes_the_new_file_and_keeps_the_old(app, db, contest, creator):
    entry = new_entry(contest, creator)
    old = attach(entry, media(PLAIN))
    db.session.commit()
    old_key, old_id = old.original_key, old.id
    new_key = attach(entry, media(PLAIN)).original_key
    db.session.rollback()
    storage = get_storage()
    assert storage.exists(old_key) and not storage.exists(new_key)
    assert db.session.scalars(select(Video.id)).all() == [old_id]
