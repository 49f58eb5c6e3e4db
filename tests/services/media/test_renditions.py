"""contest.services.media.renditions: sizes, MP4 box order and the checks a rendition must pass (real files)."""
from pathlib import Path

import pytest

from contest.services.media import probe as media

from contest.services.media import fingerprint, renditions, tools
from contest.services.media.errors import MediaProcessingError
from tests.conftest import media as sample
from tests.services.media.test_probe import en, ffprobe, synth  # noqa: F401  (en is a fixture)


# --- sizes and boxes ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("size, short, expected", [
    ((1920, 1080), 1080, (1920, 1080)), ((1080, 1920), 720, (720, 1280)), ((641, 359), 1080, (640, 358)),
    ((3026, 1386), 1080, (2358, 1080)), ((3840, 2160), 1080, (1920, 1080)),
])
def test_fit_size_caps_the_short_side_and_keeps_sizes_even(size, short, expected):
    assert renditions.fit_size(*size, short) == expected


def test_top_level_boxes_read_in_file_order():
    boxes = renditions.top_level_boxes
    assert boxes(sample("corrupt_partial_annexb_h264.mp4")) == ["ftyp", "free", "mdat", "moov"]
    assert boxes(sample("portrait_h264_1080x1920_30fps.mp4")) == ["ftyp", "free", "moov", "mdat"]
    assert not renditions.is_faststart(sample("hevc_hev1_fullrange_1080p30_aac.mp4"))
    assert renditions.is_faststart(sample("portrait_h264_1080x1920_30fps.mp4"))


# --- rendition checks ---------------------------------------------------------------------------------------

@pytest.mark.slow
def test_verify_refuses_a_rendition_that_is_much_shorter_than_the_original(en, tmp_path):
    src = sample("corrupt_partial_annexb_h264.mp4")
    info = media.probe(src, timeout=30)
    out = tmp_path / "out.mp4"
    renditions.transcode(src, out, info)
    with pytest.raises(MediaProcessingError, match=r"Only 0.5\d? s of the video's 35.2 s could be"):
        renditions.verify_rendition(out, info)


def test_verify_refuses_moov_after_mdat(en, tmp_path):
    src = synth(tmp_path / "src.mp4", seconds=1, extra=["-profile:v", "high", "-pix_fmt", "yuv420p"])
    info = media.probe(src, timeout=30)
    with pytest.raises(MediaProcessingError, match="moov is not before mdat"):
        renditions.verify_rendition(src, info)


@pytest.mark.slow
def test_hdr_without_tonemap_filters_is_still_8_bit_and_tagged_bt709(en, app, tmp_path, monkeypatch):
    app.config["RENDITION_SHORT_SIDE"] = 360
    monkeypatch.setattr(renditions, "can_tonemap", lambda: False)
    src = sample("iphone15promax_hevc10_hlg_rot-90_mebx.mov")
    info = media.probe(src, timeout=30)
    out = tmp_path / "out.mp4"
    renditions.transcode(src, out, info)
    facts = renditions.verify_rendition(out, info)
    video = ffprobe(out)["streams"][0]
    assert (facts.width, facts.height, video["pix_fmt"], video["profile"]) == (360, 640, "yuv420p", "High")
    assert (video["color_transfer"], video["color_primaries"]) == ("bt709", "bt709")


# --- the one run: rendition, preview and fingerprint frames -------------------------------------------------

def video_bit_rate(path) -> int:
    [picture] = [s for s in ffprobe(path)["streams"] if s["codec_type"] == "video"]
    return int(picture["bit_rate"])


@pytest.mark.slow
def test_one_ffmpeg_run_decodes_the_original_once_for_rendition_preview_and_fingerprint(en, tmp_path,
                                                                                         monkeypatch):
    started, start = [], tools.start
    monkeypatch.setattr(tools, "start", lambda args, **kw: started.append(args) or start(args, **kw))
    src = sample("plain_h264_aac_1280x720_25fps.mp4")
    info = media.probe(src, timeout=30)
    plan = renditions.plan_preview(tmp_path / "preview.mp4", info)
    started.clear()
    renditions.transcode(src, tmp_path / "rendition.mp4", info, preview=plan, frames=tmp_path / "frames.grey")

    [args] = started
    assert args.count("-i") == 1 and args[args.index("-i") + 1] == str(src)
    assert [a for a in args if a.endswith(("rendition.mp4", "preview.mp4", "frames.grey"))] == [
        str(tmp_path / "rendition.mp4"), str(tmp_path / "preview.mp4"), str(tmp_path / "frames.grey")]
    full = renditions.verify_rendition(tmp_path / "rendition.mp4", info)
    small = renditions.check_preview(plan, info, rendition_bytes=full.bytes)
    assert (full.width, full.height, small.width, small.height) == (1280, 720, 854, 480)
    assert small.duration_s == pytest.approx(full.duration_s, abs=0.1)
    assert small.bytes < full.bytes
    assert video_bit_rate(plan.path) < video_bit_rate(tmp_path / "rendition.mp4")
    hashed = fingerprint.of_frames((tmp_path / "frames.grey").read_bytes())
    assert len(hashed) == fingerprint.FRAMES * 16
    assert (tmp_path / "frames.grey").stat().st_size == fingerprint.FRAMES * fingerprint.SIDE ** 2
    # the same pictures as the fingerprint of the encoded preview, as the job took it before
    encoded = fingerprint.fingerprint(plan.path, duration_s=small.duration_s)
    assert fingerprint.distance(hashed, encoded) <= 2.0


@pytest.mark.slow
def test_a_preview_larger_than_the_rendition_fails_its_check_and_is_removed(en, tmp_path, monkeypatch):
    monkeypatch.setattr(renditions, "PREVIEW_CRF", 8)  # far better than the rendition's CRF 23
    src = sample("webm_vp9_opus_320x180.webm")  # smaller than a preview: both copies are 320×180
    info = media.probe(src, timeout=30)
    plan = renditions.plan_preview(tmp_path / "preview.mp4", info)
    renditions.transcode(src, tmp_path / "rendition.mp4", info, preview=plan)
    full = renditions.verify_rendition(tmp_path / "rendition.mp4", info)
    size = plan.path.stat().st_size
    assert full.bytes < size <= plan.max_bytes
    with pytest.raises(MediaProcessingError, match=r"it is .*, over the limit of"):
        renditions.check_preview(plan, info, rendition_bytes=full.bytes)
    assert not plan.path.exists()


def test_the_preview_is_never_planned_larger_than_the_rendition(en, app):
    app.config.update(RENDITION_SHORT_SIDE=360, PREVIEW_SHORT_SIDE=480)
    info = media.probe(sample("plain_h264_aac_1280x720_25fps.mp4"), timeout=30)
    plan = renditions.plan_preview(Path("preview.mp4"), info)
    assert (plan.short_side, plan.video_bps, plan.audio_bps, plan.max_bytes) == (
        360, 1_200_000, 64_000, app.config["PREVIEW_MAX_BYTES"])
    assert renditions.plan_preview(Path("p.mp4"), info, max_bytes=300_000).video_bps == int(
        300_000 * 8 * renditions.PREVIEW_TARGET_SHARE / info.duration_s - 32_000)
