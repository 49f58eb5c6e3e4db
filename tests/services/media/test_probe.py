"""contest.services.media.probe: probing uploads against contest rules (real files), units, the tool runner."""
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contest.models import Orientation
from contest.services.media import probe as media
from contest.services.contests.technical_rules import TechnicalRules
from contest.services.media import tools
from contest.services.media.errors import MediaRejected, MediaTimeout
from contest.formatting import format_duration
from contest.services.media import formats as media_formats
from tests.conftest import media as sample


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
                   check=True, timeout=60)


def ffprobe(path: Path) -> dict:
    args = ["ffprobe", "-v", "error", "-of", "json", "-show_format", "-show_streams", str(path)]
    out = subprocess.run(args, check=True, capture_output=True, timeout=30).stdout
    return json.loads(out)


def synth(path: Path, *, size="320x240", rate=25, seconds=2.0, audio=True, extra=()) -> Path:
    """A short synthetic clip (testsrc2 + sine) encoded fast."""
    inputs = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}"]
    if audio:
        inputs += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]
    ffmpeg(*inputs, "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", *extra, str(path))
    return path


@pytest.fixture
def en(app):
    """A request context whose UI language is English (messages are compared literally)."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture
def contest(make_contest):
    return make_contest()


def inspect(path: Path, contest, size_bytes: int | None = None):
    return media.inspect_upload(path, rules=TechnicalRules.of(contest), size_bytes=path.stat().st_size if size_bytes is None
                                else size_bytes)


def rejection(path: Path, contest, size_bytes: int | None = None) -> list[str]:
    with pytest.raises(MediaRejected) as caught:
        inspect(path, contest, size_bytes)
    return caught.value.reasons


# --- accepted files and their facts -------------------------------------------------------------------------

def test_plain_clip_is_accepted_with_its_facts(en, contest):
    info = inspect(sample("plain_h264_aac_1280x720_25fps.mp4"), contest)
    assert "mp4" in info.container
    assert info.duration_s == pytest.approx(5.312, abs=0.01)
    assert (info.width, info.height, info.display_width, info.display_height) == (1280, 720, 1280, 720)
    assert (info.rotation, info.video_codec, info.pix_fmt, info.audio_codec) == (0, "h264", "yuv420p", "aac")
    assert info.fps == 25.0
    assert info.shape == Orientation.LANDSCAPE
    assert info.readable_end_s == pytest.approx(5.312, abs=0.05)


def test_rotated_iphone_clip_displays_portrait(en, make_contest):
    contest = make_contest(min_duration_s=0.0, orientation=Orientation.PORTRAIT)
    info = inspect(sample("iphone15promax_hevc10_hlg_rot-90_mebx.mov"), contest)
    assert (info.width, info.height, info.rotation) == (1920, 1080, -90)
    assert (info.display_width, info.display_height) == (1080, 1920)
    assert (info.video_codec, info.pix_fmt, info.audio_codec) == ("hevc", "yuv420p10le", "aac")
    assert info.is_hdr


def test_variable_frame_rate_uses_the_average_rate(en, contest):
    info = inspect(sample("vfr_h264_3026x1386_noaudio.mp4"), contest)
    assert info.fps == pytest.approx(7.22, abs=0.05)
    assert info.nominal_rate == 57600
    assert info.audio_codec is None


def test_anamorphic_clip_displays_at_its_aspect_ratio(en, contest):
    info = inspect(sample("anamorphic_sar2x1_640x360_noaudio.mp4"), contest)
    assert (info.width, info.height) == (640, 360)
    assert (info.display_width, info.display_height) == (1280, 360)


@pytest.mark.parametrize("name", ["mpegts_h264_720p60_aac.ts", "webm_vp9_opus_320x180.webm",
                                  "legacy_avi_mpeg4asp_mp3_320x240.avi", "fragmented_h264_aac5.1.mp4",
                                  "hevc_hev1_fullrange_1080p30_aac.mp4", "h264_aac_with_tx3g_subtitle.mp4"])
def test_other_containers_are_accepted(en, contest, name):
    info = inspect(sample(name), contest)
    assert info.duration_s > 1 and info.readable_end_s >= 0.9 * info.duration_s


def test_cover_art_is_not_a_video_stream(en, contest, tmp_path):
    cover = tmp_path / "cover.png"
    ffmpeg("-f", "lavfi", "-i", "color=red:size=64x64", "-frames:v", "1", "-update", "1", str(cover))
    song = tmp_path / "song.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=sample_rate=48000", "-i", str(cover), "-t", "2", "-map", "0:a",
           "-map", "1:v", "-c:a", "aac", "-c:v", "png", "-disposition:v", "attached_pic", str(song))
    assert rejection(song, contest) == ["The file has no video stream (audio only)."]


# --- refused files ------------------------------------------------------------------------------------------

def test_text_file_named_webm_is_refused(en, contest):
    assert rejection(sample("fake_text_renamed.webm"), contest) == ["This is not a video file we can read."]


def test_audio_only_file_is_refused(en, contest):
    assert rejection(sample("audio_only_eac3_5.1.mp4"), contest) == [
        "The file has no video stream (audio only)."]


def test_corrupt_partial_file_is_refused_without_decoding(en, contest):
    reasons = rejection(sample("corrupt_partial_annexb_h264.mp4"), contest)
    assert reasons == ["The file is incomplete or damaged: only 0 s of its 35.2 s can be read. "
                       "Please upload the complete file."]


def test_upload_cut_off_at_60_percent_is_refused(en, contest, tmp_path):
    full = synth(tmp_path / "full.mp4", seconds=10, extra=["-g", "250", "-movflags", "+faststart"])
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size * 6 // 10])
    assert inspect(full, contest).duration_s == pytest.approx(10, abs=0.1)
    [reason] = rejection(cut, contest)
    assert reason.startswith("The file is incomplete or damaged: only 6") and "of its 10 s" in reason


def cut_before_its_index(folder: Path) -> Path:
    """A 3 s H.264/AAC MP4 with its index at the end (``moov`` after ``mdat``: ffmpeg's default), cut in half."""
    full = synth(folder / "moov_last.mp4", seconds=3)
    assert [kind for kind, _at, _size in media_formats.mp4_boxes(full)][-2:] == ["mdat", "moov"]
    cut = folder / "cut.mp4"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    return cut


def test_upload_cut_off_before_its_index_is_called_incomplete(en, contest, tmp_path):
    cut = cut_before_its_index(tmp_path)
    assert media_formats.mp4_cut_short(cut) and not media_formats.mp4_cut_short(tmp_path / "moov_last.mp4")
    assert rejection(cut, contest) == ["The file is incomplete; please upload the whole file again."]


def test_upload_cut_off_before_its_index_is_called_incomplete_in_chinese(app, contest, tmp_path):
    with app.test_request_context(headers={"Cookie": "lang=zh"}):
        assert rejection(cut_before_its_index(tmp_path), contest) == ["文件不完整，请重新上传完整文件。"]


def test_a_text_file_that_starts_like_boxes_is_not_called_incomplete(en, contest, tmp_path):
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"\x00\x00\x00\x10notaboxatallmdat" + b"\x00" * 100)
    assert not media_formats.mp4_cut_short(fake)
    assert rejection(fake, contest) == ["This is not a video file we can read."]


