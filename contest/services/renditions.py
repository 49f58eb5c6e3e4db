"""Renditions: the poster and the web rendition made from an accepted original (ffmpeg), and their checks.

A rendition is the copy of an entry that the site plays, one MP4 that every browser can play: H.264 High
8-bit yuv420p (tv range) video and, when the original has sound, its first audio stream as AAC 48 kHz
stereo; ``+faststart`` (``moov`` before ``mdat``: playback starts before the download ends); short side
capped at ``RENDITION_SHORT_SIDE`` px (never upscaled), even dimensions, square pixels, rotation baked into
the picture (no display matrix left), at most :data:`MAX_FPS` fps, HDR tone-mapped to BT.709 (only
re-tagged when this ffmpeg lacks ``zscale``/``tonemap``); no subtitles, data or metadata. The poster is one
JPEG frame under the same picture rules, short side at most :data:`POSTER_SHORT_SIDE` px.

Originals are probed by :mod:`contest.services.media`, whose :func:`~contest.services.media.run_tool` also
runs ffmpeg here (own process group, killed whole after ``FFMPEG_TIMEOUT`` seconds); ``FFMPEG_BINARY``,
at most ``FFMPEG_THREADS`` threads, preset ``FFMPEG_PRESET``.
"""
from __future__ import annotations

import errno
import logging
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ffmpeg
from flask import current_app
from flask_babel import gettext as _

from contest.services.media import (
    MIN_DURATION_SHARE,
    MediaInfo,
    MediaProcessingError,
    MediaTimeout,
    _ffprobe,
    _fps,
    _number,
    _rotation,
    _tail,
    format_duration,
    run_tool,
)

log = logging.getLogger(__name__)

#: Highest frame rate of a rendition; faster sources are converted to this rate.
MAX_FPS = 60
#: Short side of the poster, pixels (never upscaled).
POSTER_SHORT_SIDE = 720


@dataclass(frozen=True)
class RenditionFacts:
    """Facts of a verified web rendition: pixels, seconds, bytes."""

    width: int
    height: int
    duration_s: float
    video_codec: str
    profile: str
    pix_fmt: str
    audio_codec: str | None
    fps: float | None
    bytes: int


# --- running ffmpeg ----------------------------------------------------------------------------------------

def _run_ffmpeg(node, *, timeout: float) -> str:
    """Run an ffmpeg-python output node with the house global options; returns stderr's tail.

    Raises :class:`MediaProcessingError` when ffmpeg fails, but ``OSError`` when the disk is full (so that the
    job is retried instead of blaming the file)."""
    cfg = current_app.config
    args = node.compile(cmd=cfg["FFMPEG_BINARY"])
    threads = str(cfg["FFMPEG_THREADS"])
    args[1:1] = ["-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-y",
                 "-filter_complex_threads", threads]
    done = run_tool(args, timeout=timeout)
    stderr = _tail(done.stderr)
    if done.returncode != 0 and "No space left on device" in stderr:  # the server's fault, not the file's
        raise OSError(errno.ENOSPC, "ffmpeg: no space left on device", args[-1])
    if done.returncode != 0:
        raise MediaProcessingError(_("The video could not be converted; the file may be damaged."),
                                   detail=stderr)
    if stderr:
        log.info("ffmpeg reported for %s:\n%s", args[-1], stderr)
    return stderr


@lru_cache(maxsize=4)
def _ffmpeg_filters(binary: str) -> frozenset[str]:
    done = run_tool([binary, "-hide_banner", "-nostdin", "-filters"], timeout=30)
    return frozenset(parts[1] for line in done.stdout.decode("utf-8", "replace").splitlines()
                     if len(parts := line.split()) >= 3)


def can_tonemap() -> bool:
    """True when this ffmpeg has ``zscale`` and ``tonemap`` (HDR → BT.709 tone mapping)."""
    return {"zscale", "tonemap"} <= _ffmpeg_filters(current_app.config["FFMPEG_BINARY"])


# --- poster and rendition ----------------------------------------------------------------------------------

