"""Media: probing uploads and checking them against the contest rules (ffprobe).

Decisions are made from the file's content (ffprobe), never from its name. Every external program runs
through :func:`run_tool`: an argument list (built with ffmpeg-python for ffmpeg, by hand for ffprobe), no
shell, no stdin, in its own process group that is killed whole when the time limit passes (config
``PROBE_TIMEOUT`` / ``FFMPEG_TIMEOUT``, seconds). ffprobe comes from ``FFPROBE_BINARY``. Posters and web
renditions (ffmpeg: ``FFMPEG_BINARY``, ``FFMPEG_THREADS``) are made in :mod:`contest.services.renditions`.
"""
from __future__ import annotations

import ctypes
import json
import math
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from contest.models import Contest, Orientation, Video

MIB = 1024 * 1024
#: Seconds of the end of a file that are read back (demuxed, not decoded) to prove it is complete.
TAIL_S = 3.0
#: A rendition must last at least this share of the original's probed duration.
MIN_DURATION_SHARE = 0.9
HDR_TRANSFERS = {"arib-std-b67", "smpte2084"}


class MediaRejected(ValueError):
    """The file is not a video we can read, or it breaks contest rules.

    ``reasons``: translated sentences, one per failed rule, each naming the measured value and the limit.
    """

    def __init__(self, reasons: list[str]):
        super().__init__(" ".join(reasons))
        self.reasons = list(reasons)


class MediaProcessingError(ValueError):
    """No playable poster or rendition could be made. The message is for people; ``detail`` (ffmpeg's stderr
    tail) is for the log."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.detail = detail


class MediaTimeout(MediaProcessingError):
    """An ffmpeg/ffprobe run passed its time limit and its process group was killed."""


@dataclass(frozen=True)
class MediaInfo:
    """Facts of an ORIGINAL file, from ffprobe.

    ``duration_s`` seconds (container duration, else the video stream's); ``width``/``height`` coded pixels;
    ``rotation`` display-matrix degrees normalised to -90/90/180/0; ``display_*`` the picture as shown (after
    ``sar`` and rotation); ``fps`` the average frame rate (``avg_frame_rate``), ``nominal_rate`` the base
    rate (``r_frame_rate``, may be absurd such as 57600 for variable-frame-rate files); ``video_stream`` the
    ordinal of the picture among the video streams (cover art is skipped); ``readable_end_s`` seconds from the
    start up to which packets can really be read back near the end (None: not checked); ``bytes`` file size.
    """

    container: str
    duration_s: float
    width: int
    height: int
    rotation: int
    display_width: int
    display_height: int
    video_codec: str
    pix_fmt: str
    fps: float | None
    audio_codec: str | None
    nominal_rate: Fraction | None = None
    sar: Fraction = Fraction(1)
    video_stream: int = 0
    color_transfer: str | None = None
    color_primaries: str | None = None
    start_s: float = 0.0
    readable_end_s: float | None = None
    bytes: int = 0

    @property
    def is_hdr(self) -> bool:
        return self.color_transfer in HDR_TRANSFERS or self.color_primaries == "bt2020"

    @property
    def shape(self) -> Orientation | None:
        """Orientation of the displayed picture; None when square."""
        if self.display_height > self.display_width:
            return Orientation.PORTRAIT
        if self.display_width > self.display_height:
            return Orientation.LANDSCAPE
        return None


# --- human units -------------------------------------------------------------------------------------------

def format_duration(seconds: float) -> str:
    """``0.04 s``, ``3.5 s``, ``45 s``, ``12 min 03 s``, ``1 h 02 min 03 s`` (fractions only when not whole),
    translated (Chinese: ``12 分 03 秒``)."""
    seconds = max(seconds, 0.0)
    if seconds < 1:
        return _("%(sec)s s", sec=f"{seconds:.2f}".rstrip("0").rstrip(".") or "0")
    tenths = round(seconds * 10)
    hours, rest = divmod(tenths, 36000)
    minutes, rest = divmod(rest, 600)
    if not hours and not minutes:
        return _("%(sec)s s", sec=rest // 10 if rest % 10 == 0 else f"{rest / 10:.1f}")
    sec = f"{rest // 10:02d}" if rest % 10 == 0 else f"{rest / 10:04.1f}"
    if hours:
        return _("%(h)s h %(min)02d min %(sec)s s", h=hours, min=minutes, sec=sec)
    return _("%(min)s min %(sec)s s", min=minutes, sec=sec)


def format_size(size_bytes: int, decimals: int = 1) -> str:
    """Size in MB (2**20 bytes), e.g. ``62.3 MB``, ``500 MB`` (trailing zeros dropped), translated."""
    value = f"{size_bytes / MIB:.{decimals}f}".rstrip("0").rstrip(".")
    return _("%(size)s MB", size=value)


def _sizes(size_bytes: int, limit_bytes: int) -> tuple[str, str]:
    """Both sizes with just enough decimals (1 to 3) to tell them apart."""
    for decimals in (1, 2, 3):
        pair = format_size(size_bytes, decimals), format_size(limit_bytes, decimals)
        if pair[0] != pair[1]:
            break
    return pair


# --- running tools -----------------------------------------------------------------------------------------

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:
    """Runs in the child before exec: ask Linux for SIGKILL when the parent dies (``prctl(PR_SET_PDEATHSIG)``),
    so that a worker killed outright (SIGKILL, out of memory) leaves no ffmpeg behind. The libc handle is
    loaded in the parent; the child only makes one system call."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def run_tool(args: list[str], *, timeout: float) -> subprocess.CompletedProcess:
    """Run ``args`` (bytes out/err) in a new process group; kill the whole group after ``timeout`` seconds.

    Raises :class:`MediaTimeout` on timeout. The exit status is not checked. On Linux the tool is also killed
    when the calling process dies (see :func:`_die_with_parent`).
    """
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, preexec_fn=_die_with_parent)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise MediaTimeout(_("Processing took longer than the limit of %(limit)s and was stopped.",
                             limit=format_duration(timeout)), detail=" ".join(args)) from None
    except BaseException:
        _kill_group(proc)
        raise
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()


