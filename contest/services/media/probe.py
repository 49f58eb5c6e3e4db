"""Media: probing uploads and checking them against the contest rules (ffprobe).

Decisions are made from the file's content (ffprobe), never from its name: which containers, codecs,
picture sizes and stream counts are accepted is set out in :mod:`contest.services.media.formats`. Every
external program runs through :func:`run_tool` (or :func:`run_tool_streaming`): an argument list (built with
ffmpeg-python for ffmpeg, by hand for ffprobe), no shell, no stdin, at niceness ``FFMPEG_NICE``, in its own
process group that is killed whole when the time limit passes (config ``PROBE_TIMEOUT`` /
``FFMPEG_TIMEOUT``, seconds). Every run on a user's file reads local files only (``-protocol_whitelist
file``). ffprobe comes from ``FFPROBE_BINARY``. Posters and web renditions (ffmpeg: ``FFMPEG_BINARY``,
``FFMPEG_THREADS``) are made in :mod:`contest.services.media.renditions`.
"""
from __future__ import annotations

import json
import math
import tempfile
from fractions import Fraction
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from contest.formatting import format_duration
from contest.models import Video
from contest.services.contests.technical_rules import TechnicalRules
from contest.services.media import formats as media_formats
from contest.services.media import rules as media_rules
from contest.services.media.errors import (
    MediaProcessingError,
    MediaRejected,
    MediaTimeout,
)
from contest.services.media.info import MediaInfo
from contest.services.media.tools import run_tool, tail

MIB = 1024 * 1024
#: Seconds of the end of a file that are read back (demuxed, not decoded) to prove it is complete.
TAIL_S = 3.0
#: A rendition must last at least this share of the original's probed duration.
MIN_DURATION_SHARE = 0.9


def ffprobe(path: Path, *options: str, timeout: float, demuxer: str | None = None) -> dict:
    """ffprobe's JSON for ``path``, read as a local file only (``-protocol_whitelist file``) by ``demuxer``
    (``-f``) or, when None, by whichever accepted demuxer recognises the content (``-format_whitelist``
    :data:`~contest.services.media.formats.DEMUXERS`).

    Raises :class:`MediaProcessingError` when ffprobe fails; its ``detail`` is stderr's tail, which says
    ``Format not on whitelist`` when another demuxer recognised the file."""
    cfg = current_app.config
    opener = ["-f", demuxer] if demuxer else ["-format_whitelist", ",".join(media_formats.DEMUXERS)]
    args = [cfg["FFPROBE_BINARY"], "-v", "error", "-of", "json", *options, "-protocol_whitelist", "file",
            *opener, str(Path(path).absolute())]
    done = run_tool(args, timeout=timeout, nice=cfg["FFMPEG_NICE"])
    if done.returncode != 0:
        raise MediaProcessingError(_("This is not a video file we can read."), detail=tail(done.stderr))
    return json.loads(done.stdout or b"{}")


# --- probing -----------------------------------------------------------------------------------------------