def fit_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    """(width, height) scaled so the short side is at most ``short_side`` (never upscaled), both even."""
    short = min(width, height)
    if short <= short_side:
        return max(2, width // 2 * 2), max(2, height // 2 * 2)
    scale = short_side / short
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _picture(stream, info: MediaInfo, *, short_side: int, full_range: bool):
    """Filter chain: frame rate cap, square pixels at the target size (rotation is applied by ffmpeg's
    autorotate before it), HDR tone-mapped to BT.709 when possible, 8-bit 4:2:0."""
    width, height = fit_size(info.display_width, info.display_height, short_side)
    rate = info.nominal_rate if info.nominal_rate and info.nominal_rate <= MAX_FPS else MAX_FPS
    stream = stream.filter("fps", fps=str(rate))
    rng = "pc" if full_range else "tv"
    if info.is_hdr and can_tonemap():
        stream = (stream.filter("scale", width, height)
                  .filter("zscale", t="linear", npl=100).filter("format", "gbrpf32le")
                  .filter("zscale", p="bt709").filter("tonemap", tonemap="hable", desat=0)
                  .filter("zscale", t="bt709", m="bt709", r=rng))
    else:
        stream = stream.filter("scale", width, height, out_range=rng)
    return stream.filter("format", "yuvj420p" if full_range else "yuv420p").filter("setsar", 1)


def make_poster(src: Path, dst: Path, info: MediaInfo) -> None:
    """Write a JPEG poster of ``src`` to ``dst``: the most representative of ~1 s of frames from 10 % into
    the video (at most 10 s in), upright, square pixels, short side ≤ :data:`POSTER_SHORT_SIDE` px. Falls
    back to the start when nothing can be decoded there.

    Raises :class:`MediaProcessingError` / :class:`MediaTimeout`.
    """
    cfg = current_app.config
    seek = min(info.duration_s * 0.1, 10.0)
    for at in dict.fromkeys((round(seek, 3), 0.0)):
        source = ffmpeg.input(str(Path(src).absolute()), ss=at, threads=cfg["FFMPEG_THREADS"])
        picture = _picture(source[f"v:{info.video_stream}"], info, short_side=POSTER_SHORT_SIDE,
                           full_range=True)
        node = ffmpeg.output(picture.filter("thumbnail", 30), str(dst), **{
            "frames:v": 1, "q:v": 3, "update": 1, "an": None, "sn": None, "dn": None, "map_metadata": -1})
        _run_ffmpeg(node, timeout=cfg["FFMPEG_TIMEOUT"])
        if dst.exists() and dst.stat().st_size > 0:
            return
    raise MediaProcessingError(_("No picture could be decoded from the video; the file may be damaged."))


def transcode(src: Path, dst: Path, info: MediaInfo) -> str:
    """Write the web rendition of ``src`` to ``dst`` (MP4) and return ffmpeg's stderr tail.

    H.264 High 8-bit yuv420p (tv range), CRF 23, preset ``FFMPEG_PRESET``; short side at most
    ``RENDITION_SHORT_SIDE`` px (never upscaled), even dimensions, square pixels, rotation applied (no display
    matrix left), at most :data:`MAX_FPS` fps (the ``fps`` filter keeps variable-frame-rate timing, long last
    frame included), HDR tone-mapped to BT.709 (or at least re-tagged); first audio stream as AAC 48 kHz
    stereo if there is one; no subtitles, data or metadata; ``+faststart``.

    Raises :class:`MediaProcessingError` / :class:`MediaTimeout`.
    """
    cfg = current_app.config
    source = ffmpeg.input(str(Path(src).absolute()), threads=cfg["FFMPEG_THREADS"])
    picture = _picture(source[f"v:{info.video_stream}"], info, short_side=cfg["RENDITION_SHORT_SIDE"],
                       full_range=False)
    streams, options = [picture], {
        "c:v": "libx264", "profile:v": "high", "pix_fmt": "yuv420p", "crf": 23,
        "preset": cfg["FFMPEG_PRESET"], "threads": cfg["FFMPEG_THREADS"], "movflags": "+faststart",
        "map_metadata": -1, "map_chapters": -1, "sn": None, "dn": None, "color_range": "tv",
    }
    if info.is_hdr and not can_tonemap():
        options.update(color_primaries="bt709", color_trc="bt709", colorspace="bt709")
    if info.audio_codec:
        streams.append(source["a:0"])
        options.update({"c:a": "aac", "ar": 48000, "ac": 2, "b:a": "128k"})
    return _run_ffmpeg(ffmpeg.output(*streams, str(dst), **options), timeout=cfg["FFMPEG_TIMEOUT"])


def verify_rendition(path: Path, info: MediaInfo) -> RenditionFacts:
    """Probe the rendition at ``path`` made from an original with facts ``info`` and return its facts.

    Raises :class:`MediaProcessingError` unless: H.264 High yuv420p video with even dimensions and no
    rotation, AAC audio exactly when the original has audio, ``moov`` before ``mdat`` (faststart), and at
    least :data:`MIN_DURATION_SHARE` of the original's duration (catches files that end early although ffmpeg
    exits 0).
    """
    try:
        data = _ffprobe(path, "-show_format", "-show_streams", timeout=current_app.config["PROBE_TIMEOUT"])
    except MediaTimeout:
        raise
    except MediaProcessingError as exc:
        raise MediaProcessingError(_("The converted video cannot be read."), detail=exc.detail) from None
    streams = data.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"), {})
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    duration = _number(data.get("format", {}).get("duration")) or 0.0
    if duration < MIN_DURATION_SHARE * info.duration_s:
        raise MediaProcessingError(_(
            "Only %(converted)s of the video's %(duration)s could be converted; the file is probably "
            "incomplete or damaged.",
            converted=format_duration(duration), duration=format_duration(info.duration_s)))
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    problems = [text for failed, text in (
        (video.get("codec_name") != "h264" or video.get("profile") != "High", _("video is not H.264 High")),
        (video.get("pix_fmt") != "yuv420p", _("pixel format is not yuv420p")),
        (width % 2 or height % 2 or not width, _("dimensions are not even")),
        (_rotation(video) != 0, _("a rotation flag is left")),
        (bool(info.audio_codec) != bool(audio) or (audio and audio.get("codec_name") != "aac"),
         _("audio is missing or not AAC")),
        (len(streams) != 1 + bool(audio), _("unexpected extra streams")),
        (not is_faststart(path), _("moov is not before mdat")),
    ) if failed]
    if problems:
        raise MediaProcessingError(_("The converted video failed its checks (%(problems)s).",
                                     problems="; ".join(problems)))
    return RenditionFacts(width=width, height=height, duration_s=round(duration, 3), video_codec="h264",
                          profile=video["profile"], pix_fmt="yuv420p",
                          audio_codec=audio.get("codec_name") if audio else None,
                          fps=_fps(video.get("avg_frame_rate")), bytes=Path(path).stat().st_size)


# --- MP4 boxes ---------------------------------------------------------------------------------------------

def top_level_boxes(path: Path, limit: int = 10_000) -> list[str]:
    """Types of the top-level ISO-BMFF (MP4/MOV) boxes of ``path`` in file order; reads 16 bytes per box."""
    boxes, total = [], Path(path).stat().st_size
    with open(path, "rb") as fh:
        pos = 0
        while pos + 8 <= total and len(boxes) < limit:
            fh.seek(pos)
            header = fh.read(16)
            size, kind = struct.unpack(">I4s", header[:8])
            if size == 1 and len(header) == 16:
                size = struct.unpack(">Q", header[8:16])[0]
            elif size == 0:
                size = total - pos
            if size < 8:
                break
            boxes.append(kind.decode("latin-1"))
            pos += size
    return boxes


def is_faststart(path: Path) -> bool:
    """True when the ``moov`` box comes before the first ``mdat`` (playback can start before the download
    ends)."""
    boxes = top_level_boxes(path)
    return "moov" in boxes and "mdat" in boxes and boxes.index("moov") < boxes.index("mdat")