def _tail(stderr: bytes, lines: int = 15) -> str:
    return "\n".join(stderr.decode("utf-8", "replace").strip().splitlines()[-lines:])


def _ffprobe(path: Path, *options: str, timeout: float) -> dict:
    """ffprobe's JSON for ``path``; raises :class:`MediaProcessingError` when ffprobe fails."""
    args = [current_app.config["FFPROBE_BINARY"], "-v", "error", "-of", "json", *options,
            str(Path(path).absolute())]
    done = run_tool(args, timeout=timeout)
    if done.returncode != 0:
        raise MediaProcessingError(_("This is not a video file we can read."), detail=_tail(done.stderr))
    return json.loads(done.stdout or b"{}")



# --- probing -----------------------------------------------------------------------------------------------

def probe(path: Path, *, timeout: float) -> MediaInfo:
    """Facts of the file at ``path`` (two ffprobe runs of at most ``timeout`` seconds each; demuxes only the
    last :data:`TAIL_S` seconds, decodes nothing).

    Raises :class:`MediaRejected` when ffprobe cannot read the file, it has no real video stream (cover art
    does not count) or no duration.
    """
    try:
        data = _ffprobe(path, "-show_format", "-show_streams", timeout=timeout)
    except MediaTimeout:
        raise MediaRejected([_("Reading the file took longer than %(limit)s; it may be damaged.",
                               limit=format_duration(timeout))]) from None
    except MediaProcessingError as exc:
        raise MediaRejected([str(exc)]) from None
    streams = data.get("streams", [])
    videos = [s for s in streams if s.get("codec_type") == "video"]
    pictures = [(n, s) for n, s in enumerate(videos) if not s.get("disposition", {}).get("attached_pic")]
    if not pictures:
        if any(s.get("codec_type") == "audio" for s in streams):
            raise MediaRejected([_("The file has no video stream (audio only).")])
        raise MediaRejected([_("This is not a video file we can read.")])
    ordinal, video = pictures[0]
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    fmt = data.get("format", {})
    start = _number(fmt.get("start_time")) or 0.0
    duration = _number(fmt.get("duration")) or _number(video.get("duration"))
    readable_end = _readable_end(path, start=start, duration=duration or 0.0, timeout=timeout)
    duration = duration or readable_end
    if not duration:
        raise MediaRejected([_("This is not a video file we can read.")])
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise MediaRejected([_("This is not a video file we can read.")])
    rotation, sar = _rotation(video), _ratio(video.get("sample_aspect_ratio")) or Fraction(1)
    display_w, display_h = round(width * sar), height
    if rotation % 180:
        display_w, display_h = display_h, display_w
    return MediaInfo(
        container=fmt.get("format_name", ""), duration_s=round(duration, 3), width=width, height=height,
        rotation=rotation, display_width=display_w, display_height=display_h,
        video_codec=video.get("codec_name", "unknown"), pix_fmt=video.get("pix_fmt", ""),
        fps=_fps(video.get("avg_frame_rate")), audio_codec=audio.get("codec_name") if audio else None,
        nominal_rate=_ratio(video.get("r_frame_rate")), sar=sar, video_stream=ordinal,
        color_transfer=video.get("color_transfer"), color_primaries=video.get("color_primaries"),
        start_s=start, readable_end_s=readable_end, bytes=Path(path).stat().st_size,
    )


def _readable_end(path: Path, *, start: float, duration: float, timeout: float) -> float | None:
    """Seconds (from the file's start) where the last packet that can be read ends; packets are demuxed
    from the keyframe before ``duration - TAIL_S``. 0.0 when nothing there can be read (the index points past
    the end of the file); None when ffprobe cannot tell."""
    seek = start + max(0.0, duration - TAIL_S)
    try:
        data = _ffprobe(path, "-read_intervals", f"{seek:.3f}%", "-show_entries",
                        "packet=pts_time,dts_time,duration_time", timeout=timeout)
    except MediaProcessingError:
        return None
    ends = []
    for packet in data.get("packets", []):
        at = _number(packet.get("pts_time"))
        at = at if at is not None else _number(packet.get("dts_time"))
        if at is not None:
            ends.append(at + (_number(packet.get("duration_time")) or 0.0))
    return round(max(ends) - start, 3) if ends else 0.0


