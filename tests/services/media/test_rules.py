"""contest.services.media.rules: every technical rule passes at its limit, fails just past it and names the
measured value and the limit, in English and Chinese. Facts are built by hand (what ffprobe would report);
real files through the upload view are in tests/views/submissions/test_upload_rules.py."""
from dataclasses import replace
from fractions import Fraction

import pytest
from flask_babel import force_locale

from contest.models import Contest, Orientation
from contest.services.contests.technical_rules import TechnicalRules
from contest.services.media import rules as media_rules
from contest.services.media.probe import MediaInfo

MIB = 1024 * 1024
MP4 = "mov,mp4,m4a,3gp,3g2,mj2"


@pytest.fixture(autouse=True)
def request_context(app):
    """Messages are translated: a request context, the language chosen per test with force_locale."""
    with app.test_request_context():
        yield


def info(**facts) -> MediaInfo:
    """A vertical 1080×1920 H.264/AAC MP4 of 60 s at 30 fps, unless overridden; ``display`` sets both
    displayed sides."""
    width, height = facts.pop("display", (facts.get("width", 1080), facts.get("height", 1920)))
    fields = dict(container=MP4, duration_s=60.0, width=width, height=height, rotation=0, display_width=width,
                  display_height=height, video_codec="h264", pix_fmt="yuv420p", fps=30.0, audio_codec="aac")
    fields.update(facts)
    return MediaInfo(**fields)


def contest(**rules) -> Contest:
    """An unsaved contest with no limits beyond 1 s..300 s and 500 MB, unless overridden."""
    fields = dict(max_file_bytes=500 * MIB, min_duration_s=1.0, max_duration_s=300.0,
                  orientation=Orientation.ANY, allowed_containers="", allowed_video_codecs="",
                  min_short_px=None, min_long_px=None, max_short_px=None, max_long_px=None, min_fps=None,
                  max_fps=None, audio_required=False)
    fields.update(rules)
    return Contest(**fields)


def check(facts: MediaInfo, rules: Contest, size_bytes: int = 10 * MIB, *, lang: str = "en") -> list[str]:
    with force_locale(lang):
        return media_rules.check(facts, TechnicalRules.of(rules), size_bytes)


#: The example of the issue: vertical 1080×1920 (9:16), 25–60 fps, ≤ 5 min, ≤ 200 MB, H.264 MP4, with sound.
REAL = dict(orientation=Orientation.PORTRAIT, min_short_px=1080, min_long_px=1920, min_fps=25.0, max_fps=60.0,
            max_duration_s=300.0, max_file_bytes=200 * MIB, allowed_containers="mp4",
            allowed_video_codecs="h264", audio_required=True)


def test_a_file_meeting_every_rule_passes():
    assert check(info(), contest(**REAL)) == []
    assert check(info(), contest()) == []


def test_every_broken_rule_is_listed_in_order():
    facts = info(container="matroska,webm", video_codec="vp9", duration_s=400.0, display=(1280, 720),
                 fps=24.0, audio_codec=None)
    reasons = check(facts, contest(**REAL), size_bytes=300 * MIB)
    assert [reason.split(" ")[1] for reason in reasons] == [
        "file", "video", "video", "contest", "picture", "frame", "video", "file"]
    assert len(check(facts, contest(**REAL), size_bytes=300 * MIB, lang="zh")) == 8


# --- container family and codec ---------------------------------------------------------------------------

@pytest.mark.parametrize("format_name, family", [
    (MP4, "mp4"), ("matroska,webm", "webm"), ("mpegts", "ts"), ("avi", "avi"), ("flv", "flv"), ("asf", "wmv"),
    ("mpeg", "mpg"), ("mxf", None), ("", None)])
def test_container_family_from_the_ffprobe_format_name(format_name, family):
    assert media_rules.container_family(format_name) == family


def test_container_rule_names_the_format_found_and_the_allowed_ones():
    rules = contest(allowed_containers="mp4")
    assert check(info(container=MP4), rules) == []  # .mp4, .mov and .m4v are one format
    assert check(info(container="matroska,webm"), rules) == [
        "The file is in WebM / MKV format; this contest accepts only MP4 / MOV."]
    assert check(info(container="matroska,webm"), rules, lang="zh") == [
        "文件格式为 WebM / MKV，本赛事只接受 MP4 / MOV。"]


