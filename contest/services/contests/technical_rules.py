"""Technical requirements an organizer sets on a contest (formats, codecs, resolution, frame rate, sound):
their shape, the checks before they are saved and how they are written onto the contest.

Duration, size and orientation stay plain fields of :func:`contest.services.contests.setup.create_contest`; the
uploads are checked against all of them by :func:`contest.services.media.rules.check`. Nothing here touches
the database session.
"""
import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _

from contest.models import Contest, Orientation
from contest.models.contest import CONTAINER_LABELS, VIDEO_CODEC_LABELS

#: Largest side an organizer can ask for, pixels (16K is 15360).
MAX_SIDE_PX = 16384
#: Highest frame rate an organizer can ask for, fps.
MAX_FPS = 1000
_RESOLUTION = re.compile(r"^(\d{1,6})\s*[x×*]\s*(\d{1,6})$", re.IGNORECASE)
_SHORT_SIDE = re.compile(r"^(\d{1,6})\s*p?$", re.IGNORECASE)


@dataclass(frozen=True)
class TechnicalRules:
    """A contest's technical requirements, the one value object every check reads; empty / None = no limit.

    ``max_file_bytes``: largest original, bytes (inclusive); ``min_duration_s``/``max_duration_s``: seconds,
    inclusive; ``orientation``: of the displayed picture (:class:`~contest.models.Orientation`, ``any`` = no
    rule). These four are set with the contest's other fields (:mod:`contest.services.contests.setup`) and
    checked there; the rest below is validated by :func:`problems` and written by :func:`apply_rules`.

    ``containers``: keys of :data:`~contest.models.contest.CONTAINER_LABELS` (``("mp4",)``); ``video_codecs``:
    keys of :data:`~contest.models.contest.VIDEO_CODEC_LABELS` (``("h264",)``); ``*_short_px``/``*_long_px``:
    short and long side of the displayed picture in pixels, inclusive (an organizer's "1080×1920" is short
    1080, long 1920 whichever way the picture is turned; a long side needs a short side);
    ``min_fps``/``max_fps``: average frame rate, frames per second, inclusive; ``audio_required``: the video
    needs a sound track.
    """

    max_file_bytes: int | None = None
    min_duration_s: float | None = None
    max_duration_s: float | None = None
    orientation: Orientation = Orientation.ANY
    containers: tuple[str, ...] = ()
    video_codecs: tuple[str, ...] = ()
    min_short_px: int | None = None
    min_long_px: int | None = None
    max_short_px: int | None = None
    max_long_px: int | None = None
    min_fps: float | None = None
    max_fps: float | None = None
    audio_required: bool = False

    @classmethod
    def of(cls, contest: Contest) -> "TechnicalRules":
        """The rules a contest has now."""
        return cls(max_file_bytes=contest.max_file_bytes, min_duration_s=contest.min_duration_s,
                   max_duration_s=contest.max_duration_s,
                   orientation=Orientation(contest.orientation or Orientation.ANY),
                   containers=tuple(contest.container_list), video_codecs=tuple(contest.video_codec_list),
                   min_short_px=contest.min_short_px, min_long_px=contest.min_long_px,
                   max_short_px=contest.max_short_px, max_long_px=contest.max_long_px,
                   min_fps=contest.min_fps, max_fps=contest.max_fps,
                   audio_required=bool(contest.audio_required))


