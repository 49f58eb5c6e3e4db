"""contest.services.media.renditions: sizes, MP4 box order and the checks a rendition must pass (real files)."""
import pytest

from contest.services.media import probe as media

from contest.services.media import renditions
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