def test_container_rule_with_several_formats_and_an_unknown_one():
    rules = contest(allowed_containers="mp4,ts")
    assert check(info(container="mpegts"), rules) == []
    assert check(info(container="mxf"), rules) == ["The file is in MXF format; this contest accepts only "
                                                   "MP4 / MOV or TS / MTS."]
    assert check(info(container="mxf"), rules, lang="zh") == ["文件格式为 MXF，本赛事只接受 MP4 / MOV或TS / MTS。"]


def test_codec_rule():
    rules = contest(allowed_video_codecs="h264")
    assert check(info(video_codec="h264"), rules) == []
    assert check(info(video_codec="hevc"), rules) == [
        "The video is encoded as H.265 (HEVC); this contest accepts only H.264."]
    assert check(info(video_codec="hevc"), rules, lang="zh") == ["视频编码为 H.265 (HEVC)，本赛事只接受 H.264。"]
    assert check(info(video_codec="prores"), rules) == [
        "The video is encoded as PRORES; this contest accepts only H.264."]


# --- duration and size ------------------------------------------------------------------------------------

def test_duration_upper_limit():
    rules = contest(max_duration_s=300.0)
    assert check(info(duration_s=300.0), rules) == []
    assert check(info(duration_s=300.1), rules) == [
        "The video lasts 5 min 00.1 s; the longest allowed is 5 min 00 s."]
    assert check(info(duration_s=723.0), rules, lang="zh") == ["视频时长 12 分 03 秒，超过本赛事上限 5 分 00 秒。"]


def test_duration_lower_limit():
    rules = contest(min_duration_s=5.0)
    assert check(info(duration_s=5.0), rules) == []
    assert check(info(duration_s=4.9), rules) == ["The video lasts 4.9 s; the shortest allowed is 5 s."]
    assert check(info(duration_s=4.9), rules, lang="zh") == ["视频时长 4.9 秒，短于本赛事下限 5 秒。"]


def test_size_limit_in_megabytes_with_enough_decimals():
    rules = contest(max_file_bytes=200 * MIB)
    assert check(info(), rules, size_bytes=200 * MIB) == []
    assert check(info(), rules, size_bytes=200 * MIB + 1024) == [
        "The file is 200.001 MB; the limit is 200 MB."]
    assert check(info(), rules, size_bytes=262 * MIB, lang="zh") == ["文件大小为 262 MB，上限为 200 MB。"]


def test_size_one_byte_over_is_told_in_bytes():
    rules = contest(max_file_bytes=200 * MIB)
    assert check(info(), rules, size_bytes=200 * MIB + 1) == [
        "The file is 209,715,201 bytes; the limit is 209,715,200 bytes."]


def test_size_rule_alone_needs_no_probe():
    with force_locale("en"):
        assert media_rules.size_rule(TechnicalRules.of(contest(max_file_bytes=MIB)), 3 * MIB) == [
            "The file is 3 MB; the limit is 1 MB."]


# --- orientation of the displayed picture ------------------------------------------------------------------

@pytest.mark.parametrize("wanted, display, passes", [
    (Orientation.PORTRAIT, (1080, 1920), True), (Orientation.PORTRAIT, (1080, 1080), False),
    (Orientation.LANDSCAPE, (1920, 1080), True), (Orientation.LANDSCAPE, (1080, 1081), False),
    (Orientation.SQUARE, (1080, 1080), True), (Orientation.SQUARE, (1081, 1080), False),
    (Orientation.ANY, (1, 5000), True)])
def test_orientation_at_and_past_the_border(wanted, display, passes):
    assert (check(info(display=display), contest(orientation=wanted)) == []) is passes


def test_orientation_messages_name_the_displayed_size_and_shape():
    assert check(info(display=(1080, 1080)), contest(orientation=Orientation.PORTRAIT)) == [
        "The contest accepts only portrait videos (taller than wide); this one is shown 1080×1080 (square)."]
    assert check(info(display=(1920, 1080)), contest(orientation=Orientation.SQUARE)) == [
        "The contest accepts only square videos (as wide as tall); this one is shown 1920×1080 (landscape)."]
    assert check(info(display=(1920, 1080)), contest(orientation=Orientation.SQUARE), lang="zh") == [
        "本赛事仅接受方形视频（宽高相等），该视频画面为 1920×1080（横屏）。"]


