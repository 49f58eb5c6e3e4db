"""Checks of what ffmpeg wrote: a rendition or preview is judged by probing it, never by ffmpeg's exit code
(a damaged original can make ffmpeg exit 0 with half a video).

:func:`verify_rendition` probes an output and refuses it unless it is what every browser plays: H.264 High
8-bit yuv420p tv range, square pixels, even size, no rotation flag, AAC 48 kHz stereo exactly when the
original has sound, nothing else (no subtitle, data or timecode track, no metadata beyond what ffmpeg itself
writes), ``moov`` before ``mdat``, about as long as the original, within its size box, frame rate and byte
cap. ``moov`` before ``mdat`` is read from the MP4 boxes
(:func:`contest.services.media.formats.mp4_boxes`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from contest.formatting import format_duration, format_size
from contest.services.media.errors import MediaProcessingError, MediaTimeout
from contest.services.media.probe import (
    MIN_DURATION_SHARE,
    MediaInfo,
    ffprobe,
    fps_of,
    number,
    ratio,
    rotation_of,
)
from contest.services.media.formats import mp4_boxes

#: A rendition may last at most this share of the original's duration plus :data:`MAX_EXTRA_S` seconds (a
#: held last frame is repeated once; anything longer means duplicated or shifted timestamps).
MAX_DURATION_SHARE = 1.1
MAX_EXTRA_S = 1.0
#: Relative slack on the frame-rate cap (timestamps of variable-frame-rate video are rounded).
FPS_SLACK = 1.02
#: Metadata keys ffmpeg itself writes into an MP4; any other tag (title, location, creation_time, device
#: make and model, comment …) means the original's metadata leaked into the rendition.
ALLOWED_TAGS = frozenset({"major_brand", "minor_version", "compatible_brands", "encoder", "handler_name",
                          "vendor_id", "language"})


@dataclass(frozen=True)
class RenditionFacts:
    """Facts of a verified web rendition or preview: pixels, seconds, bytes."""

    width: int
    height: int
    duration_s: float
    video_codec: str
    profile: str
    pix_fmt: str
    audio_codec: str | None
    fps: float | None
    bytes: int


def verify_rendition(path: Path, info: MediaInfo, *, short_side: int | None = None,
                     max_fps: float | None = None, max_bytes: int | None = None) -> RenditionFacts:
    """Probe the rendition (or preview) at ``path`` made from an original with facts ``info`` and return its
    facts.

    Raises :class:`MediaProcessingError` unless: H.264 High yuv420p video in tv range, even
    dimensions, short side at most ``short_side`` px (default ``RENDITION_SHORT_SIDE``), square pixels, no
    rotation, average frame rate at most ``max_fps`` (default ``RENDITION_MAX_FPS``); AAC 48 kHz stereo
    exactly when the original has converted sound; no other stream; no metadata but :data:`ALLOWED_TAGS`;
    ``moov`` before ``mdat`` (faststart); at least :data:`MIN_DURATION_SHARE` of the original's duration
    (catches files that end early although ffmpeg exits 0) and at most :data:`MAX_DURATION_SHARE` of it
    plus :data:`MAX_EXTRA_S` seconds; at most ``max_bytes`` bytes when given.
    """
    cfg = current_app.config
    short_side = short_side or cfg["RENDITION_SHORT_SIDE"]
    max_fps = max_fps or cfg["RENDITION_MAX_FPS"]
    try:
        data = ffprobe(path, "-show_format", "-show_streams", timeout=cfg["PROBE_TIMEOUT"], demuxer="mov")
    except MediaTimeout:
        raise
    except MediaProcessingError as exc:
        raise MediaProcessingError(_("The converted video cannot be read."), detail=exc.detail) from None
    fmt, streams = data.get("format", {}), data.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"), {})
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    duration = number(fmt.get("duration")) or 0.0
    if duration < MIN_DURATION_SHARE * info.duration_s:
        raise MediaProcessingError(_(
            "Only %(converted)s of the video's %(duration)s could be converted; the file is probably "
            "incomplete or damaged.",
            converted=format_duration(duration), duration=format_duration(info.duration_s)))
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    fps, size = fps_of(video.get("avg_frame_rate")), Path(path).stat().st_size
    tags = set(fmt.get("tags", {})).union(*(s.get("tags", {}) for s in streams))
    problems = [text for failed, text in (
        (duration > MAX_DURATION_SHARE * info.duration_s + MAX_EXTRA_S,
         _("it lasts %(converted)s instead of %(duration)s", converted=format_duration(duration),
           duration=format_duration(info.duration_s))),
        (video.get("codec_name") != "h264" or video.get("profile") != "High", _("video is not H.264 High")),
        (video.get("pix_fmt") != "yuv420p", _("pixel format is not yuv420p")),
        (video.get("color_range") == "pc", _("levels are full range, not tv range")),
        (width % 2 or height % 2 or not width, _("dimensions are not even")),
        (min(width, height) > short_side, _("the picture is larger than %(size)s px on its short side",
                                            size=short_side)),
        ((ratio(video.get("sample_aspect_ratio")) or 1) != 1, _("pixels are not square")),
        (rotation_of(video) != 0, _("a rotation flag is left")),
        (fps is not None and fps > max_fps * FPS_SLACK,
         _("the frame rate is above %(fps)s fps", fps=max_fps)),
        (bool(info.audio_codec) != bool(audio) or (audio and (
            audio.get("codec_name"), audio.get("sample_rate"), audio.get("channels")) != ("aac", "48000", 2)),
         _("audio is missing or not AAC")),
        (len(streams) != 1 + bool(audio), _("unexpected extra streams")),
        (bool(tags - ALLOWED_TAGS), _("metadata of the original is left (%(tags)s)",
                                      tags=", ".join(sorted(tags - ALLOWED_TAGS)))),
        (not is_faststart(path), _("moov is not before mdat")),
        (max_bytes is not None and size > max_bytes,
         _("it is %(size)s, over the limit of %(limit)s", size=format_size(size, 2),
           limit=format_size(max_bytes or 0, 2))),
    ) if failed]
    if problems:
        raise MediaProcessingError(_("The converted video failed its checks (%(problems)s).",
                                     problems="; ".join(problems)))
    return RenditionFacts(width=width, height=height, duration_s=round(duration, 3), video_codec="h264",
                          profile=video["profile"], pix_fmt="yuv420p",
                          audio_codec=audio.get("codec_name") if audio else None, fps=fps, bytes=size)


# --- MP4 boxes ---------------------------------------------------------------------------------------------

def top_level_boxes(path: Path, limit: int = 10_000) -> list[str]:
    """Types of the top-level ISO-BMFF (MP4/MOV) boxes of ``path`` in file order
    (:func:`~contest.services.media.formats.mp4_boxes`)."""
    return [kind for kind, _at, _size in mp4_boxes(path, limit)]


def is_faststart(path: Path) -> bool:
    """True when the ``moov`` box comes before the first ``mdat`` (playback can start before the download
    ends)."""
    boxes = top_level_boxes(path)
    return "moov" in boxes and "mdat" in boxes and boxes.index("moov") < boxes.index("mdat")