# --- contest rules: one message per failed rule, with measured value and limit ------------------------------

def test_too_long_names_duration_and_limit(en, make_contest):
    contest = make_contest(min_duration_s=1, max_duration_s=4)
    assert rejection(sample("plain_h264_aac_1280x720_25fps.mp4"), contest) == [
        "The video lasts 5.3 s; the longest allowed is 4 s."]


def test_long_durations_read_in_minutes(en, make_contest):
    contest = make_contest(min_duration_s=723, max_duration_s=900)
    assert rejection(sample("plain_h264_aac_1280x720_25fps.mp4"), contest) == [
        "The video lasts 5.3 s; the shortest allowed is 12 min 03 s."]


def test_too_short_names_duration_and_limit(en, make_contest):
    contest = make_contest(min_duration_s=6, max_duration_s=60)
    assert rejection(sample("plain_h264_aac_1280x720_25fps.mp4"), contest) == [
        "The video lasts 5.3 s; the shortest allowed is 6 s."]


def test_too_large_names_size_and_limit(en, make_contest):
    contest = make_contest(max_file_bytes=1_000_000)
    assert rejection(sample("plain_h264_aac_1280x720_25fps.mp4"), contest) == [
        "The file is 1.01 MB; the limit is 0.95 MB."]


def test_landscape_clip_refused_by_portrait_contest(en, make_contest):
    contest = make_contest(orientation=Orientation.PORTRAIT)
    assert rejection(sample("plain_h264_aac_1280x720_25fps.mp4"), contest) == [
        "The contest accepts only portrait videos (taller than wide); "
        "this one is shown 1280×720 (landscape)."]


