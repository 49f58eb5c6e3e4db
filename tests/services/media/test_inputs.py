"""Untrusted inputs: what is accepted (decided from the content) and what every rendition and preview made
from it is (checked with ffprobe), what is refused and with which message, and how the tools are run.

The real-world samples' renditions are checked end to end in test_media_jobs.py (through process_video);
here: every sample's verdict at the probe, then synthetic clips made with ffmpeg (tiny, ≤ 2 s) for the
cases the samples lack. Renditions are made at a 240 px short side.
"""
import json
import random
import socket
import subprocess
import tempfile
import threading
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contest.models import Video
from contest.services.media import probe as media
from contest.services.media import renditions
from contest.services.media import tools
from contest.services.media.errors import MediaProcessingError, MediaRejected, MediaTimeout
from tests.conftest import media as sample, stored_keys
from tests.services.media.test_probe import en, ffmpeg, ffprobe, live_group_members  # noqa: F401  (en: fixture)
from tests.people import Role

SMALL = {"RENDITION_SHORT_SIDE": 240, "PREVIEW_SHORT_SIDE": 160}
PLAYLIST = "This is a playlist or a list of files, not a video. Please upload the video file itself."
NOT_READABLE = "This is not a video file we can read."
AUDIO_ONLY = "The file has no video stream (audio only)."


@pytest.fixture
def app_overrides():
    return SMALL


# --- synthetic inputs (made once per module, on first use) -------------------------------------------------

def lavfi(graph: str) -> list[str]:
    return ["-f", "lavfi", "-i", graph]


def x264(*extra: str) -> list[str]:
    return ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", *extra]


def half_white(path: Path, *extra: str) -> None:
    """1 s, 320×180: the top half white, the bottom half black."""
    ffmpeg(*lavfi("color=black:s=320x180:d=1:r=25,drawbox=x=0:y=0:w=320:h=90:color=white:t=fill"),
           *x264(), *extra, str(path))


def rotated(degrees: int):
    def make(path: Path) -> None:
        plain = path.with_suffix(".plain.mp4")
        half_white(plain)
        ffmpeg("-i", str(plain), "-c", "copy", "-metadata:s:v:0", f"rotate={degrees}", str(path))
    return make


def with_noise_in_the_middle(path: Path) -> None:
    clean = path.with_suffix(".clean.mp4")
    ffmpeg(*lavfi("testsrc2=s=320x180:d=2:r=25"), *lavfi("sine=d=2"), *x264("-movflags", "+faststart"),
           str(clean))
    data = bytearray(clean.read_bytes())
    middle, noise = len(data) // 2, random.Random(7).randbytes(3000)
    data[middle:middle + len(noise)] = noise
    path.write_bytes(bytes(data))


def with_extras(path: Path) -> None:
    """H.264 + AAC + a subtitle track + a timecode track; title, location, comment and creation time set."""
    subs = path.with_suffix(".srt")
    subs.write_text("1\n00:00:00,000 --> 00:00:01,000\n秘密字幕\n", encoding="utf-8")
    ffmpeg(*lavfi("testsrc2=s=320x180:d=1:r=25"), *lavfi("sine=d=1"), "-i", str(subs),
           "-map", "0", "-map", "1", "-map", "2", *x264(), "-c:a", "aac", "-c:s", "mov_text",
           "-timecode", "10:00:00:00", "-metadata", "title=秘密标题", "-metadata", "comment=设备 iPhone",
           "-metadata", "location=+39.9042+116.4074/", "-metadata", "creation_time=2024-05-01T08:00:00Z",
           "-metadata:s:v:0", "title=摄像头", str(path))