def parse_resolution(text: str | None) -> tuple[int | None, int | None]:
    """An organizer's resolution → ``(short, long)`` pixels: ``"1080×1920"``, ``"1920x1080"``,
    ``"1080*1920"`` → ``(1080, 1920)``; ``"1080p"`` or ``"1080"`` → ``(1080, None)`` (short side only); blank
    → ``(None, None)``. Full-width digits and signs are accepted. Raises ValueError for anything else."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return None, None
    if match := _RESOLUTION.match(text):
        first, second = int(match[1]), int(match[2])
        return min(first, second), max(first, second)
    if match := _SHORT_SIDE.match(text):
        return int(match[1]), None
    raise ValueError(f"not a resolution: {text!r}")


def problems(rules: TechnicalRules) -> list[tuple[str, str]]:
    """Every broken set-up rule as ``(field, message)``; fields are those of the contest form
    (``allowed_containers``, ``allowed_video_codecs``, ``min_resolution``, ``max_resolution``, ``min_fps``,
    ``max_fps``). Empty when the rules can be saved."""
    found = []
    unknown = [key for key in rules.containers if key not in CONTAINER_LABELS]
    if unknown:
        found.append(("allowed_containers", _("Unknown file format: %(names)s.", names=", ".join(unknown))))
    unknown = [key for key in rules.video_codecs if key not in VIDEO_CODEC_LABELS]
    if unknown:
        found.append(("allowed_video_codecs", _("Unknown video codec: %(names)s.", names=", ".join(unknown))))
    found += _resolution_problems(rules)
    found += _fps_problems(rules)
    return found


def apply_rules(contest: Contest, rules: TechnicalRules) -> None:
    """Write ``rules`` onto ``contest`` (call :func:`problems` first). Format and codec keys are stored in the
    order of their label tables, once each."""
    contest.allowed_containers = ",".join(key for key in CONTAINER_LABELS if key in rules.containers)
    contest.allowed_video_codecs = ",".join(key for key in VIDEO_CODEC_LABELS if key in rules.video_codecs)
    contest.min_short_px, contest.min_long_px = rules.min_short_px, rules.min_long_px
    contest.max_short_px, contest.max_long_px = rules.max_short_px, rules.max_long_px
    contest.min_fps = float(rules.min_fps) if rules.min_fps is not None else None
    contest.max_fps = float(rules.max_fps) if rules.max_fps is not None else None
    contest.audio_required = bool(rules.audio_required)


def _resolution_problems(rules: TechnicalRules) -> list[tuple[str, str]]:
    found = []
    for field, short, long in (("min_resolution", rules.min_short_px, rules.min_long_px),
                               ("max_resolution", rules.max_short_px, rules.max_long_px)):
        sides = [side for side in (short, long) if side is not None]
        if long is not None and short is None:
            found.append((field, _("Give both sides of the resolution, e.g. 1080×1920.")))
        elif any(side <= 0 or side > MAX_SIDE_PX for side in sides):
            found.append((field, _("Each side of the resolution must be between 1 and %(max)s pixels.",
                                   max=MAX_SIDE_PX)))
        elif long is not None and short > long:
            found.append((field, _("The short side (%(short)s) cannot be longer than the long side "
                                   "(%(long)s).", short=short, long=long)))
    if found or rules.min_short_px is None or rules.max_short_px is None:
        return found
    longs = (rules.min_long_px, rules.max_long_px)
    too_high = rules.min_short_px > rules.max_short_px or (None not in longs and longs[0] > longs[1])
    if too_high:
        lowest = f"{rules.min_short_px}×{longs[0]}" if longs[0] else f"{rules.min_short_px}p"
        found.append(("max_resolution", _("The highest resolution must be at least the lowest (%(min)s).",
                                          min=lowest)))
    return found


def _fps_problems(rules: TechnicalRules) -> list[tuple[str, str]]:
    found = []
    for field, fps in (("min_fps", rules.min_fps), ("max_fps", rules.max_fps)):
        if fps is not None and not 0 < fps <= MAX_FPS:
            found.append((field, _("The frame rate must be above 0 and at most %(max)s fps.", max=MAX_FPS)))
    both = rules.min_fps is not None and rules.max_fps is not None
    if not found and both and rules.min_fps > rules.max_fps:
        found.append(("max_fps", _("The highest frame rate must be at least the lowest (%(min)s fps).",
                                   min=f"{rules.min_fps:g}")))
    return found