def probe(path: Path, *, timeout: float) -> MediaInfo:
    """Facts of the file at ``path`` (two ffprobe runs of at most ``timeout`` seconds each; demuxes only the
    last :data:`TAIL_S` seconds, decodes nothing). The file is read under a name without extension, so only
    its content counts, and only by the accepted demuxers (:mod:`contest.services.media.formats`).

    Raises :class:`MediaRejected` when the file is not in an accepted container (pictures, sound files,
    playlists and lists of files are named as such), has no real video stream (cover art does not count),
    its video codec is not accepted, it has more than ``MEDIA_MAX_STREAMS`` streams, its picture is larger
    than ``MEDIA_MAX_PIXELS`` / ``MEDIA_MAX_SIDE``, or it has no duration.
    """
    with tempfile.TemporaryDirectory(prefix="contest-probe-") as folder:
        anonymous = Path(folder) / "input"
        anonymous.symlink_to(Path(path).absolute())
        try:
            data = ffprobe(anonymous, "-show_format", "-show_streams", timeout=timeout)
        except MediaTimeout:
            raise MediaRejected([_("Reading the file took longer than %(limit)s; it may be damaged.",
                                   limit=format_duration(timeout))]) from None
        except MediaProcessingError as exc:
            reason = media_formats.unreadable_reason(path, off_whitelist="not on whitelist" in exc.detail)
            raise MediaRejected([reason]) from None
    fmt, streams = data.get("format", {}), data.get("streams", [])
    demuxer = media_formats.demuxer_of(fmt.get("format_name", ""))
    if demuxer is None:  # cannot happen with -format_whitelist; kept so that no other demuxer ever runs later
        raise MediaRejected([media_formats.unreadable_reason(path, off_whitelist=True)])
    ordinal, video = _picture_stream(path, streams)
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    audio_ordinal = next((n for n, s in enumerate(audios)
                          if media_formats.audio_accepted(s.get("codec_name"))), None)
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise MediaRejected([_("This is not a video file we can read.")])
    limits = media_formats.limit_problems(width=width, height=height, stream_count=len(streams),
                                          config=current_app.config)
    if limits:
        raise MediaRejected(limits)
    start = number(fmt.get("start_time")) or 0.0
    duration = number(fmt.get("duration")) or number(video.get("duration"))
    readable_end, last_frame = _read_tail(path, demuxer=demuxer, video_index=video.get("index"), start=start,
                                          duration=duration or 0.0, timeout=timeout)
    duration = duration or readable_end
    if not duration:
        raise MediaRejected([_("This is not a video file we can read.")])
    rotation, sar = rotation_of(video), ratio(video.get("sample_aspect_ratio")) or Fraction(1)
    display_w, display_h = round(width * sar), height
    if rotation % 180:
        display_w, display_h = display_h, display_w
    pix_fmt = video.get("pix_fmt", "")
    return MediaInfo(
        container=fmt.get("format_name", ""), duration_s=round(duration, 3), width=width, height=height,
        rotation=rotation, display_width=display_w, display_height=display_h,
        video_codec=video.get("codec_name", "unknown"), pix_fmt=pix_fmt,
        fps=fps_of(video.get("avg_frame_rate")),
        audio_codec=audios[audio_ordinal]["codec_name"] if audio_ordinal is not None else None,
        nominal_rate=ratio(video.get("r_frame_rate")), sar=sar, video_stream=ordinal,
        color_transfer=video.get("color_transfer"), color_primaries=video.get("color_primaries"),
        start_s=start, readable_end_s=readable_end, bytes=Path(path).stat().st_size, demuxer=demuxer,
        full_range=pix_fmt.startswith("yuvj") or video.get("color_range") == "pc",
        interlaced=video.get("field_order") in ("tt", "bb", "tb", "bt"),
        audio_stream=audio_ordinal or 0,
        ignored_audio=None if audio_ordinal is not None or not audios else audios[0].get("codec_name", "?"),
        stream_count=len(streams), last_frame_s=last_frame,
        has_attached_pic=any(s.get("disposition", {}).get("attached_pic") for s in streams),
    )


def _picture_stream(path: Path, streams: list[dict]) -> tuple[int, dict]:
    """(ordinal among the video streams, ffprobe stream) of the picture: the first video stream that is not
    cover art, preferring one in an accepted codec. Raises :class:`MediaRejected` when there is none or its
    codec is not accepted."""
    videos = [s for s in streams if s.get("codec_type") == "video"]
    pictures = [(n, s) for n, s in enumerate(videos) if not s.get("disposition", {}).get("attached_pic")]
    if not pictures:
        if any(s.get("codec_type") == "audio" for s in streams):
            raise MediaRejected([_("The file has no video stream (audio only).")])
        raise MediaRejected([media_formats.unreadable_reason(path, off_whitelist=False)])
    ordinal, video = next(((n, s) for n, s in pictures if s.get("codec_name") in media_formats.VIDEO_CODECS),
                          pictures[0])
    problem = media_formats.codec_problem(video.get("codec_name"))
    if problem:
        raise MediaRejected([problem])
    return ordinal, video


