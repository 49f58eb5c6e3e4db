"""contest.services.media_jobs: process_video end to end on real files (checked with ffprobe), recovery,
idempotence, failures and timeouts. Renditions are made at a 360 px short side unless a test needs more."""
import json
import time
from fractions import Fraction
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contest.extensions import db
from contest.models import Video, VideoState
from contest.services import media, renditions, tasks
from contest.services.media_jobs import process_video, recover_unfinished
from contest.services.storage import get_storage, new_key
from tests.conftest import media as sample
from tests.services.test_media import ffmpeg, ffprobe, live_group_members, synth

pytestmark = pytest.mark.slow

FAST = {"RENDITION_SHORT_SIDE": 360, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def app_overrides():
    return FAST


@pytest.fixture
def make_video(make_user, make_contest, make_entry):
    """``make_video(path)``: a pending Video row whose original (a copy of ``path``) is in storage."""

    def make(path: Path, **fields) -> Video:
        entry = make_entry(contest=make_contest(), creator=make_user())
        with open(path, "rb") as stream:
            stored = get_storage().save(new_key("originals"), stream)
        fields = {"state": VideoState.PENDING, **fields}
        video = Video(entry=entry, original_name=path.name, original_key=stored.key, bytes=stored.bytes,
                      sha256=stored.sha256, **fields)
        db.session.add(video)
        db.session.commit()
        return video

    return make


def process(video: Video) -> Video:
    tasks.enqueue("process_video", video.id)
    db.session.expire_all()
    return db.session.get(Video, video.id)


def stored_path(app, key: str) -> Path:
    return Path(app.config["UPLOAD_ROOT"]) / key


def stored_files(app) -> list[str]:
    root = Path(app.config["UPLOAD_ROOT"])
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".tmp" not in p.parts)