def with_attachment(path: Path) -> None:
    """Matroska: H.264 + Opus + SubRip subtitle + an attached file + a title."""
    subs, font = path.with_suffix(".srt"), path.with_suffix(".ttf")
    subs.write_text("1\n00:00:00,000 --> 00:00:01,000\nhello\n", encoding="utf-8")
    font.write_bytes(b"\x00\x01\x00\x00not really a font")
    ffmpeg(*lavfi("testsrc2=s=320x180:d=1:r=25"), *lavfi("sine=d=1"), "-i", str(subs),
           "-map", "0", "-map", "1", "-map", "2", *x264(), "-c:a", "libopus", "-c:s", "srt",
           "-attach", str(font), "-metadata:s:t", "mimetype=font/ttf", "-metadata", "title=秘密", str(path))


def many_streams(path: Path) -> None:
    ffmpeg(*lavfi("testsrc2=s=64x64:d=0.5:r=5"), *lavfi("sine=d=0.5"), "-map", "0:v",
           *[arg for _ in range(40) for arg in ("-map", "1:a")], *x264(), "-c:a", "pcm_s16le", str(path))


BLACK_WHITE = "color=black:s=160x180:d=1:r=25[a];color=white:s=160x180:d=1:r=25[b];[a][b]hstack"

RECIPES = {
    "rot90.mp4": rotated(90),
    "rot270.mp4": rotated(270),
    "pq_hevc10.mp4": lambda p: ffmpeg(
        *lavfi("testsrc2=s=320x180:d=1:r=25"), "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt",
        "yuv420p10le", "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc",
        "-x265-params", "log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc", str(p)),
    # full range, left half black (0), right half white (255): as yuvj420p (H.264 phones) and as yuv420p
    # tagged "pc" (VP9)
    "full_range.mp4": lambda p: ffmpeg(
        *lavfi(f"{BLACK_WHITE},format=yuvj420p"), "-c:v", "libx264", "-preset", "ultrafast",
        "-color_range", "pc", str(p)),
    "full_range_vp9.webm": lambda p: ffmpeg(
        *lavfi(f"{BLACK_WHITE},format=yuv420p,lutyuv=y=(val-16)*255/219,setparams=range=pc"), "-c:v",
        "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-color_range", "pc", str(p)),
    "moov_last.mp4": lambda p: ffmpeg(*lavfi("testsrc2=s=320x180:d=1:r=25"), *lavfi("sine=d=1"), *x264(),
                                      str(p)),
    "mediarecorder.webm": lambda p: ffmpeg(
        *lavfi("testsrc2=s=320x180:d=2:r=25"), *lavfi("sine=d=2"), "-c:v", "libvpx", "-deadline", "realtime",
        "-cpu-used", "8", "-c:a", "libopus", "-f", "webm", "-live", "1", str(p)),
    "fps60.mp4": lambda p: ffmpeg(*lavfi("testsrc2=s=160x90:d=1:r=60"), *x264(), str(p)),
    "interlaced.mp4": lambda p: ffmpeg(*lavfi("testsrc2=s=320x180:d=1:r=25"), *x264(
        "-flags", "+ilme+ildct", "-x264-params", "tff=1"), str(p)),
    "8k.mp4": lambda p: ffmpeg(*lavfi("testsrc2=s=7680x4320:d=0.12:r=25"), *x264(), str(p)),
    "too_wide.mp4": lambda p: ffmpeg(*lavfi("color=gray:s=9000x16:d=0.2:r=25"), *x264(), str(p)),
    "noise_middle.mp4": with_noise_in_the_middle,
    "extras.mov": with_extras,
    "extras.mkv": with_attachment,
    "many_streams.mkv": many_streams,
    "dark_start.mp4": lambda p: ffmpeg(
        *lavfi("testsrc2=s=320x180:d=2:r=25,drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='lt(t,1.2)'"),
        *x264(), str(p)),
    "odd_sound.mkv": lambda p: ffmpeg(*lavfi("testsrc2=s=160x90:d=1:r=25"), *lavfi("sine=d=1"), *x264(),
                                      "-c:a", "wavpack", str(p)),
    "two_sounds.mkv": lambda p: ffmpeg(*lavfi("testsrc2=s=160x90:d=1:r=25"), *lavfi("sine=d=1"), "-map", "0",
                                       "-map", "1", "-map", "1", *x264(), "-c:a:0", "wavpack", "-c:a:1", "aac",
                                       str(p)),
    "zero.mp4": lambda p: p.write_bytes(b""),
    "picture.mp4": lambda p: ffmpeg(*lavfi("testsrc2=s=64x64"), "-frames:v", "1", "-update", "1", "-f",
                                    "image2", "-c:v", "png", str(p)),
    "animation.mp4": lambda p: ffmpeg(*lavfi("testsrc2=s=64x64:d=0.4:r=10"), "-f", "gif", str(p)),
    "png_frames.mkv": lambda p: ffmpeg(*lavfi("testsrc2=s=64x64:d=0.4:r=10"), "-c:v", "png", str(p)),
    "h261.avi": lambda p: ffmpeg(*lavfi("testsrc2=s=176x144:d=0.4:r=10"), "-c:v", "h261", str(p)),
    "raw_stream.mp4": lambda p: ffmpeg(*lavfi("testsrc2=s=64x64:d=0.4:r=10"), *x264(), "-f", "h264", str(p)),
    "song.mp4": lambda p: ffmpeg(*lavfi("sine=d=1"), "-c:a", "libmp3lame", "-f", "mp3", str(p)),
    "notes.mp4": lambda p: p.write_text("我的作品说明\nhttps://example.com/video\n", encoding="utf-8"),
}


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """``clip(name)``: path of the synthetic input ``name`` of :data:`RECIPES`, made on first use."""
    folder, made = tmp_path_factory.mktemp("inputs"), {}

    def get(name: str) -> Path:
        if name not in made:
            RECIPES[name](folder / name)
            made[name] = folder / name
        return made[name]

    return get