def _number(text) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _ratio(text: str | None) -> Fraction | None:
    try:
        num, den = (int(part) for part in str(text).split(":" if ":" in str(text) else "/"))
    except ValueError:
        return None
    return Fraction(num, den) if num > 0 and den > 0 else None


def _fps(text: str | None) -> float | None:
    rate = _ratio(text)
    return round(float(rate), 3) if rate else None


def _rotation(stream: dict) -> int:
    """Display-matrix rotation in degrees (side data; else the legacy ``rotate`` tag, which turns the other
    way), rounded to a quarter turn and normalised to -90, 0, 90 or 180."""
    side_data = stream.get("side_data_list", [])
    degrees = next((float(sd["rotation"]) for sd in side_data if "rotation" in sd), None)
    if degrees is None:
        degrees = -(_number(stream.get("tags", {}).get("rotate")) or 0.0)
    degrees = round(degrees / 90) * 90 % 360
    return degrees - 360 if degrees > 180 else degrees


# --- contest rules -----------------------------------------------------------------------------------------

def inspect_upload(path: Path, *, contest: Contest, size_bytes: int) -> MediaInfo:
    """Probe an uploaded file and check it against the contest's rules; returns its facts.

    Rules (fields of :class:`~contest.models.Contest`): readable video with a real video stream, complete
    (its end can be read back), ``size_bytes <= max_file_bytes``, ``min_duration_s <= duration <=
    max_duration_s`` (seconds, inclusive), ``orientation`` of the displayed picture (square is neither
    portrait nor landscape). Cheap enough for the upload request: no decoding, each ffprobe run bounded by
    ``PROBE_TIMEOUT``.

    Raises :class:`MediaRejected` with every failed rule at once.
    """
    size_reasons = []
    if size_bytes > contest.max_file_bytes:
        size, limit = _sizes(size_bytes, contest.max_file_bytes)
        size_reasons.append(_("The file is %(size)s; the limit is %(limit)s.", size=size, limit=limit))
    try:
        info = probe(path, timeout=current_app.config["PROBE_TIMEOUT"])
    except MediaRejected as exc:
        raise MediaRejected(exc.reasons + size_reasons) from None
    reasons = _completeness(info) + _duration_rules(info, contest) + _orientation_rules(info, contest)
    if reasons or size_reasons:
        raise MediaRejected(reasons + size_reasons)
    return info


def _completeness(info: MediaInfo) -> list[str]:
    end = info.readable_end_s
    if end is None or end >= MIN_DURATION_SHARE * info.duration_s or info.duration_s - end <= 1.0:
        return []
    return [_("The file is incomplete or damaged: only %(readable)s of its %(duration)s can be read. "
              "Please upload the complete file.",
              readable=format_duration(end), duration=format_duration(info.duration_s))]


def _duration_rules(info: MediaInfo, contest: Contest) -> list[str]:
    if info.duration_s > contest.max_duration_s:
        return [_("The video lasts %(duration)s; the longest allowed is %(limit)s.",
                  duration=format_duration(info.duration_s), limit=format_duration(contest.max_duration_s))]
    if info.duration_s < contest.min_duration_s:
        return [_("The video lasts %(duration)s; the shortest allowed is %(limit)s.",
                  duration=format_duration(info.duration_s), limit=format_duration(contest.min_duration_s))]
    return []


def _orientation_rules(info: MediaInfo, contest: Contest) -> list[str]:
    wanted = Orientation(contest.orientation)
    if wanted == Orientation.ANY or info.shape == wanted:
        return []
    names = {Orientation.PORTRAIT: _("portrait"), Orientation.LANDSCAPE: _("landscape")}
    shape = names.get(info.shape, _("square"))
    size = {"width": info.display_width, "height": info.display_height, "shape": shape}
    if wanted == Orientation.PORTRAIT:
        return [_("The contest accepts only portrait videos (taller than wide); this one is shown "
                  "%(width)s×%(height)s (%(shape)s).", **size)]
    return [_("The contest accepts only landscape videos (wider than tall); this one is shown "
              "%(width)s×%(height)s (%(shape)s).", **size)]


def apply_facts(video: Video, info: MediaInfo) -> None:
    """Copy probed facts of the original onto ``video``: container, duration_s, width, height, rotation,
    video_codec, audio_codec, fps (``bytes``/``sha256`` come from storage and are left alone)."""
    video.container = info.container[:100]
    video.duration_s = info.duration_s
    video.width, video.height, video.rotation = info.width, info.height, info.rotation
    video.video_codec = info.video_codec[:40]
    video.audio_codec = info.audio_codec[:40] if info.audio_codec else None
    video.fps = info.fps
