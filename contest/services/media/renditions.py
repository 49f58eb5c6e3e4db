"""Renditions: the poster, the web rendition and the small preview (小样) made from an accepted original.

A rendition is the copy of an entry that the site plays, one MP4 that every browser can play: H.264 High
8-bit yuv420p (tv range: full-range originals are converted) video and, when the original has sound, its
first convertible audio stream as AAC 48 kHz stereo; ``+faststart`` (``moov`` before ``mdat``: playback
starts before the download ends); short side capped at ``RENDITION_SHORT_SIDE`` px (never upscaled), even
dimensions, square pixels, rotation baked into the picture (no display matrix left), interlaced frames
deinterlaced, HDR (PQ/HLG) tone-mapped to BT.709 (only re-tagged when this ffmpeg lacks
``zscale``/``tonemap``). Frame rate: originals faster than ``RENDITION_MAX_FPS`` are converted to it; the
others keep their own timestamps (``-fps_mode vfr``, no frame duplicated), and a variable-frame-rate last
frame held for seconds is repeated once so that the rendition lasts as long as the original. Only the
picture and that sound are mapped: no subtitle, data or timecode track, no chapters, no metadata
(``-map_metadata -1``). The preview is the same at ``PREVIEW_SHORT_SIDE`` px and ``PREVIEW_MAX_FPS``, with a
bitrate cap computed from the duration so that it stays under ``PREVIEW_MAX_BYTES``, and never larger than
the rendition; it is made in the rendition's ffmpeg run, with the fingerprint's frames (the original is
decoded once: :func:`transcode`), and made again from the rendition only when it fails its checks. The poster
is one JPEG frame under the same picture rules, short side at most :data:`POSTER_SHORT_SIDE` px.

Originals are probed by :mod:`contest.services.media.probe`; every ffmpeg run here reads the original as a local
file only (``-protocol_whitelist file``) with the probed demuxer (``-f``), runs through
:func:`~contest.services.media.probe.run_tool` / :func:`~contest.services.media.probe.run_tool_streaming` (own process
group killed whole after ``FFMPEG_TIMEOUT`` seconds, niceness ``FFMPEG_NICE``) with at most
``FFMPEG_THREADS`` threads, preset ``FFMPEG_PRESET``. Outputs are checked by
:mod:`contest.services.media.checks`.
"""
from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ffmpeg
from flask import current_app
from flask_babel import gettext as _

from contest.formatting import format_duration, format_size
from contest.services.media.checks import (  # noqa: F401  (public here: the job and tests use them)
    RenditionFacts,
    is_faststart,
    top_level_boxes,
    verify_rendition,
)
from contest.services.media import fingerprint
from contest.services.media.errors import MediaProcessingError
from contest.services.media.info import MediaInfo
from contest.services.media.tools import run_tool, run_tool_streaming, tail

log = logging.getLogger(__name__)

#: Short side of the poster, pixels (never upscaled).
POSTER_SHORT_SIDE = 720
#: A poster whose mean luma (0-255) is below this is "dark": another moment is tried.
DARK_LUMA = 24
#: Share of ``PREVIEW_MAX_BYTES`` the preview's bitrate aims at (x264's average bitrate misses by a few %,
#: the MP4 index adds some).
PREVIEW_TARGET_SHARE = 0.85
#: x264 constant rate factor of the web rendition, and of the preview made in the same run: higher, so that
#: with a third of the pixels or fewer the preview stays the smaller copy (checked: :func:`check_preview`).
RENDITION_CRF = 23
PREVIEW_CRF = 26
#: Preview video bitrate bounds (bits per second); a shorter video gets more, up to the maximum.
PREVIEW_MAX_VIDEO_BPS = 1_200_000
PREVIEW_MIN_VIDEO_BPS = 12_000

ProgressCallback = Callable[[float], None]


# --- running ffmpeg ----------------------------------------------------------------------------------------

