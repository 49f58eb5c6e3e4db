"""A contest's technical requirements, checked against the facts ffprobe gives of an uploaded original.

Every rule reads the contest's :class:`~contest.services.contests.technical_rules.TechnicalRules` (empty or None = no limit) and, when it fails,
says the measured value and the limit in the user's language. Facts come from
:class:`~contest.services.media.probe.MediaInfo` (ffprobe ``-show_format -show_streams``): ``container`` is
ffprobe's ``format_name``, ``video_codec`` the stream's ``codec_name``, ``fps`` its ``avg_frame_rate``
(frames / duration, so variable-frame-rate phone clips have a sensible value), ``display_width`` /
``display_height`` the picture as shown (after the display-matrix rotation and the sample aspect ratio),
``audio_codec`` None when the file has no audio stream.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _

from contest.formatting import format_duration, format_size
from contest.models import Orientation
from contest.models.contest import CONTAINER_LABELS, VIDEO_CODEC_LABELS
from contest.services.contests.technical_rules import TechnicalRules

if TYPE_CHECKING:
    from contest.services.media.info import MediaInfo

#: ffprobe ``format_name`` parts of each container family of :data:`~contest.models.CONTAINER_LABELS`. The
#: ISO media family (mp4, mov, m4v, 3gp) is one ffprobe format, ``mov,mp4,m4a,3gp,3g2,mj2``.
CONTAINER_FORMATS = {
    "mp4": {"mov", "mp4"}, "webm": {"matroska", "webm"}, "ts": {"mpegts"}, "avi": {"avi"}, "flv": {"flv"},
    "wmv": {"asf"}, "mpg": {"mpeg", "mpegvideo"},
}
#: Relative slack of the frame-rate window: a 29.97 fps clip meets "at least 30 fps", a phone clip averaging
#: 60.3 fps meets "at most 60 fps".
FPS_TOLERANCE = 0.01
def check(info: MediaInfo, rules: TechnicalRules, size_bytes: int) -> list[str]:
    """Every failed rule of ``rules`` for a probed original of ``size_bytes`` bytes, as translated sentences
    naming the measured value and the limit (empty list: the file meets them all).

    Rules, in this order: container family, video codec, duration (``min_duration_s``..``max_duration_s``
    seconds, inclusive), orientation of the displayed picture, resolution (short and long side of the
    displayed picture, pixels, inclusive), average frame rate (fps, inclusive, :data:`FPS_TOLERANCE`), a sound
    track when ``audio_required``, file size (``max_file_bytes``, inclusive).
    """
    return (container_rule(info, rules) + codec_rule(info, rules) + duration_rule(info, rules)
            + orientation_rule(info, rules) + resolution_rule(info, rules) + fps_rule(info, rules)
            + audio_rule(info, rules) + size_rule(rules, size_bytes))


def container_family(format_name: str) -> str | None:
    """The family key of an ffprobe ``format_name`` (``"mov,mp4,m4a,3gp,3g2,mj2"`` → ``"mp4"``), else None."""
    parts = set(format_name.split(","))
    return next((family for family, names in CONTAINER_FORMATS.items() if parts & names), None)


def container_rule(info: MediaInfo, rules: TechnicalRules) -> list[str]:
    allowed = rules.containers
    family = container_family(info.container)
    if not allowed or family in allowed:
        return []
    found = CONTAINER_LABELS.get(family) or (info.container.split(",")[0].upper() or _("unknown"))
    return [_("The file is in %(found)s format; this contest accepts only %(allowed)s.",
              found=found, allowed=_either(CONTAINER_LABELS.get(key, key) for key in allowed))]


def codec_rule(info: MediaInfo, rules: TechnicalRules) -> list[str]:
    allowed = rules.video_codecs
    if not allowed or info.video_codec in allowed:
        return []
    found = VIDEO_CODEC_LABELS.get(info.video_codec, info.video_codec.upper())
    return [_("The video is encoded as %(found)s; this contest accepts only %(allowed)s.",
              found=found, allowed=_either(VIDEO_CODEC_LABELS.get(key, key) for key in allowed))]


def duration_rule(info: MediaInfo, rules: TechnicalRules) -> list[str]:
    """``min_duration_s <= duration_s <= max_duration_s`` (seconds)."""
    if rules.max_duration_s is not None and info.duration_s > rules.max_duration_s:
        return [_("The video lasts %(duration)s; the longest allowed is %(limit)s.",
                  duration=format_duration(info.duration_s),
                  limit=format_duration(rules.max_duration_s))]
    if rules.min_duration_s is not None and info.duration_s < rules.min_duration_s:
        return [_("The video lasts %(duration)s; the shortest allowed is %(limit)s.",
                  duration=format_duration(info.duration_s),
                  limit=format_duration(rules.min_duration_s))]
    return []


def shape(info: MediaInfo) -> Orientation:
    """Orientation of the displayed picture: portrait, landscape or square (exactly as wide as tall)."""
    return info.shape or Orientation.SQUARE


def orientation_rule(info: MediaInfo, rules: TechnicalRules) -> list[str]:
    wanted = rules.orientation
    found = shape(info)
    if wanted in (Orientation.ANY, found):
        return []
    names = {Orientation.PORTRAIT: _("portrait"), Orientation.LANDSCAPE: _("landscape"),
             Orientation.SQUARE: _("square")}
    size = {"width": info.display_width, "height": info.display_height, "shape": names[found]}
    if wanted == Orientation.PORTRAIT:
        return [_("The contest accepts only portrait videos (taller than wide); this one is shown "
                  "%(width)s×%(height)s (%(shape)s).", **size)]
    if wanted == Orientation.LANDSCAPE:
        return [_("The contest accepts only landscape videos (wider than tall); this one is shown "
                  "%(width)s×%(height)s (%(shape)s).", **size)]
    return [_("The contest accepts only square videos (as wide as tall); this one is shown "
              "%(width)s×%(height)s (%(shape)s).", **size)]


def resolution_rule(info: MediaInfo, rules: TechnicalRules) -> list[str]:
    """Short and long side of the displayed picture against ``min_short_px``/``min_long_px`` and
    ``max_short_px``/``max_long_px`` (pixels, inclusive; a missing side is not checked)."""
    width, height = info.display_width, info.display_height
    short, long = min(width, height), max(width, height)
    shown = f"{width}×{height}"
    if _below(short, rules.min_short_px) or _below(long, rules.min_long_px):
        return [_("The picture is %(size)s; this contest requires at least %(limit)s.", size=shown,
                  limit=_limit(rules.min_short_px, rules.min_long_px, portrait=height > width))]
    if _below(rules.max_short_px, short) or _below(rules.max_long_px, long):
        return [_("The picture is %(size)s; this contest allows at most %(limit)s.", size=shown,
                  limit=_limit(rules.max_short_px, rules.max_long_px, portrait=height > width))]
    return []


def fps_rule(info: MediaInfo, rules: TechnicalRules) -> list[str]:
    """Average frame rate within ``min_fps``..``max_fps`` (fps, inclusive, :data:`FPS_TOLERANCE` slack).
    A file whose frame rate ffprobe cannot tell is not refused for it."""
    if info.fps is None:
        return []
    if rules.min_fps is not None and info.fps < rules.min_fps * (1 - FPS_TOLERANCE):
        return [_("The frame rate is %(fps)s fps; the lowest allowed is %(limit)s fps.",
                  fps=_rate(info.fps), limit=_rate(rules.min_fps))]
    if rules.max_fps is not None and info.fps > rules.max_fps * (1 + FPS_TOLERANCE):
        return [_("The frame rate is %(fps)s fps; the highest allowed is %(limit)s fps.",
                  fps=_rate(info.fps), limit=_rate(rules.max_fps))]
    return []


def audio_rule(info: MediaInfo, rules: TechnicalRules) -> list[str]:
    """With ``audio_required`` the file needs an audio stream (its loudness is not judged)."""
    if rules.audio_required and info.audio_codec is None:
        return [_("The video has no sound track; this contest requires videos with sound.")]
    return []


def size_rule(rules: TechnicalRules, size_bytes: int) -> list[str]:
    """``size_bytes <= max_file_bytes`` (bytes); sizes are shown in MB with just enough decimals (1 to 3) to
    differ, else in bytes. Needs no probe, so it is also reported for files ffprobe cannot read."""
    if rules.max_file_bytes is None or size_bytes <= rules.max_file_bytes:
        return []
    for decimals in (1, 2, 3):
        size = format_size(size_bytes, decimals)
        limit = format_size(rules.max_file_bytes, decimals)
        if size != limit:
            break
    else:
        size = _("%(n)s bytes", n=f"{size_bytes:,}")
        limit = _("%(n)s bytes", n=f"{rules.max_file_bytes:,}")
    return [_("The file is %(size)s; the limit is %(limit)s.", size=size, limit=limit)]


# --- helpers ------------------------------------------------------------------------------------------------

def _below(value: int | None, limit: int | None) -> bool:
    return value is not None and limit is not None and value < limit


def _limit(short: int | None, long: int | None, *, portrait: bool) -> str:
    """``1080×1920`` written the way the measured picture is turned; a short side alone reads ``1080p``."""
    if long is None:
        return f"{short}p"
    return f"{short}×{long}" if portrait else f"{long}×{short}"


def _rate(fps: float) -> str:
    """``25``, ``29.97``, ``7.22`` (at most two decimals)."""
    return f"{fps:.2f}".rstrip("0").rstrip(".")


def _either(names) -> str:
    """``MP4 / MOV or WebM / MKV`` (zh: ``MP4 / MOV或WebM / MKV``), in the user's language."""
    return format_list(list(names), style="or", locale=str(get_locale() or "en"))
