"""contest.services.media.jobs: process_video end to end on real files (checked with ffprobe), recovery,
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
from contest.services.media import fingerprint
from contest.services.media import jobs as media_jobs
from contest.services.media import renditions, tools
from contest.services.submissions import entries as submissions
from contest.infra import tasks
from contest.services.media import actions as video_actions
from contest.services.media.jobs import process_video, recover_unfinished
from contest.infra.storage import get_storage, new_key
from contest.services.uploads import admission
from contest.services.media.errors import MediaProcessingError
from tests.conftest import media as sample, stored_copy, stored_keys
from tests.services.media.test_probe import ffmpeg, ffprobe, live_group_members, synth

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


def rendition(app, video: Video) -> tuple[dict, dict | None]:
    """(video stream, audio stream or None) of a ready video's rendition, after checking what every rendition
    must be: ready row, files on disk, H.264 High yuv420p, even size, no rotation, faststart, matching row."""
    assert video.state == VideoState.READY, video.error
    assert video.error is None and video.processed_at is not None
    path = stored_copy(app, video.rendition_key)
    assert path.stat().st_size == video.rendition_bytes > 0
    assert stored_copy(app, video.poster_key).read_bytes()[:2] == b"\xff\xd8"  # JPEG
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
    stream = ffprobe(stored_copy(app, video.poster_key))["streams"][0]
    return stream["width"], stream["height"]


def duration(app, video: Video) -> float:
    return float(ffprobe(stored_copy(app, video.rendition_key))["format"]["duration"])


# --- real-world files ---------------------------------------------------------------------------------------

def test_plain_clip_gets_poster_and_rendition(app, make_video):
    video = process(make_video(sample("plain_h264_aac_1280x720_25fps.mp4")))
    picture, audio = rendition(app, video)
    assert (picture["width"], picture["height"], picture["avg_frame_rate"]) == (640, 360, "25/1")
    assert audio is not None
    assert duration(app, video) == pytest.approx(5.312, abs=0.1)
    assert poster_size(app, video) == (1280, 720)
    assert video.attempts == 1 and video.original_key in stored_keys(app)


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
                          f"movie={stored_copy(app, video.poster_key)},signalstats", "-show_entries",
                          "frame_tags=lavfi.signalstats.YMAX", "-of", "csv=p=0"],
                         check=True, capture_output=True, text=True).stdout
    assert int(out.strip()) > 128  # white text on the flattened background


def test_mpegts_60fps_stays_60fps(app, make_video):
    video = process(make_video(sample("mpegts_h264_720p60_aac.ts")))
    picture, audio = rendition(app, video)
    # the source's 90 kHz timestamps are kept (no conversion to a constant rate under the cap)
    assert float(Fraction(picture["avg_frame_rate"])) == pytest.approx(60, abs=0.01) and audio is not None
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


def test_corrupt_file_fails_readably_and_keeps_only_its_original(app, make_video):
    video = process(make_video(sample("corrupt_partial_annexb_h264.mp4")))
    assert video.state == VideoState.FAILED
    assert video.error.startswith("Only 0.5") and "of the video's 35.2 s could be converted" in video.error
    assert video.error_detail.startswith("MediaProcessingError: Only 0.5")
    assert (video.poster_key, video.rendition_key, video.preview_key) == (None, None, None)
    assert stored_keys(app) == [video.original_key]  # a processing failure keeps it: organizers may re-run


def test_unreadable_original_fails_and_is_deleted(app, make_video):
    video = process(make_video(sample("fake_text_renamed.webm")))
    assert (video.state, video.error) == (VideoState.FAILED, "This is not a video file we can read.")
    assert stored_keys(app) == []


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
    files = stored_keys(app)
    assert sorted(f.split("/")[0] for f in files) == ["originals", "posters", "previews", "renditions"]


def test_missing_row_is_ignored(app):
    process_video(12345)  # a job for a deleted video: no error, nothing created
    assert db.session.scalar(select(func.count(Video.id))) == 0
    assert stored_keys(app) == []


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

    monkeypatch.setattr(tools.subprocess, "Popen", Recording)
    video = process(make_video(src))
    assert video.state == VideoState.FAILED
    assert video.error == "Processing took longer than the limit of 3 s and was stopped."
    assert video.error_detail.startswith("MediaTimeout: Processing took longer")
    assert "placebo" in video.error_detail  # the command line that was stopped
    assert stored_keys(app) == [video.original_key]
    assert started and all(p.returncode is not None and live_group_members(p.pid) == [] for p in started)
    assert any(json.dumps(p.args).count("placebo") for p in started)


# --- progress, preview, technical detail, running again, the poster's moment -------------------------------

def grey_hash(path: Path, *, at_s: float | None = None) -> int:
    """pHash of one picture: a JPEG, or the frame of a video shown at ``at_s`` seconds."""
    seek = ["-ss", str(at_s)] if at_s is not None else []
    out = subprocess.run(["ffmpeg", "-v", "error", *seek, "-i", str(path), "-frames:v", "1", "-vf",
                          "scale=32:32:flags=area,format=gray", "-f", "rawvideo", "pipe:1"],
                         check=True, capture_output=True, timeout=60).stdout
    return fingerprint.phash(out)


def test_progress_is_written_while_ffmpeg_runs_and_other_connections_see_it(app, make_video, monkeypatch):
    seen: list[tuple[float, float]] = []
    store = media_jobs.store_progress

    def recording(video_id: int, value: float) -> None:
        store(video_id, value)
        with db.engine.connect() as other:  # as the web process polling the row would read it
            seen.append((value, other.scalar(select(Video.progress).where(Video.id == video_id))))

    monkeypatch.setattr(media_jobs, "PROGRESS_INTERVAL_S", 0)
    monkeypatch.setattr(media_jobs, "store_progress", recording)
    video = process(make_video(sample("mpegts_h264_720p60_aac.ts")))
    rendition(app, video)
    values = [value for value, _ in seen]
    assert len(values) >= 4 and values == sorted(values) and 0 < values[0] < 0.5
    assert 0.75 < values[-1] <= media_jobs.ENCODED
    assert all(stored == pytest.approx(value, abs=1e-3) for value, stored in seen)
    assert video.progress == 1.0


@pytest.mark.parametrize("app_overrides", [{**FAST, "PREVIEW_MAX_BYTES": 400_000}])
def test_preview_is_made_under_the_cap_and_goes_with_the_video(app, make_video):
    video = process(make_video(sample("hevc_hev1_fullrange_1080p30_aac.mp4")))
    rendition(app, video)
    path = stored_copy(app, video.preview_key)
    assert path.stat().st_size == video.preview_bytes <= 400_000
    assert renditions.is_faststart(path)
    info = ffprobe(path)
    [picture] = [s for s in info["streams"] if s["codec_type"] == "video"]
    assert (picture["codec_name"], picture["pix_fmt"]) == ("h264", "yuv420p")
    assert min(picture["width"], picture["height"]) <= app.config["PREVIEW_SHORT_SIDE"]
    assert float(info["format"]["duration"]) == pytest.approx(10.0, abs=0.2)
    old = admission.video_keys(video)
    with open(sample("plain_h264_aac_1280x720_25fps.mp4"), "rb") as stream:
        stored = get_storage().save(new_key("originals"), stream)
    admission.replace_video(entry=video.entry, key=stored.key, size_bytes=stored.bytes,
                              sha256=stored.sha256, filename="new.mp4")
    db.session.commit()
    assert video.preview_key in old and stored_keys(app) == [stored.key]


def test_a_preview_that_cannot_be_made_leaves_the_video_ready_with_the_detail(app, make_video, monkeypatch):
    def failed_check(plan, info, *, rendition_bytes=None):
        plan.path.unlink()
        raise MediaProcessingError("The converted video failed its checks (bad).")

    def broken(src, dst, info, *, max_bytes=None, on_progress=None):
        raise MediaProcessingError("preview broke", detail="x264 [error]: boom")

    monkeypatch.setattr(renditions, "check_preview", failed_check)
    monkeypatch.setattr(renditions, "make_preview", broken)  # made again from the rendition: fails too
    video = process(make_video(sample("webm_vp9_opus_320x180.webm")))
    rendition(app, video)
    assert (video.preview_key, video.preview_bytes) == (None, None)
    assert video.error_detail == "preview: MediaProcessingError: preview broke\nx264 [error]: boom"
    assert len(video.fingerprint) == 256  # its frames come from the rendition's run all the same


@pytest.mark.parametrize("name", ["webm_vp9_opus_320x180.webm", "hevc_hev1_fullrange_1080p30_aac.mp4"])
def test_the_preview_is_smaller_than_the_rendition(app, make_video, name):
    video = process(make_video(sample(name)))
    rendition(app, video)
    preview, full = stored_copy(app, video.preview_key), stored_copy(app, video.rendition_key)
    assert video.preview_bytes == preview.stat().st_size < full.stat().st_size == video.rendition_bytes
    rates = [int(s["bit_rate"]) for path in (preview, full) for s in ffprobe(path)["streams"]
             if s["codec_type"] == "video"]
    assert rates[0] < rates[1]
    assert video.error_detail is None


def test_a_preview_larger_than_the_rendition_is_made_again_from_it(app, make_video, monkeypatch):
    monkeypatch.setattr(renditions, "PREVIEW_CRF", 8)  # the one-run preview: larger than the rendition
    started, start = [], tools.start
    monkeypatch.setattr(tools, "start", lambda args, **kw: started.append(args) or start(args, **kw))
    video = process(make_video(sample("webm_vp9_opus_320x180.webm")))
    rendition(app, video)
    assert video.error_detail is None
    assert 0 < video.preview_bytes <= video.rendition_bytes
    assert video.preview_bytes == stored_copy(app, video.preview_key).stat().st_size
    encodes = [args for args in started if Path(args[0]).name == "ffmpeg" and "libx264" in args]
    inputs = [Path(args[args.index("-i") + 1]).name for args in encodes]
    assert inputs[0] != "rendition.mp4" and inputs[1:] in (["rendition.mp4"], ["rendition.mp4"] * 2)
    assert len(video.fingerprint) == 256


def test_a_processing_failure_keeps_the_original_and_an_organizer_can_run_it_again(app, make_video,
                                                                                   monkeypatch):
    transcode, failures = renditions.transcode, []

    def failing_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise MediaProcessingError("The video could not be converted; the file may be damaged.",
                                             detail="[h264 @ 0x1] decode_slice_header error")
        return transcode(*args, **kwargs)

    monkeypatch.setattr(renditions, "transcode", failing_once)
    video = process(make_video(sample("webm_vp9_opus_320x180.webm")))
    assert (video.state, video.error) == (VideoState.FAILED,
                                          "The video could not be converted; the file may be damaged.")
    assert video.error_detail == ("MediaProcessingError: The video could not be converted; the file may be "
                                  "damaged.\n[h264 @ 0x1] decode_slice_header error")
    assert stored_keys(app) == [video.original_key] and video_actions.can_rerun(video)

    video_actions.rerun_processing(video=video)
    db.session.commit()
    assert (video.state, video.attempts, video.error, video.error_detail, video.progress) == (
        VideoState.PENDING, 0, None, None, 0.0)
    video = process(video)
    rendition(app, video)
    assert video.attempts == 1 and video.error_detail is None and video.progress == 1.0


def test_running_a_ready_video_again_replaces_its_files(app, make_video):
    video = process(make_video(sample("fragmented_h264_aac5.1.mp4")))
    old = {video.poster_key, video.rendition_key, video.preview_key}
    video_actions.rerun_processing(video=video)
    db.session.commit()
    video = process(video)
    rendition(app, video)
    new = {video.poster_key, video.rendition_key, video.preview_key}
    assert not old & new and stored_keys(app) == sorted([video.original_key, *new])


def test_running_again_is_refused_while_waiting_or_once_the_original_is_gone(app, make_video):
    waiting = make_video(sample("webm_vp9_opus_320x180.webm"))
    with pytest.raises(video_actions.VideoActionError):
        video_actions.rerun_processing(video=waiting)
    refused = process(make_video(sample("fake_text_renamed.webm")))  # a refusal deletes the original
    assert not video_actions.can_rerun(refused)
    with pytest.raises(video_actions.VideoActionError, match="不再保存"):
        video_actions.rerun_processing(video=refused)
    assert refused.state == VideoState.FAILED


def test_poster_is_taken_from_the_chosen_moment_and_replaces_the_old_one(app, make_video):
    video = process(make_video(sample("plain_h264_aac_1280x720_25fps.mp4")))
    old = video.poster_key
    seconds = video_actions.choose_poster_time(entry=video.entry, seconds="4.5")
    db.session.commit()
    tasks.enqueue("make_poster_at", video.id, seconds)
    db.session.expire_all()
    video = db.session.get(Video, video.id)
    assert (seconds, video.poster_time_s) == (4.5, 4.5) and video.poster_key != old
    assert old not in stored_keys(app) and video.poster_key in stored_keys(app)
    poster, movie = stored_copy(app, video.poster_key), stored_copy(app, video.rendition_key)
    assert poster.read_bytes()[:2] == b"\xff\xd8"
    there, elsewhere = grey_hash(movie, at_s=4.5), grey_hash(movie, at_s=1.0)
    assert (grey_hash(poster) ^ there).bit_count() <= 6 < (grey_hash(poster) ^ elsewhere).bit_count()

    video_actions.rerun_processing(video=video)  # a new run keeps the creator's moment
    db.session.commit()
    video = process(video)
    assert video.poster_time_s == 4.5
    assert (grey_hash(stored_copy(app, video.poster_key)) ^ there).bit_count() <= 6


@pytest.mark.parametrize("seconds", ["-1", "5.4", "abc", "nan", "inf", ""])
def test_poster_moment_outside_the_video_is_refused(app, make_video, seconds):
    video = make_video(sample("plain_h264_aac_1280x720_25fps.mp4"), state=VideoState.READY,
                       rendition_key="renditions/x.mp4", duration_s=5.312)
    with pytest.raises(submissions.SubmissionError) as refused:
        video_actions.choose_poster_time(entry=video.entry, seconds=seconds)
    assert refused.value.reasons == ["请选择 0 到 5.3 秒之间的时刻。"]
    assert video.poster_time_s is None