def _read_tail(path: Path, *, demuxer: str, video_index: int | None, start: float, duration: float,
               timeout: float) -> tuple[float | None, float | None]:
    """(readable end, last frame's display time): seconds (from the file's start) where the last packet that
    can be read ends, and how long the last video frame is shown; packets are demuxed from the keyframe
    before ``duration - TAIL_S``. The end is 0.0 when nothing there can be read (the index points past the
    end of the file), None when ffprobe cannot tell; the last frame's time None when unknown."""
    seek = start + max(0.0, duration - TAIL_S)
    try:
        data = ffprobe(path, "-read_intervals", f"{seek:.3f}%", "-show_entries",
                        "packet=stream_index,pts_time,dts_time,duration_time", timeout=timeout,
                        demuxer=demuxer)
    except MediaProcessingError:
        return None, None
    ends, last = [], (None, None)
    for packet in data.get("packets", []):
        at = number(packet.get("pts_time"))
        at = at if at is not None else number(packet.get("dts_time"))
        if at is None:
            continue
        length = number(packet.get("duration_time"))
        ends.append(at + (length or 0.0))
        if packet.get("stream_index") == video_index and (last[0] is None or at > last[0]):
            last = (at, length if length and length > 0 else None)
    return (round(max(ends) - start, 3) if ends else 0.0), last[1]


def number(text) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def ratio(text: str | None) -> Fraction | None:
    try:
        num, den = (int(part) for part in str(text).split(":" if ":" in str(text) else "/"))
    except ValueError:
        return None
    return Fraction(num, den) if num > 0 and den > 0 else None


def fps_of(text: str | None) -> float | None:
    rate = ratio(text)
    return round(float(rate), 3) if rate else None


def rotation_of(stream: dict) -> int:
    """Display-matrix rotation in degrees (side data; else the legacy ``rotate`` tag, which turns the other
    way), rounded to a quarter turn and normalised to -90, 0, 90 or 180."""
    side_data = stream.get("side_data_list", [])
    degrees = next((float(sd["rotation"]) for sd in side_data if "rotation" in sd), None)
    if degrees is None:
        degrees = -(number(stream.get("tags", {}).get("rotate")) or 0.0)
    degrees = round(degrees / 90) * 90 % 360
    return degrees - 360 if degrees > 180 else degrees


# --- contest rules -----------------------------------------------------------------------------------------

def inspect_upload(path: Path, *, rules: TechnicalRules, size_bytes: int) -> MediaInfo:
    """Probe an uploaded file of ``size_bytes`` bytes and check it against a contest's ``rules``; returns its
    facts.

    Rules: readable video with a real video stream, complete (its end can be read back), then the contest's
    technical requirements (:func:`contest.services.media.rules.check`: container, codec, duration,
    orientation, resolution, frame rate, sound, size). Cheap enough for the upload request: no decoding, each
    ffprobe run bounded by ``PROBE_TIMEOUT``.

    Raises :class:`MediaRejected` with every failed rule at once.
    """
    try:
        info = probe(path, timeout=current_app.config["PROBE_TIMEOUT"])
    except MediaRejected as exc:
        raise MediaRejected(exc.reasons + media_rules.size_rule(rules, size_bytes)) from None
    reasons = _completeness(info) + media_rules.check(info, rules, size_bytes)
    if reasons:
        raise MediaRejected(reasons)
    return info


def _completeness(info: MediaInfo) -> list[str]:
    end = info.readable_end_s
    if end is None or end >= MIN_DURATION_SHARE * info.duration_s or info.duration_s - end <= 1.0:
        return []
    return [_("The file is incomplete or damaged: only %(readable)s of its %(duration)s can be read. "
              "Please upload the complete file.",
              readable=format_duration(end), duration=format_duration(info.duration_s))]


def apply_facts(video: Video, info: MediaInfo) -> None:
    """Copy probed facts of the original onto ``video``: container, duration_s, width, height, rotation,
    video_codec, audio_codec, fps (``bytes``/``sha256`` come from storage and are left alone)."""
    video.container = info.container[:100]
    video.duration_s = info.duration_s
    video.width, video.height, video.rotation = info.width, info.height, info.rotation
    video.video_codec = info.video_codec[:40]
    video.audio_codec = info.audio_codec[:40] if info.audio_codec else None
    video.fps = info.fps