def _run_ffmpeg(node, *, timeout: float, on_progress: ProgressCallback | None = None,
                duration_s: float = 0.0) -> str:
    """Run an ffmpeg-python output node with the house global options; returns stderr's tail. With
    ``on_progress``, ffmpeg reports with ``-progress pipe:1`` and ``on_progress(fraction)`` is called as
    ``out_time / duration_s`` grows (0..1, at most every 1 %, 1.0 at the end).

    Raises :class:`MediaProcessingError` when ffmpeg fails, but ``OSError`` when the disk is full (so that the
    job is retried instead of blaming the file)."""
    cfg = current_app.config
    args = node.compile(cmd=cfg["FFMPEG_BINARY"])
    threads = str(cfg["FFMPEG_THREADS"])
    args[1:1] = ["-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-y",
                 "-filter_complex_threads", threads, *(["-progress", "pipe:1"] if on_progress else [])]
    if on_progress:
        done = run_tool_streaming(args, timeout=timeout, nice=cfg["FFMPEG_NICE"],
                                  on_line=_progress_reader(on_progress, duration_s))
    else:
        done = run_tool(args, timeout=timeout, nice=cfg["FFMPEG_NICE"])
    stderr = tail(done.stderr)
    if done.returncode != 0 and "No space left on device" in stderr:  # the server's fault, not the file's
        raise OSError(errno.ENOSPC, "ffmpeg: no space left on device", args[-1])
    if done.returncode != 0:
        raise MediaProcessingError(_("The video could not be converted; the file may be damaged."),
                                   detail=stderr)
    if stderr:
        log.info("ffmpeg reported for %s:\n%s", args[-1], stderr)
    return stderr


def _progress_reader(on_progress: ProgressCallback, duration_s: float) -> Callable[[str], None]:
    """A line handler for ffmpeg's ``-progress`` output (``key=value`` lines) that calls ``on_progress``."""
    reported = [-1.0]

    def read(line: str) -> None:
        key, _sep, value = line.partition("=")
        if key == "progress" and value == "end":
            fraction = 1.0
        elif key == "out_time_us" and value.lstrip("-").isdigit() and duration_s > 0:
            fraction = min(max(int(value) / 1e6 / duration_s, 0.0), 1.0)
        else:
            return
        if fraction >= reported[0] + 0.01 or (fraction == 1.0 and reported[0] < 1.0):
            reported[0] = fraction
            on_progress(fraction)

    return read


@lru_cache(maxsize=4)
def _ffmpeg_filters(binary: str) -> frozenset[str]:
    done = run_tool([binary, "-hide_banner", "-nostdin", "-filters"], timeout=30)
    return frozenset(parts[1] for line in done.stdout.decode("utf-8", "replace").splitlines()
                     if len(parts := line.split()) >= 3)


def can_tonemap() -> bool:
    """True when this ffmpeg has ``zscale`` and ``tonemap`` (HDR → BT.709 tone mapping)."""
    return {"zscale", "tonemap"} <= _ffmpeg_filters(current_app.config["FFMPEG_BINARY"])


# --- the picture -------------------------------------------------------------------------------------------