def test_orientation_uses_the_displayed_picture_not_the_coded_one():
    # A phone video stored 1920×1080 with a -90° display matrix is shown 1080×1920.
    turned = info(width=1920, height=1080, rotation=-90, display=(1080, 1920))
    assert check(turned, contest(orientation=Orientation.PORTRAIT)) == []
    # SAR 2:1: 640×360 coded pixels are shown 1280×360.
    wide = info(width=640, height=360, sar=Fraction(2), display=(1280, 360))
    assert check(wide, contest(orientation=Orientation.LANDSCAPE, min_short_px=360, min_long_px=1280)) == []


# --- resolution -------------------------------------------------------------------------------------------

def test_minimum_resolution_is_short_and_long_side():
    rules = contest(min_short_px=1080, min_long_px=1920)
    assert check(info(display=(1080, 1920)), rules) == []
    assert check(info(display=(1920, 1080)), rules) == []  # which way round: the orientation rule's business
    assert check(info(display=(1079, 1920)), rules) == [
        "The picture is 1079×1920; this contest requires at least 1080×1920."]
    assert check(info(display=(1920, 1079)), rules) == [  # the limit is written the way the picture is turned
        "The picture is 1920×1079; this contest requires at least 1920×1080."]
    assert check(info(display=(720, 1280)), rules, lang="zh") == [
        "画面分辨率为 720×1280，低于本赛事要求的最低分辨率 1080×1920。"]


def test_minimum_short_side_alone_reads_as_720p():
    rules = contest(min_short_px=720)
    assert check(info(display=(720, 720)), rules) == []
    assert check(info(display=(1280, 719)), rules) == [
        "The picture is 1280×719; this contest requires at least 720p."]


def test_maximum_resolution():
    rules = contest(max_short_px=2160, max_long_px=3840)
    assert check(info(display=(2160, 3840)), rules) == []
    assert check(info(display=(2160, 3841)), rules) == [
        "The picture is 2160×3841; this contest allows at most 2160×3840."]
    assert check(info(display=(4096, 2161)), rules, lang="zh") == [
        "画面分辨率为 4096×2161，超过本赛事允许的最高分辨率 3840×2160。"]


# --- frame rate -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fps, passes", [(25.0, True), (24.75, True), (24.7, False), (29.97, True),
                                         (60.0, True), (60.6, True), (60.61, False), (None, True)])
def test_frame_rate_window_with_one_percent_slack(fps, passes):
    assert (check(info(fps=fps), contest(min_fps=25.0, max_fps=60.0)) == []) is passes


def test_frame_rate_messages():
    rules = contest(min_fps=25.0, max_fps=60.0)
    assert check(info(fps=7.22), rules) == ["The frame rate is 7.22 fps; the lowest allowed is 25 fps."]
    assert check(info(fps=120.0), rules) == ["The frame rate is 120 fps; the highest allowed is 60 fps."]
    assert check(info(fps=23.976), rules, lang="zh") == ["视频帧率为 23.98 帧/秒，低于本赛事下限 25 帧/秒。"]


# --- sound ------------------------------------------------------------------------------------------------

def test_sound_required():
    assert check(info(audio_codec="aac"), contest(audio_required=True)) == []
    assert check(info(audio_codec=None), contest(audio_required=False)) == []
    assert check(info(audio_codec=None), contest(audio_required=True)) == [
        "The video has no sound track; this contest requires videos with sound."]
    assert check(info(audio_codec=None), contest(audio_required=True), lang="zh") == [
        "视频没有声音（无音轨），本赛事要求作品带有声音。"]


# --- copies -----------------------------------------------------------------------------------------------

def test_the_value_object_copies_every_rule_of_the_contest():
    original = contest(**REAL)
    rules = TechnicalRules.of(original)
    assert (rules.max_file_bytes, rules.min_duration_s, rules.max_duration_s, rules.orientation) == (
        200 * MIB, 1.0, 300.0, Orientation.PORTRAIT)
    assert (rules.containers, rules.video_codecs, rules.min_short_px, rules.min_long_px, rules.min_fps,
            rules.max_fps, rules.audio_required) == (("mp4",), ("h264",), 1080, 1920, 25.0, 60.0, True)
    broken = replace(info(), fps=24.0, audio_codec=None)
    with force_locale("en"):
        assert media_rules.check(broken, rules, 10 * MIB) == check(broken, original)
    assert len(check(broken, original)) == 2


def test_a_partial_copy_without_the_new_fields_means_no_limits():
    old_style = Contest(max_file_bytes=500 * MIB, min_duration_s=1.0, max_duration_s=300.0,
                        orientation=Orientation.ANY)
    assert check(info(container="avi", fps=1.0, audio_codec=None, display=(16, 16)), old_style) == []
