"""contest.services.media.duplicates and .fingerprint: the same file entered twice is refused (at upload and by the
worker for originals put straight into the bucket); a re-encoded copy is flagged, a different video is not.
Re-encodes of the samples are made by ffmpeg here, small."""
from pathlib import Path

import pytest

from contest.extensions import db
from contest.models import EntryState, Video, VideoState
from contest.services.media import duplicates
from contest.services.media import fingerprint
from contest.services.media import probe as media
from contest.infra import tasks
from contest.infra.storage import get_storage, new_key
from contest.services.submissions.entries import SubmissionError
from contest.services.uploads import admission
from tests.conftest import media as sample, stored_keys
from tests.services.media.test_probe import ffmpeg
from tests.people import Role

pytestmark = pytest.mark.slow

PLAIN = "plain_h264_aac_1280x720_25fps.mp4"
#: Other samples: none is a copy of PLAIN (the WebM and fragmented MP4 are the same Big Buck Bunny opening).
OTHERS = ["webm_vp9_opus_320x180.webm", "hevc_hev1_fullrange_1080p30_aac.mp4", "mpegts_h264_720p60_aac.ts",
          "portrait_h264_1080x1920_30fps.mp4", "anamorphic_sar2x1_640x360_noaudio.mp4",
          "h264_aac_with_tx3g_subtitle.mp4"]


@pytest.fixture
def app_overrides():
    return {"RENDITION_SHORT_SIDE": 360, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> dict[str, Path]:
    """Re-encodes of PLAIN: smaller with another bitrate and frame rate; cropped by 8 % and re-encoded hard;
    another codec (MPEG-4 Part 2) and container (Matroska) at 320×180."""
    folder, src = tmp_path_factory.mktemp("copies"), str(sample(PLAIN))
    made = {"240p": folder / "240p.mp4", "cropped": folder / "cropped.mp4", "mpeg4": folder / "mpeg4.mkv"}
    ffmpeg("-i", src, "-vf", "scale=426:240", "-r", "30", "-c:v", "libx264", "-preset", "ultrafast",
           "-b:v", "150k", "-c:a", "aac", str(made["240p"]))
    ffmpeg("-i", src, "-vf", "crop=iw*0.92:ih*0.92,scale=640:-2", "-c:v", "libx264", "-preset", "ultrafast",
           "-crf", "35", "-an", str(made["cropped"]))
    ffmpeg("-i", src, "-vf", "scale=320:180", "-c:v", "mpeg4", "-q:v", "8", "-c:a", "mp3", str(made["mpeg4"]))
    return made


def print_of(path: Path) -> str:
    info = media.probe(path, timeout=30)
    result = fingerprint.fingerprint(path, duration_s=info.duration_s, demuxer=info.demuxer)
    assert result is not None and len(result) == fingerprint.FRAMES * 16
    return result


@pytest.fixture
def people(make_user):
    return make_user(Role.CREATOR), make_user(Role.CREATOR)


def stored_video(entry, path: Path, **fields) -> Video:
    """A pending Video row of ``entry`` whose original (a copy of ``path``) is in storage."""
    with open(path, "rb") as stream:
        stored = get_storage().save(new_key("originals"), stream)
    fields = {"sha256": stored.sha256, "state": VideoState.PENDING, **fields}
    video = Video(entry=entry, original_name=path.name, original_key=stored.key, bytes=stored.bytes, **fields)
    db.session.add(video)
    db.session.commit()
    return video


def processed(video: Video) -> Video:
    tasks.enqueue("process_video", video.id)
    db.session.expire_all()
    return db.session.get(Video, video.id)


def attach(entry, path: Path) -> Video:
    with open(path, "rb") as stream:
        video = admission.attach_video(entry=entry, stream=stream, filename=path.name)
    db.session.commit()
    return video


# --- the same file -----------------------------------------------------------------------------------------

def test_same_file_twice_by_one_creator_is_refused_naming_the_first_entry(app, make_contest, make_entry,
                                                                         people):
    contest = make_contest()
    first, second = (make_entry(contest=contest, creator=people[0]) for _ in range(2))
    attach(first, sample(PLAIN))
    with pytest.raises(SubmissionError) as refused:
        attach(second, sample(PLAIN))
    assert refused.value.reasons == [f"你已将该文件作为作品 {first.number} 提交过，同一视频不能重复参赛。"]
    db.session.rollback()
    assert second.video is None and stored_keys(app) == [first.video.original_key]


def test_same_file_of_another_creator_in_another_contest_is_refused_without_naming_it(app, make_contest,
                                                                                     make_entry, people):
    theirs = make_entry(contest=make_contest(), creator=people[0], title="别人的作品")
    mine = make_entry(contest=make_contest(), creator=people[1])
    attach(theirs, sample(PLAIN))
    with pytest.raises(SubmissionError) as refused:
        attach(mine, sample(PLAIN))
    [reason] = refused.value.reasons
    assert reason == "该文件已经参赛，同一视频不能重复参赛。"  # uploads speak the visitor's language, zh by default
    assert theirs.number not in reason and "别人的作品" not in reason


def test_same_file_is_accepted_again_after_withdrawal_failure_or_on_the_same_entry(app, make_contest,
                                                                                  make_entry, people):
    contest = make_contest()
    withdrawn = make_entry(contest=contest, creator=people[0], state=EntryState.WITHDRAWN)
    failed = make_entry(contest=contest, creator=people[1])
    stored_video(withdrawn, sample(PLAIN))
    stored_video(failed, sample(PLAIN), state=VideoState.FAILED)
    entry = make_entry(contest=contest, creator=people[0])
    attach(entry, sample(PLAIN))
    again = attach(entry, sample(PLAIN))  # a new upload of the same file to the same entry replaces it
    assert entry.video is again and again.state == VideoState.PENDING


def test_worker_refuses_the_same_file_put_straight_into_the_bucket(app, make_contest, make_entry, people):
    contest = make_contest()
    first = make_entry(contest=contest, creator=people[0])
    stored_video(first, sample(PLAIN), state=VideoState.READY)
    direct = stored_video(make_entry(contest=contest, creator=people[0]), sample(PLAIN), sha256=None)
    other = stored_video(make_entry(contest=make_contest(), creator=people[1]), sample(PLAIN), sha256=None)

    direct, other = processed(direct), processed(other)
    assert (direct.state, direct.error) == (VideoState.FAILED, f"You have already entered this file as entry "
                                            f"{first.number}; the same video cannot be entered twice.")
    assert other.state == VideoState.FAILED and other.error.startswith("This file has already been entered")
    assert direct.sha256 is None and stored_keys(app) == [first.video.original_key]  # refusals keep nothing


# --- the fingerprint ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("copy, most", [("240p", 2.0), ("cropped", fingerprint.SIMILAR_BITS),
                                        ("mpeg4", 2.0)])