@pytest.fixture
def render(en, tmp_path):
    """``render(src)``: probe ``src``, make its rendition; returns (facts of src, rendition path)."""

    def make(src: Path) -> tuple[media.MediaInfo, Path]:
        info = media.probe(src, timeout=30)
        out = tmp_path / f"{src.stem}.rendition.mp4"
        renditions.transcode(src, out, info)
        renditions.verify_rendition(out, info)
        return info, out

    return make


def streams(path: Path) -> tuple[dict, list[dict], dict]:
    """(video stream, other streams, format) of ``path`` from ffprobe, the video asserted browser-ready."""
    data = ffprobe(path)
    [video] = [s for s in data["streams"] if s["codec_type"] == "video"]
    assert (video["codec_name"], video["profile"], video["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert video.get("color_range") != "pc" and video.get("sample_aspect_ratio", "1:1") in ("1:1", "0:1")
    assert not any("rotation" in sd for sd in video.get("side_data_list", []))
    boxes = renditions.top_level_boxes(path)
    assert boxes[:2] == ["ftyp", "moov"] and "mdat" in boxes and "moof" not in boxes
    return video, [s for s in data["streams"] if s is not video], data["format"]


def luma(path: Path, crop: str = "iw:ih:0:0") -> dict[str, float]:
    """YMIN / YAVG / YMAX (raw 8-bit code values) of the first frame of ``path`` inside ``crop``."""
    out = subprocess.run(["ffprobe", "-v", "error", "-f", "lavfi", "-i",
                          f"movie={path},crop={crop},signalstats", "-read_intervals", "%+#1", "-show_entries",
                          "frame_tags=lavfi.signalstats.YMIN,lavfi.signalstats.YAVG,lavfi.signalstats.YMAX",
                          "-of", "json"], check=True, capture_output=True, timeout=60).stdout
    tags = json.loads(out)["frames"][0]["tags"]
    return {key.rsplit(".", 1)[1]: float(value) for key, value in tags.items()}


# --- every sample: its verdict at the probe (renditions: test_media_jobs.py) ------------------------------

SAMPLES = {
    "plain_h264_aac_1280x720_25fps.mp4": ("mov", "aac"),
    "portrait_h264_1080x1920_30fps.mp4": ("mov", "aac"),
    "iphone15promax_hevc10_hlg_rot-90_mebx.mov": ("mov", "aac"),
    "vfr_h264_3026x1386_noaudio.mp4": ("mov", None),
    "webm_vp9_opus_320x180.webm": ("matroska", "opus"),
    "webm_vp9_alpha_1440x1080_noaudio.webm": ("matroska", None),
    "mpegts_h264_720p60_aac.ts": ("mpegts", "aac"),
    "hevc_hev1_fullrange_1080p30_aac.mp4": ("mov", "aac"),
    "anamorphic_sar2x1_640x360_noaudio.mp4": ("mov", None),
    "legacy_avi_mpeg4asp_mp3_320x240.avi": ("avi", "mp3"),
    "fragmented_h264_aac5.1.mp4": ("mov", "aac"),
    "h264_aac_with_tx3g_subtitle.mp4": ("mov", "aac"),
    "corrupt_partial_annexb_h264.mp4": ("mov", None),  # probes; refused later as incomplete (test_media.py)
    "fake_text_renamed.webm": NOT_READABLE,
    "audio_only_eac3_5.1.mp4": AUDIO_ONLY,
}


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_gets_its_verdict_from_its_content(en, name, tmp_path):
    expected = SAMPLES[name]
    renamed = tmp_path / "upload.mp4"  # a misleading name changes nothing
    renamed.symlink_to(sample(name))
    if isinstance(expected, str):
        with pytest.raises(MediaRejected) as refused:
            media.probe(renamed, timeout=30)
        assert refused.value.reasons == [expected]
    else:
        info = media.probe(renamed, timeout=30)
        assert (info.demuxer, info.audio_codec) == expected


def test_sample_facts_used_by_the_renditions(en):
    hevc = media.probe(sample("hevc_hev1_fullrange_1080p30_aac.mp4"), timeout=30)
    assert hevc.full_range and not hevc.interlaced
    iphone = media.probe(sample("iphone15promax_hevc10_hlg_rot-90_mebx.mov"), timeout=30)
    assert (iphone.stream_count, iphone.is_hdr, iphone.full_range) == (7, True, False)
    vfr = media.probe(sample("vfr_h264_3026x1386_noaudio.mp4"), timeout=30)
    assert vfr.last_frame_s == pytest.approx(1.57, abs=0.01)  # the held last frame of the recording
    assert media.probe(sample("plain_h264_aac_1280x720_25fps.mp4"), timeout=30).last_frame_s == 0.04


def test_sound_in_an_unknown_codec_is_ignored_and_a_known_one_after_it_is_used(en, clip):
    odd = media.probe(clip("odd_sound.mkv"), timeout=30)
    assert (odd.audio_codec, odd.ignored_audio) == (None, "wavpack")  # the rendition will be silent
    two = media.probe(clip("two_sounds.mkv"), timeout=30)
    assert (two.audio_codec, two.audio_stream, two.ignored_audio) == ("aac", 1, None)


@pytest.mark.slow
def test_the_chosen_sound_is_the_one_converted(render, clip):
    _info, out = render(clip("two_sounds.mkv"))
    _video, others, _format = streams(out)
    assert [(s["codec_name"], s["channels"]) for s in others] == [("aac", 2)]


# --- refused inputs -----------------------------------------------------------------------------------------

REFUSED = {
    "zero.mp4": NOT_READABLE,
    "notes.mp4": NOT_READABLE,
    "picture.mp4": "This is a picture (PNG), not a video.",
    "animation.mp4": "This is a picture (GIF), not a video.",
    "png_frames.mkv": "This is a picture (PNG), not a video.",
    "song.mp4": AUDIO_ONLY,
    "h261.avi": "The video is encoded as h261, which we cannot convert. Please export it as H.264 (MP4) and "
                "upload it again.",
    "raw_stream.mp4": "This file type is not accepted. Please upload a video file (MP4, MOV, MKV, WebM, AVI, "
                      "FLV, WMV, MPG, 3GP, MPEG-TS (.ts, .mts, .m2ts)).",
    "too_wide.mp4": "The picture is 9000×16 pixels (0.1 megapixels); the largest accepted is 35.4 megapixels "
                    "and 8192 pixels on a side.",
    "many_streams.mkv": "The file has 41 streams; at most 32 are accepted.",
}


@pytest.mark.parametrize("name", REFUSED)
def test_refused_input_gets_a_clear_message(en, clip, name, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with pytest.raises(MediaRejected) as refused:
        media.probe(clip(name), timeout=30)
    assert refused.value.reasons == [REFUSED[name]]
    assert list(scratch.iterdir()) == []  # the probe's extension-free link is gone


def test_refusals_are_translated(app, clip):
    with app.test_request_context(headers={"Cookie": "lang=zh"}):
        with pytest.raises(MediaRejected) as refused:
            media.probe(clip("picture.mp4"), timeout=30)
    assert refused.value.reasons == ["这是一张图片（PNG），不是视频。"]


def test_picture_limit_is_configurable(en, app, clip):
    app.config["MEDIA_MAX_PIXELS"] = 320 * 180 - 1
    with pytest.raises(MediaRejected, match=r"^The picture is 320×180 pixels \(0.1 megapixels\)"):
        media.probe(clip("rot90.mp4"), timeout=30)


@pytest.mark.slow
def test_8k_is_accepted_and_scaled_down(render, clip):
    info, out = render(clip("8k.mp4"))
    assert (info.width, info.height) == (7680, 4320)
    video, _others, _format = streams(out)
    assert (video["width"], video["height"]) == (426, 240)


# --- playlists and lists of files: refused before anything is opened --------------------------------------

@pytest.fixture
def listener():
    """A TCP socket on 127.0.0.1 that records every connection made to it: (port, connections list)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    connections, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _addr = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    connections.append(conn.recv(4096))
                except OSError:
                    connections.append(b"")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], connections
    stop.set()
    thread.join(timeout=5)
    server.close()


def playlists(folder: Path, port: int, secret: Path) -> dict[str, str]:
    return {
        "hls.mp4": "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
                   f"#EXTINF:2.0,\nhttp://127.0.0.1:{port}/segment0.ts\n#EXT-X-ENDLIST\n",
        "ffconcat.mp4": f"ffconcat version 1.0\nfile '{secret.name}'\n",
        "concat_list.mp4": f"file '{secret.name}'\nfile 'http://127.0.0.1:{port}/more.mp4'\n",
        "stream.mp4": f"v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\n"
                      f"m=video {port} RTP/AVP 96\na=rtpmap:96 H264/90000\n",
    }


def test_playlists_and_file_lists_are_refused_and_touch_nothing(app, client, db, login, make_user,
                                                               make_contest, make_entry, listener, tmp_path):
    port, connections = listener
    secret = tmp_path / "secret.mp4"  # a real video beside the lists: a concat list would splice it in
    secret.write_bytes(sample("plain_h264_aac_1280x720_25fps.mp4").read_bytes())
    lists = playlists(tmp_path, port, secret)
    for name, text in lists.items():
        (tmp_path / name).write_text(text)
    # Control: ffmpeg's own demuxers follow these lists when nothing stops them.
    (tmp_path / "control.m3u8").write_text(lists["hls.mp4"])
    subprocess.run(["ffprobe", "-v", "quiet", "-protocol_whitelist", "file,http,tcp",
                    str(tmp_path / "control.m3u8")], timeout=30)
    naive = subprocess.run(["ffprobe", "-v", "error", "-f", "concat", "-show_entries", "stream=codec_name",
                            "-of", "csv=p=0", str(tmp_path / "ffconcat.mp4")], capture_output=True, text=True,
                           timeout=30)
    assert naive.stdout.split() == ["h264", "aac"]  # the secret's streams: it was opened
    deadline = 50
    while not connections and deadline:
        threading.Event().wait(0.1)
        deadline -= 1
    assert connections and connections[0].startswith(b"GET /segment0.ts")
    connections.clear()

    client.set_cookie("lang", "en")
    entry = make_entry(contest=make_contest(), creator=login(make_user(Role.CREATOR)))
    for name in lists:
        with open(tmp_path / name, "rb") as stream:
            response = client.post(f"/my/entries/{entry.id}/video", data={"video": (stream, name)},
                                   content_type="multipart/form-data", headers={"Accept": "application/json"})
        assert response.status_code == 422 and response.get_json()["errors"] == [PLAYLIST], name
    threading.Event().wait(0.5)
    assert connections == []
    assert stored_keys(app) == [] and db.session.scalar(select(func.count(Video.id))) == 0


# --- renditions of synthetic inputs -------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("degrees, white_side", [(90, "left"), (270, "right")])
def test_rotation_is_baked_into_an_upright_picture(render, clip, degrees, white_side):
    """ffprobe reports the display matrix counter-clockwise: at 90 the coded top (white) shows on the left."""
    info, out = render(clip(f"rot{degrees}.mp4"))
    assert info.rotation == (90 if degrees == 90 else -90)
    video, _others, _format = streams(out)
    assert (video["width"], video["height"]) == (180, 320)
    left, right = luma(out, "iw/2:ih:0:0")["YAVG"], luma(out, "iw/2:ih:iw/2:0")["YAVG"]
    assert (left > 200 and right < 30) if white_side == "left" else (right > 200 and left < 30)


@pytest.mark.slow
def test_pq_hdr_hevc_10_bit_is_tone_mapped_to_8_bit_bt709(render, clip):
    info, out = render(clip("pq_hevc10.mp4"))
    assert info.is_hdr and info.pix_fmt == "yuv420p10le"
    video, _others, _format = streams(out)
    assert (video["color_transfer"], video["color_primaries"], video["color_space"]) == ("bt709",) * 3
    assert 40 < luma(out)["YAVG"] < 200  # a picture, not a black or blown-out frame


@pytest.mark.slow
@pytest.mark.parametrize("name", ["full_range.mp4", "full_range_vp9.webm"])
def test_full_range_levels_become_tv_range(render, clip, name):
    source = luma(clip(name))
    assert (source["YMIN"], source["YMAX"]) == (0, 255)
    info, out = render(clip(name))
    assert info.full_range
    video, _others, _format = streams(out)
    assert video.get("color_range", "unknown") in ("tv", "unknown")  # H.264 without the flag: limited range
    levels = luma(out)
    assert 14 <= levels["YMIN"] <= 18 and 233 <= levels["YMAX"] <= 237  # black 16, white 235


@pytest.mark.slow
def test_variable_frame_rate_keeps_its_frames_and_its_length(render):
    """63 frames over 8.73 s, the last shown 1.57 s: no frame is duplicated to a constant rate, and the held
    last frame is repeated once so that the rendition lasts as long (within one frame)."""
    info, out = render(sample("vfr_h264_3026x1386_noaudio.mp4"))
    video, _others, fmt = streams(out)
    assert int(video["nb_frames"]) <= 64
    assert float(fmt["duration"]) == pytest.approx(info.duration_s, abs=0.2)


@pytest.mark.slow
@pytest.mark.parametrize("app_overrides", [{**SMALL, "RENDITION_MAX_FPS": 30}])
def test_frame_rate_cap_comes_from_the_config(render, clip):
    _info, out = render(clip("fps60.mp4"))
    video, _others, fmt = streams(out)
    assert Fraction(video["avg_frame_rate"]) == 30 and float(fmt["duration"]) == pytest.approx(1.0, abs=0.05)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["moov_last.mp4", "mediarecorder.webm", "interlaced.mp4",
                                  "noise_middle.mp4"])
def test_awkward_but_valid_inputs_become_full_length_renditions(render, clip, name):
    info, out = render(clip(name))
    assert info.duration_s == pytest.approx(2 if name in ("mediarecorder.webm", "noise_middle.mp4") else 1,
                                            abs=0.1)
    video, others, fmt = streams(out)
    assert float(fmt["duration"]) == pytest.approx(info.duration_s, abs=0.15)
    assert video.get("field_order", "progressive") == "progressive"
    assert [s["codec_name"] for s in others] == (["aac"] if info.audio_codec else [])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["extras.mov", "extras.mkv"])
def test_only_picture_and_sound_are_kept_without_metadata(render, clip, name):
    source = ffprobe(clip(name))
    assert len(source["streams"]) >= 4 and "title" in source["format"]["tags"]
    _info, out = render(clip(name))
    video, others, fmt = streams(out)
    assert [s["codec_type"] for s in others] == ["audio"]
    tags = set(fmt.get("tags", {})).union(video.get("tags", {}), others[0].get("tags", {}))
    assert tags <= {"major_brand", "minor_version", "compatible_brands", "encoder", "handler_name",
                    "vendor_id", "language"}
    raw = out.read_bytes()
    assert "秘密".encode() not in raw and b"+39.9042" not in raw and b"iPhone" not in raw


# --- preview ------------------------------------------------------------------------------------------------

def test_preview_bitrates_fit_the_cap(en):
    assert renditions.preview_bitrates(10, 5 * 2**20, has_audio=True) == (1_200_000, 64_000, 160)
    video, audio, short = renditions.preview_bitrates(300, 5 * 2**20, has_audio=True)
    assert (audio, short) == (32_000, 160) and (video + audio) * 300 / 8 <= 0.85 * 5 * 2**20
    with pytest.raises(MediaProcessingError, match="too long for a preview"):
        renditions.preview_bitrates(3600, 5 * 2**20, has_audio=True)


@pytest.mark.slow
@pytest.mark.parametrize("app_overrides", [{**SMALL, "PREVIEW_MAX_BYTES": 120_000}])
def test_preview_stays_under_its_cap(en, tmp_path):
    src = sample("plain_h264_aac_1280x720_25fps.mp4")
    info = media.probe(src, timeout=30)
    out = tmp_path / "preview.mp4"
    facts = renditions.make_preview(src, out, info)
    video, others, fmt = streams(out)
    assert facts.bytes == out.stat().st_size <= 120_000
    assert (video["width"], video["height"]) == (284, 160)
    assert float(fmt["duration"]) == pytest.approx(5.312, abs=0.1)
    assert [(s["codec_name"], s["sample_rate"], s["channels"]) for s in others] == [("aac", "48000", 2)]


@pytest.mark.slow
@pytest.mark.parametrize("app_overrides", [{**SMALL, "PREVIEW_MAX_BYTES": 60_000}])
def test_preview_over_its_cap_is_made_again_smaller(en, tmp_path, monkeypatch):
    monkeypatch.setattr(renditions, "preview_bitrates", lambda *a, **kw: (400_000, 32_000, 160))  # too high
    runs = []
    real = renditions._encode
    monkeypatch.setattr(renditions, "_encode",
                        lambda *a, **kw: runs.append(kw["options"]["b:v"]) or real(*a, **kw))
    src = sample("webm_vp9_opus_320x180.webm")
    facts = renditions.make_preview(src, tmp_path / "preview.mp4", media.probe(src, timeout=30))
    assert len(runs) == 2 and runs[1] < runs[0]
    assert facts.bytes <= 60_000


@pytest.mark.slow
def test_a_preview_that_fails_its_checks_leaves_no_file(en, tmp_path):
    src = sample("corrupt_partial_annexb_h264.mp4")  # ffmpeg exits 0 with half a second of 35 s
    out = tmp_path / "preview.mp4"
    with pytest.raises(MediaProcessingError, match=r"^Only 0.5\d? s of the video's 35.2 s"):
        renditions.make_preview(src, out, media.probe(src, timeout=30))
    assert not out.exists()


# --- poster -------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_poster_skips_a_black_opening(en, clip, tmp_path):
    src, out = clip("dark_start.mp4"), tmp_path / "posters"
    out.mkdir()
    info = media.probe(src, timeout=30)
    renditions.make_poster(src, out / "poster.jpg", info)
    assert renditions.mean_luma(out / "poster.jpg") > 60
    assert [p.name for p in out.iterdir()] == ["poster.jpg"]  # the other tries are gone
    renditions.make_poster_at(src, out / "chosen.jpg", info, 0.5)  # the creator picks a dark moment
    assert renditions.mean_luma(out / "chosen.jpg") < 5
    renditions.make_poster_at(src, out / "late.jpg", info, 99)  # past the end: the last second
    assert renditions.mean_luma(out / "late.jpg") > 60


# --- how the tools run --------------------------------------------------------------------------------------

@pytest.fixture
def started(monkeypatch):
    """Every process started through media's runners (Popen objects)."""
    procs = []

    class Recording(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            procs.append(self)

    monkeypatch.setattr(tools.subprocess, "Popen", Recording)
    return procs


@pytest.mark.slow
def test_every_run_reads_local_files_only_with_the_probed_demuxer(en, app, started, tmp_path):
    src = sample("webm_vp9_opus_320x180.webm")
    info = media.probe(src, timeout=30)
    renditions.make_poster(src, tmp_path / "poster.jpg", info)
    progress = []
    renditions.transcode(src, tmp_path / "out.mp4", info, on_progress=progress.append)
    on_src = [p.args for p in started if str(src) in p.args or any("input" == Path(a).name for a in p.args)]
    assert len(on_src) >= 4  # 2 probes, poster, rendition
    for args in on_src:
        i = args.index("-protocol_whitelist")
        assert args[i + 1] == "file" and "-safe" not in args
        if Path(args[0]).name == "ffmpeg":
            assert args[args.index("-f") + 1] == "matroska" and args.index("-f") < args.index("-i")
            assert args[args.index("-threads") + 1] == str(app.config["FFMPEG_THREADS"])
            assert args[args.index("-max_pixels") + 1] == str(app.config["MEDIA_MAX_PIXELS"])
    assert progress[-1] == 1.0 and progress == sorted(progress)


def test_tools_run_at_the_configured_niceness(en):
    done = tools.run_tool(["sh", "-c", "nice"], timeout=10, nice=10)
    assert int(done.stdout) >= 10


def test_streaming_runner_reads_lines_and_kills_its_group_on_timeout(en, started):
    lines = []
    done = tools.run_tool_streaming(["sh", "-c", "echo a; echo b >&2; echo c"], timeout=10,
                                    on_line=lines.append)
    assert (lines, done.stderr, done.returncode) == (["a", "c"], b"b\n", 0)
    with pytest.raises(MediaTimeout, match="took longer than the limit of 0.5 s"):
        tools.run_tool_streaming(["sh", "-c", "sleep 30 & echo started; sleep 30"], timeout=0.5,
                                 on_line=lines.append)
    assert live_group_members(started[-1].pid) == []


def test_streaming_runner_stops_the_tool_when_the_callback_raises(en, started):
    def cancel(line):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        tools.run_tool_streaming(["sh", "-c", "echo go; sleep 30"], timeout=30, on_line=cancel)
    assert started[-1].returncode is not None and live_group_members(started[-1].pid) == []