def test_orientation_is_judged_after_rotation(en, make_contest):
    contest = make_contest(orientation=Orientation.LANDSCAPE, min_duration_s=0)
    assert rejection(sample("iphone15promax_hevc10_hlg_rot-90_mebx.mov"), contest) == [
        "The contest accepts only landscape videos (wider than tall); "
        "this one is shown 1080×1920 (portrait)."]


def test_square_clip_is_neither_portrait_nor_landscape(en, make_contest, tmp_path):
    square = synth(tmp_path / "square.mp4", size="240x240")
    assert inspect(square, make_contest(orientation=Orientation.ANY)).shape is None
    [reason] = rejection(square, make_contest(orientation=Orientation.LANDSCAPE))
    assert reason.endswith("this one is shown 240×240 (square).")


def test_every_failed_rule_is_reported_at_once(en, make_contest):
    contest = make_contest(max_duration_s=4, orientation=Orientation.PORTRAIT, max_file_bytes=1_000_000)
    reasons = rejection(sample("plain_h264_aac_1280x720_25fps.mp4"), contest)
    assert len(reasons) == 3
    assert [r.split()[1] for r in reasons] == ["video", "contest", "file"]


def test_unreadable_file_still_reports_size(en, make_contest):
    contest = make_contest(max_file_bytes=10)
    reasons = rejection(sample("fake_text_renamed.webm"), contest)
    assert reasons[0] == "This is not a video file we can read."
    assert reasons[1].startswith("The file is ") and len(reasons) == 2


# --- units and helpers --------------------------------------------------------------------------------------

@pytest.mark.parametrize("seconds, text", [(0.04, "0.04 s"), (0.0, "0 s"), (3.5, "3.5 s"), (45, "45 s"),
                                           (60, "1 min 00 s"), (723, "12 min 03 s"), (723.4, "12 min 03.4 s"),
                                           (3723, "1 h 02 min 03 s")])
def test_format_duration(en, seconds, text):
    assert format_duration(seconds) == text


def test_timeout_kills_the_whole_process_group(en, monkeypatch):
    started = []

    class Recording(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(tools.subprocess, "Popen", Recording)
    with pytest.raises(MediaTimeout, match="took longer than the limit of 0.3 s"):
        tools.run_tool(["sh", "-c", "sleep 30 & sleep 30"], timeout=0.3)
    [proc] = started
    assert proc.returncode is not None
    assert live_group_members(proc.pid) == []  # the background sleep (same group) is gone too


def test_a_tool_dies_with_a_process_killed_outright(tmp_path):
    """A worker killed with SIGKILL cannot clean up; the kernel kills its tool (PR_SET_PDEATHSIG)."""
    pid_file = tmp_path / "tool.pid"
    script = (
        "from contest import create_app\n"
        "from contest.services.media import tools\n"
        "with create_app('testing').app_context():\n"
        f"    tools.run_tool(['sh', '-c', 'echo $$ > {pid_file}; exec sleep 60'], timeout=120)\n"
    )
    worker = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[3])
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    tool_pid = int(pid_file.read_text())
    worker.kill()
    worker.wait(timeout=10)
    deadline = time.monotonic() + 10
    while live_group_members(tool_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live_group_members(tool_pid) == []


def live_group_members(pgid: int, settle_s: float = 2.0) -> list[int]:
    """Pids of running (not zombie) processes in process group ``pgid``, from /proc, once they are gone or
    ``settle_s`` seconds have passed: a SIGKILLed process that another parent (init) will reap may show as
    running for a moment after the signal."""
    deadline = time.monotonic() + settle_s
    while (members := _group_members(pgid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return members


def _group_members(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members