def test_re_encoded_copies_are_within_the_threshold(app, copies, copy, most):
    assert fingerprint.distance(print_of(sample(PLAIN)), print_of(copies[copy])) <= most


def test_independent_encodes_of_the_same_footage_are_within_the_threshold(app):
    same = fingerprint.distance(print_of(sample("webm_vp9_opus_320x180.webm")),
                                print_of(sample("fragmented_h264_aac5.1.mp4")))
    assert same <= fingerprint.SIMILAR_BITS / 2


@pytest.mark.parametrize("other", OTHERS)
def test_different_videos_are_far_apart(app, other):
    bits = fingerprint.distance(print_of(sample(PLAIN)), print_of(sample(other)))
    assert bits > 1.5 * fingerprint.SIMILAR_BITS


def test_phash_ignores_brightness_and_contrast_but_not_the_picture():
    ramp = bytes((x * 7 + y * 3) % 256 for y in range(32) for x in range(32))
    brighter = bytes(min(255, v // 2 + 60) for v in ramp)
    flipped = bytes(reversed(ramp))
    assert (fingerprint.phash(ramp) ^ fingerprint.phash(brighter)).bit_count() <= 2
    assert (fingerprint.phash(ramp) ^ fingerprint.phash(flipped)).bit_count() > 16
    assert fingerprint.distance("00" * 8, "ff" * 8) == 64.0
    assert fingerprint.distance("00" * 8, "00" * 16) is None  # frame counts differ: not comparable


# --- flagging through the job ------------------------------------------------------------------------------

def test_a_re_encoded_copy_in_another_contest_is_flagged_and_a_different_video_is_not(
        app, copies, make_contest, make_entry, people):
    original_entry = make_entry(contest=make_contest(), creator=people[0])
    original = processed(stored_video(original_entry, sample(PLAIN)))
    assert original.state == VideoState.READY and len(original.fingerprint) == 256
    assert original.similar_entry_id is None

    contest = make_contest()
    copy_entry = make_entry(contest=contest, creator=people[1], category=contest.categories[1])
    copy = processed(stored_video(copy_entry, copies["240p"]))
    other = processed(stored_video(make_entry(contest=contest, creator=people[1]), sample(OTHERS[1])))

    assert copy.state == VideoState.READY and copy.similar_entry_id == original_entry.id
    assert 0 <= copy.similar_distance <= fingerprint.SIMILAR_BITS
    assert other.state == VideoState.READY and other.fingerprint and other.similar_entry_id is None
    assert [(e.id, bits) for e, bits in duplicates.similar_links(original_entry)] == [
        (copy_entry.id, copy.similar_distance)]


def test_a_withdrawn_entry_is_not_a_candidate(app, copies, make_contest, make_entry, people):
    first = make_entry(contest=make_contest(), creator=people[0])
    processed(stored_video(first, sample(PLAIN)))
    first.state = EntryState.WITHDRAWN
    db.session.commit()
    copy = processed(stored_video(make_entry(contest=make_contest(), creator=people[0]), copies["mpeg4"]))
    assert copy.state == VideoState.READY and copy.similar_entry_id is None