def fit_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    """(width, height) scaled so the short side is at most ``short_side`` (never upscaled), both even."""
    short = min(width, height)
    if short <= short_side:
        return max(2, width // 2 * 2), max(2, height // 2 * 2)
    scale = short_side / short
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _source(src: Path, info: MediaInfo, **options):
    """The original as an ffmpeg-python input: a local file only, read by its probed demuxer, decoded with
    ``FFMPEG_THREADS`` threads and no frame over ``MEDIA_MAX_PIXELS`` (the probe saw only the first picture
    size; a stream that grows later is cut short, and then refused by the duration check)."""
    cfg = current_app.config
    return ffmpeg.input(str(Path(src).absolute()), f=info.demuxer, protocol_whitelist="file",
                        threads=cfg["FFMPEG_THREADS"], max_pixels=cfg["MEDIA_MAX_PIXELS"], **options)


def _source_rate(info: MediaInfo) -> float | None:
    """Frames per second of the original: its average rate, else its base rate; None when unknown."""
    return info.fps or (float(info.nominal_rate) if info.nominal_rate else None)


def _decoded(source, info: MediaInfo):
    """The original's picture as decoded (rotation applied by ffmpeg's autorotate), deinterlaced when its
    frames are interlaced."""
    stream = source[f"v:{info.video_stream}"]
    if info.interlaced:
        stream = stream.filter("bwdif", mode="send_frame", deint="interlaced")
    return stream


def _split(stream, copies: int) -> list:
    """``copies`` branches of one filtered stream (ffmpeg's ``split``; the stream itself for one)."""
    if copies == 1:
        return [stream]
    node = stream.filter_multi_output("split", copies)
    return [node[n] for n in range(copies)]


def _picture(stream, info: MediaInfo, *, short_side: int, full_range: bool, max_fps: float | None = None):
    """Filter chain after :func:`_decoded`: frame rate (``max_fps``: cap it, see the module docstring; None: a
    still), square pixels at the target size, HDR tone-mapped to BT.709 when possible, 8-bit 4:2:0 in tv range
    (``full_range``: pc range, for JPEG posters)."""
    width, height = fit_size(info.display_width, info.display_height, short_side)
    rate = _source_rate(info)
    if max_fps is not None and rate is not None and rate > max_fps * 1.01:
        stream = stream.filter("fps", fps=max_fps)
    elif max_fps is not None and info.last_frame_s and rate and info.last_frame_s > 1.5 / rate:
        stream = stream.filter("tpad", stop_mode="clone", stop=1)  # starts at the held frame's end
    rng = "pc" if full_range else "tv"
    if info.is_hdr and can_tonemap():
        stream = (stream.filter("scale", width, height)
                  .filter("zscale", t="linear", npl=100).filter("format", "gbrpf32le")
                  .filter("zscale", p="bt709").filter("tonemap", tonemap="hable", desat=0)
                  .filter("zscale", t="bt709", m="bt709", r=rng))
    else:
        stream = stream.filter("scale", width, height, out_range=rng)
    return stream.filter("format", "yuvj420p" if full_range else "yuv420p").filter("setsar", 1)


def _video_options(info: MediaInfo) -> dict:
    """Output options shared by the rendition and the preview (H.264 High 8-bit, no metadata, faststart)."""
    cfg = current_app.config
    options = {
        "c:v": "libx264", "profile:v": "high", "pix_fmt": "yuv420p", "preset": cfg["FFMPEG_PRESET"],
        "threads": cfg["FFMPEG_THREADS"], "movflags": "+faststart", "color_range": "tv",
        "fps_mode": "vfr", "enc_time_base:v": -1,  # the filters' time base: variable frame rates stay exact
        "map_metadata": -1, "map_chapters": -1, "sn": None, "dn": None, "write_tmcd": 0,
    }
    if info.is_hdr and not can_tonemap():
        options.update(color_primaries="bt709", color_trc="bt709", colorspace="bt709")
    return options


# --- poster ------------------------------------------------------------------------------------------------

def make_poster(src: Path, dst: Path, info: MediaInfo) -> None:
    """Write a JPEG poster of ``src`` to ``dst``: the most representative of ~1 s of frames (ffmpeg's
    ``thumbnail`` filter over 30 frames) from 10 % into the video (at most 10 s in); when that picture is
    dark (mean luma < :data:`DARK_LUMA`: a fade, a black opening), from 30 % and 60 % in, then the start;
    the first bright one wins, else the brightest. Upright, square pixels, short side ≤
    :data:`POSTER_SHORT_SIDE` px.

    Raises :class:`MediaProcessingError` (nothing decodable anywhere) / :class:`MediaTimeout`.
    """
    moments = dict.fromkeys(round(at, 3) for at in (min(info.duration_s * 0.1, 10.0), info.duration_s * 0.3,
                                                    info.duration_s * 0.6, 0.0))
    best: tuple[float, Path] | None = None
    candidates = [dst.with_name(f"{dst.stem}.{n}{dst.suffix}") for n in range(len(moments))]
    try:
        for at, candidate in zip(moments, candidates):
            if not _poster(src, candidate, info, at=at, representative=True):
                continue
            luma = mean_luma(candidate)
            if best is None or luma > best[0]:
                best = (luma, candidate)
            if luma >= DARK_LUMA:
                break
        if best is None:
            raise MediaProcessingError(
                _("No picture could be decoded from the video; the file may be damaged."))
        best[1].replace(dst)
    finally:
        for candidate in candidates:
            candidate.unlink(missing_ok=True)


def make_poster_at(src: Path, dst: Path, info: MediaInfo, at_s: float) -> None:
    """Write the JPEG poster of ``src`` to ``dst`` from the frame shown at ``at_s`` seconds (clamped to the
    video; the creator's choice), same picture rules as :func:`make_poster`. When no frame can be decoded
    there (past the last one), the frame a second earlier is taken.

    Raises :class:`MediaProcessingError` / :class:`MediaTimeout`.
    """
    at = min(max(float(at_s), 0.0), max(info.duration_s - 0.05, 0.0))
    for moment in dict.fromkeys((round(at, 3), round(max(at - 1.0, 0.0), 3))):
        if _poster(src, dst, info, at=moment, representative=False):
            return
    raise MediaProcessingError(_("No picture could be decoded at %(at)s; please pick another moment.",
                                 at=format_duration(at)))


def _poster(src: Path, dst: Path, info: MediaInfo, *, at: float, representative: bool) -> bool:
    """One JPEG frame from ``at`` seconds (``representative``: ffmpeg's pick among the next 30 frames);
    True when a non-empty picture was written."""
    dst.unlink(missing_ok=True)
    picture = _picture(_decoded(_source(src, info, ss=at), info), info, short_side=POSTER_SHORT_SIDE,
                       full_range=True)
    if representative:
        picture = picture.filter("thumbnail", 30)
    node = ffmpeg.output(picture, str(dst), **{"frames:v": 1, "q:v": 3, "update": 1, "an": None, "sn": None,
                                               "dn": None, "map_metadata": -1})
    _run_ffmpeg(node, timeout=current_app.config["FFMPEG_TIMEOUT"])
    return dst.exists() and dst.stat().st_size > 0


def mean_luma(picture: Path) -> float:
    """Mean luma (0-255, full range) of a JPEG picture, from a 32×32 grey copy decoded by ffmpeg."""
    cfg = current_app.config
    done = run_tool([cfg["FFMPEG_BINARY"], "-nostdin", "-v", "error", "-protocol_whitelist", "file",
                     "-f", "jpeg_pipe", "-i", str(Path(picture).absolute()), "-frames:v", "1",
                     "-vf", "scale=32:32:out_range=pc,format=gray", "-f", "rawvideo", "pipe:1"],
                    timeout=cfg["PROBE_TIMEOUT"], nice=cfg["FFMPEG_NICE"])
    return sum(done.stdout) / len(done.stdout) if done.stdout else 0.0


# --- rendition and preview ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PreviewPlan:
    """A preview (小样) to write: its path, the bitrates (bits/s) and short side (px) of
    :func:`preview_bitrates`, and the byte cap they were computed for."""

    path: Path
    video_bps: int
    audio_bps: int
    short_side: int
    max_bytes: int


def plan_preview(dst: Path, info: MediaInfo, *, max_bytes: int | None = None) -> PreviewPlan:
    """The preview of a video with facts ``info``, to be written to ``dst`` in at most ``max_bytes`` bytes
    (default ``PREVIEW_MAX_BYTES``), its short side no longer than the rendition's (``RENDITION_SHORT_SIDE``).

    Raises :class:`MediaProcessingError` when the video is too long for that cap (:func:`preview_bitrates`).
    """
    cfg = current_app.config
    cap = max_bytes or cfg["PREVIEW_MAX_BYTES"]
    video, audio, short = preview_bitrates(info.duration_s, cap, has_audio=bool(info.audio_codec))
    return PreviewPlan(path=Path(dst), video_bps=video, audio_bps=audio,
                       short_side=min(short, cfg["RENDITION_SHORT_SIDE"]), max_bytes=cap)


def transcode(src: Path, dst: Path, info: MediaInfo, *, preview: PreviewPlan | None = None,
              frames: Path | None = None, on_progress: ProgressCallback | None = None) -> str:
    """Write the web rendition of ``src`` to ``dst`` (MP4, see the module docstring; CRF
    :data:`RENDITION_CRF`) and return ffmpeg's stderr tail.

    The same ffmpeg run (the original decoded once, its picture split) also writes, when asked, the preview
    planned by ``preview`` (:func:`plan_preview`; CRF :data:`PREVIEW_CRF` capped at the plan's video bitrate:
    ``maxrate`` with a one-second ``bufsize``; to be checked with :func:`check_preview`) and the fingerprint's
    grey frames to ``frames`` (:func:`contest.services.media.fingerprint.sampled` of the preview's picture,
    else of the rendition's; read back with :func:`contest.services.media.fingerprint.of_frames`).
    ``on_progress(fraction)``: called with 0..1 while ffmpeg runs. Every output is removed when this raises.

    Raises :class:`MediaProcessingError` / :class:`MediaTimeout` (and ``OSError`` on a full disk).
    """
    cfg = current_app.config
    source = _source(src, info)
    decoded = _split(_decoded(source, info), 1 + (preview is not None))
    pictures = [_picture(decoded[0], info, short_side=cfg["RENDITION_SHORT_SIDE"], full_range=False,
                         max_fps=cfg["RENDITION_MAX_FPS"])]
    if preview is not None:
        pictures.append(_picture(decoded[1], info, short_side=preview.short_side, full_range=False,
                                 max_fps=min(cfg["PREVIEW_MAX_FPS"], cfg["RENDITION_MAX_FPS"])))
    if frames is not None:  # from the smallest picture: the fewest pixels to scale down
        pictures[-1], sampled = _split(pictures[-1], 2)
    outputs = [_output(source, pictures[0], dst, info, {**_video_options(info), "crf": RENDITION_CRF},
                       audio_bps=128_000)]
    if preview is not None:
        options = {**_video_options(info), "crf": PREVIEW_CRF, "maxrate": preview.video_bps,
                   "bufsize": preview.video_bps}
        outputs.append(_output(source, pictures[1], preview.path, info, options, audio_bps=preview.audio_bps))
    if frames is not None:
        outputs.append(ffmpeg.output(fingerprint.sampled(sampled, duration_s=info.duration_s), str(frames),
                                     f="rawvideo", **{"frames:v": fingerprint.FRAMES}))
    written = [dst, *([preview.path] if preview else []), *([frames] if frames else [])]
    return _run_writing(ffmpeg.merge_outputs(*outputs), written, info, on_progress)


def check_preview(plan: PreviewPlan, info: MediaInfo, *,
                  rendition_bytes: int | None = None) -> RenditionFacts:
    """Probe the preview written for ``plan`` from a video with facts ``info`` and return its facts; the file
    is removed when it fails.

    Raises :class:`MediaProcessingError` unless it passes :func:`verify_rendition` at the plan's short side,
    ``PREVIEW_MAX_FPS`` and at most ``plan.max_bytes`` bytes — and, given ``rendition_bytes``, at most the
    size of the web rendition (a preview is never the bigger copy).
    """
    limit = plan.max_bytes if rendition_bytes is None else min(plan.max_bytes, rendition_bytes)
    try:
        return verify_rendition(plan.path, info, short_side=plan.short_side,
                                max_fps=current_app.config["PREVIEW_MAX_FPS"], max_bytes=limit)
    except BaseException:
        plan.path.unlink(missing_ok=True)
        raise


def make_preview(src: Path, dst: Path, info: MediaInfo, *, max_bytes: int | None = None,
                 on_progress: ProgressCallback | None = None) -> RenditionFacts:
    """Write the preview (小样) of ``src`` to ``dst`` in its own ffmpeg run, check it and return its facts.

    For a preview made again after the one of :func:`transcode` failed its checks: ``src`` is then the
    rendition (cheaper to decode: already upright, SDR and 8-bit) with ``info`` the facts of that file, and
    ``max_bytes`` its size (default ``PREVIEW_MAX_BYTES``), so that the average bitrate
    (:func:`preview_bitrates`) is a share of the rendition's. Same rules as the rendition, short side ≤
    ``PREVIEW_SHORT_SIDE`` (less for long videos), at most ``PREVIEW_MAX_FPS`` fps; a file still over
    ``max_bytes`` is made again once at a bitrate lowered by the overshoot. ``on_progress`` follows the first
    encoding only. ``dst`` is removed when this raises.

    Raises :class:`MediaProcessingError` (the video is too long to fit the cap, or the preview fails its
    checks) / :class:`MediaTimeout`.
    """
    cfg = current_app.config
    plan = plan_preview(dst, info, max_bytes=max_bytes)
    video_bps = plan.video_bps
    for attempt in (1, 2):
        options = {**_video_options(info), "b:v": video_bps, "maxrate": 2 * video_bps,
                   "bufsize": 2 * video_bps}
        _encode(src, dst, info, short_side=plan.short_side, max_fps=cfg["PREVIEW_MAX_FPS"], options=options,
                audio_bps=plan.audio_bps, on_progress=on_progress if attempt == 1 else None)
        size = dst.stat().st_size
        if size <= plan.max_bytes or attempt == 2:
            break
        log.info("preview of %s is %s bytes, over %s: made again", src, size, plan.max_bytes)
        video_bps = int((video_bps + plan.audio_bps) * plan.max_bytes * PREVIEW_TARGET_SHARE / size) \
            - plan.audio_bps
        if video_bps < PREVIEW_MIN_VIDEO_BPS:
            break
    return check_preview(plan, info)


def preview_bitrates(duration_s: float, cap_bytes: int, *, has_audio: bool) -> tuple[int, int, int]:
    """(video bits/s, audio bits/s, short side px) of a preview of ``duration_s`` seconds that should fill
    :data:`PREVIEW_TARGET_SHARE` of ``cap_bytes``: AAC 64 kb/s (32 kb/s when the budget is tight, 0 without
    sound), the rest for the video up to :data:`PREVIEW_MAX_VIDEO_BPS`; short side from
    ``PREVIEW_SHORT_SIDE`` down to 360 / 240 px as the video bitrate falls under 400 / 200 kb/s.

    Raises :class:`MediaProcessingError` when less than :data:`PREVIEW_MIN_VIDEO_BPS` would be left for the
    picture (with the defaults: videos longer than about 13 minutes).
    """
    budget = cap_bytes * 8 * PREVIEW_TARGET_SHARE / max(duration_s, 1.0)
    audio = 0 if not has_audio else 64_000 if budget >= 400_000 else 32_000
    video = int(min(PREVIEW_MAX_VIDEO_BPS, budget - audio))
    if video < PREVIEW_MIN_VIDEO_BPS:
        raise MediaProcessingError(_(
            "The video lasts %(duration)s: too long for a preview of at most %(cap)s.",
            duration=format_duration(duration_s), cap=format_size(cap_bytes)))
    short = current_app.config["PREVIEW_SHORT_SIDE"]
    short = short if video >= 400_000 else min(short, 360) if video >= 200_000 else min(short, 240)
    return video, audio, short


def _encode(src: Path, dst: Path, info: MediaInfo, *, short_side: int, max_fps: float, options: dict,
            audio_bps: int, on_progress: ProgressCallback | None) -> str:
    """One H.264/AAC MP4 of ``src`` at ``dst`` in its own ffmpeg run."""
    source = _source(src, info)
    picture = _picture(_decoded(source, info), info, short_side=short_side, full_range=False, max_fps=max_fps)
    return _run_writing(_output(source, picture, dst, info, options, audio_bps=audio_bps), [dst], info,
                        on_progress)


def _output(source, picture, dst: Path, info: MediaInfo, options: dict, *, audio_bps: int):
    """An MP4 output of the picture and, when the original has sound, that sound as AAC at ``audio_bps``."""
    streams = [picture]
    if info.audio_codec:
        streams.append(source[f"a:{info.audio_stream}"])
        options = {**options, "c:a": "aac", "ar": 48000, "ac": 2, "b:a": audio_bps}
    return ffmpeg.output(*streams, str(dst), **options)


def _run_writing(node, paths: list[Path], info: MediaInfo, on_progress: ProgressCallback | None) -> str:
    """Run ``node`` (see :func:`_run_ffmpeg`); the files at ``paths`` are removed when it fails."""
    try:
        return _run_ffmpeg(node, timeout=current_app.config["FFMPEG_TIMEOUT"], on_progress=on_progress,
                           duration_s=info.duration_s)
    except BaseException:
        for path in paths:
            Path(path).unlink(missing_ok=True)
        raise