def rendition(app, video: Video) -> tuple[dict, dict | None]:
    """(video stream, audio stream or None) of a ready video's rendition, after checking what every rendition
    must be: ready row, files on disk, H.264 High yuv420p, even size, no rotation, faststart, matching row."""
    assert video.state == VideoState.READY, video.error
    assert video.error is None and video.processed_at is not None
    path = stored_path(app, video.rendition_key)
    assert path.stat().st_size == video.rendition_bytes > 0
    assert stored_path(app, video.poster_key).read_bytes()[:2] == b"\xff\xd8"  # JPEG
    assert renditions.is_faststart(path) and "moof" not in renditions.top_level_boxes(path)
    streams = ffprobe(path)["streams"]
    [picture] = [s for s in streams if s["codec_type"] == "video"]
    audio = [s for s in streams if s["codec_type"] == "audio"]
    assert len(streams) == 1 + len(audio) <= 2
    assert (picture["codec_name"], picture["profile"], picture["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert (picture["width"], picture["height"]) == (video.rendition_width, video.rendition_height)
    assert picture["width"] % 2 == 0 and picture["height"] % 2 == 0
    assert picture.get("sample_aspect_ratio", "1:1") in ("1:1", "0:1")
    assert not any("rotation" in sd for sd in picture.get("side_data_list", []))
    assert picture.get("color_range") != "pc"
    if audio:
        assert (audio[0]["codec_name"], audio[0]["sample_rate"], audio[0]["channels"]) == ("aac", "48000", 2)
    return picture, (audio[0] if audio else None)


def poster_size(app, video: Video) -> tuple[int, int]:
    stream = ffprobe(stored_path(app, video.poster_key))["streams"][0]
    return stream["width"], stream["height"]


def duration(app, video: Video) -> float:
    return float(ffprobe(stored_path(app, video.rendition_key))["format"]["duration"])


# --- real-world files ---------------------------------------------------------------------------------------

def test_plain_clip_gets_poster_and_rendition(app, make_video):
    video = process(make_video(sample("plain_h264_aac_1280x720_25fps.mp4")))
    picture, audio = rendition(app, video)
    assert (picture["width"], picture["height"], picture["avg_frame_rate"]) == (640, 360, "25/1")
    assert audio is not None
    assert duration(app, video) == pytest.approx(5.312, abs=0.1)
    assert poster_size(app, video) == (1280, 720)
    assert video.attempts == 1 and stored_path(app, video.original_key).exists()


@pytest.mark.parametrize("app_overrides", [{**FAST, "RENDITION_SHORT_SIDE": 1080}])
def test_rotated_iphone_hdr_clip_becomes_upright_8_bit_h264(app, make_video):
    video = process(make_video(sample("iphone15promax_hevc10_hlg_rot-90_mebx.mov")))
    picture, audio = rendition(app, video)
    assert (picture["width"], picture["height"]) == (1080, 1920)
    assert picture["color_transfer"] == "bt709" and picture["color_primaries"] == "bt709"
    assert audio is not None
    assert poster_size(app, video) == (720, 1280)


def test_portrait_clip_is_capped_on_its_short_side(app, make_video):
    video = process(make_video(sample("portrait_h264_1080x1920_30fps.mp4")))
    picture, _ = rendition(app, video)
    assert (picture["width"], picture["height"]) == (360, 640)


def test_anamorphic_clip_gets_square_pixels(app, make_video):
    video = process(make_video(sample("anamorphic_sar2x1_640x360_noaudio.mp4")))
    picture, audio = rendition(app, video)
    assert (picture["width"], picture["height"], audio) == (1280, 360, None)
    assert poster_size(app, video) == (1280, 360)


@pytest.mark.parametrize("name, size, has_audio", [
    ("fragmented_h264_aac5.1.mp4", (320, 180), True),
    ("webm_vp9_opus_320x180.webm", (320, 180), True),
    ("legacy_avi_mpeg4asp_mp3_320x240.avi", (426, 240), True),
    ("h264_aac_with_tx3g_subtitle.mp4", (640, 360), True),  # subtitle dropped: rendition() counts streams
    ("webm_vp9_alpha_1440x1080_noaudio.webm", (480, 360), False),
])
def test_other_kinds_become_progressive_h264_mp4(app, make_video, name, size, has_audio):
    video = process(make_video(sample(name)))
    picture, audio = rendition(app, video)
    assert (picture["width"], picture["height"]) == size
    assert (audio is not None) == has_audio


def test_alpha_clip_poster_is_not_blank(app, make_video):
    video = process(make_video(sample("webm_vp9_alpha_1440x1080_noaudio.webm")))
    out = subprocess.run(["ffprobe", "-v", "error", "-f", "lavfi", "-i",
                          f"movie={stored_path(app, video.poster_key)},signalstats", "-show_entries",
                          "frame_tags=lavfi.signalstats.YMAX", "-of", "csv=p=0"],
                         check=True, capture_output=True, text=True).stdout
    assert int(out.strip()) > 128  # white text on the flattened background


def test_mpegts_60fps_stays_60fps(app, make_video):
    video = process(make_video(sample("mpegts_h264_720p60_aac.ts")))
    picture, audio = rendition(app, video)
    assert picture["avg_frame_rate"] == "60/1" and audio is not None
    assert duration(app, video) == pytest.approx(10.02, abs=0.2)


def test_full_range_hevc_becomes_tv_range_yuv420p(app, make_video):
    video = process(make_video(sample("hevc_hev1_fullrange_1080p30_aac.mp4")))
    picture, _ = rendition(app, video)
    assert (picture["width"], picture["height"], picture["pix_fmt"]) == (640, 360, "yuv420p")


def test_variable_frame_rate_keeps_its_duration(app, make_video):
    video = process(make_video(sample("vfr_h264_3026x1386_noaudio.mp4")))
    picture, audio = rendition(app, video)
    assert (picture["height"], audio) == (360, None)
    assert duration(app, video) == pytest.approx(8.726, rel=0.05)
    assert Fraction(picture["avg_frame_rate"]) <= 60


def test_corrupt_file_fails_readably_and_leaves_no_files(app, make_video):
    video = process(make_video(sample("corrupt_partial_annexb_h264.mp4")))
    assert video.state == VideoState.FAILED
    assert video.error.startswith("Only 0.5") and "of the video's 35.2 s could be converted" in video.error
    assert (video.poster_key, video.rendition_key) == (None, None)
    assert stored_files(app) == []


def test_unreadable_original_fails_and_is_deleted(app, make_video):
    video = process(make_video(sample("fake_text_renamed.webm")))
    assert (video.state, video.error) == (VideoState.FAILED, "This is not a video file we can read.")
    assert stored_files(app) == []


# --- synthetic clips ----------------------------------------------------------------------------------------

def test_odd_dimensions_become_even(app, make_video, tmp_path):
    src = synth(tmp_path / "odd.mkv", size="641x359", seconds=1, extra=["-pix_fmt", "yuv444p"])
    picture, _ = rendition(app, process(make_video(src)))
    assert (picture["width"], picture["height"]) == (640, 358)


def test_120fps_is_capped_at_60(app, make_video, tmp_path):
    src = synth(tmp_path / "fast.mp4", size="320x180", rate=120, seconds=2)
    video = process(make_video(src))
    picture, _ = rendition(app, video)
    assert picture["avg_frame_rate"] == "60/1"
    assert duration(app, video) == pytest.approx(2.0, abs=0.1)


def test_no_audio_in_means_no_audio_out(app, make_video, tmp_path):
    src = synth(tmp_path / "silent.mp4", size="320x180", seconds=1, audio=False)
    _, audio = rendition(app, process(make_video(src)))
    assert audio is None


# --- job behaviour ------------------------------------------------------------------------------------------

def test_recovery_reprocesses_a_row_left_processing(app, make_video):
    video = make_video(sample("webm_vp9_opus_320x180.webm"), state=VideoState.PROCESSING, attempts=1)
    recover_unfinished()
    db.session.expire_all()
    video = db.session.get(Video, video.id)
    rendition(app, video)
    assert video.attempts == 2


@pytest.mark.parametrize("app_overrides", [{**FAST, "TASK_BACKEND": "thread"}])
def test_background_runner_recovers_unfinished_videos_when_it_starts(app, make_video):
    video_id = make_video(sample("webm_vp9_opus_320x180.webm"), state=VideoState.PROCESSING, attempts=1).id
    tasks.get_runner().start()
    deadline = time.monotonic() + 60
    while True:
        db.session.rollback()  # a fresh read each time; never hold the database while the worker writes
        video = db.session.get(Video, video_id, populate_existing=True)
        if video.state in (VideoState.READY, VideoState.FAILED) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    rendition(app, video)
    assert video.attempts == 2


def test_running_twice_leaves_one_poster_and_one_rendition(app, make_video):
    video = process(make_video(sample("fragmented_h264_aac5.1.mp4")))
    first = (video.poster_key, video.rendition_key)
    process_video(video.id)  # ready: nothing to do
    db.session.expire_all()
    assert (video.attempts, video.poster_key, video.rendition_key) == (1, *first)
    video.state = VideoState.PENDING  # e.g. queued again before the first run finished
    db.session.commit()
    video = process(video)
    rendition(app, video)
    assert video.attempts == 2 and video.poster_key not in first and video.rendition_key not in first
    files = stored_files(app)
    assert sorted(f.split("/")[0] for f in files) == ["originals", "posters", "renditions"]


def test_missing_row_is_ignored(app):
    process_video(12345)  # a job for a deleted video: no error, nothing created
    assert db.session.scalar(select(func.count(Video.id))) == 0
    assert stored_files(app) == []


def test_too_many_interrupted_attempts_fail_the_video(app, make_video):
    video = make_video(sample("plain_h264_aac_1280x720_25fps.mp4"), state=VideoState.PROCESSING, attempts=3)
    video = process(video)
    assert video.state == VideoState.FAILED and video.attempts == 4
    assert video.error == "Processing was interrupted too often; please upload the video again."


@pytest.mark.parametrize("app_overrides", [{**FAST, "FFMPEG_TIMEOUT": 3, "FFMPEG_PRESET": "placebo",
                                            "RENDITION_SHORT_SIDE": 1080}])
def test_timeout_kills_ffmpeg_and_fails_the_video(app, make_video, tmp_path, monkeypatch):
    src = tmp_path / "big.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30", "-t", "3", "-c:v", "mpeg4", "-q:v", "8",
           str(src))
    started = []

    class Recording(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(media.subprocess, "Popen", Recording)
    video = process(make_video(src))
    assert video.state == VideoState.FAILED
    assert video.error == "Processing took longer than the limit of 3 s and was stopped."
    assert stored_files(app) == []
    assert started and all(p.returncode is not None and live_group_members(p.pid) == [] for p in started)
    assert any(json.dumps(p.args).count("placebo") for p in started)
