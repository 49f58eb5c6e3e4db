"""The facts ffprobe gives of an original file (:class:`MediaInfo`): what :mod:`contest.services.media.probe`
returns and what the rules (:mod:`contest.services.media.rules`) and renditions read."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from contest.models import Orientation

HDR_TRANSFERS = {"arib-std-b67", "smpte2084"}


@dataclass(frozen=True)
class MediaInfo:
    """Facts of an ORIGINAL file, from ffprobe.

    ``duration_s`` seconds (container duration, else the video stream's); ``width``/``height`` coded pixels;
    ``rotation`` display-matrix degrees normalised to -90/90/180/0; ``display_*`` the picture as shown (after
    ``sar`` and rotation); ``fps`` the average frame rate (``avg_frame_rate``), ``nominal_rate`` the base
    rate (``r_frame_rate``, may be absurd such as 57600 for variable-frame-rate files); ``video_stream`` the
    ordinal of the picture among the video streams (cover art is skipped); ``readable_end_s`` seconds from the
    start up to which packets can really be read back near the end (None: not checked); ``bytes`` file size.
    ``demuxer`` the accepted ffmpeg demuxer that opened it (passed as ``-f`` to every later run);
    ``full_range`` the picture uses full-range (0-255, "pc"/JPEG) levels; ``interlaced`` its frames are coded
    as fields; ``audio_stream`` the ordinal among the audio streams of the sound converted
    (``audio_codec``), ``ignored_audio`` the codec of a sound track that is not converted (not in
    :data:`~contest.services.media.formats.AUDIO_CODECS`); ``stream_count`` all streams of the file,
    ``has_attached_pic`` it carries cover art; ``last_frame_s`` how long the last video frame is shown
    (seconds, None: unknown) — a variable-frame-rate recording may hold it for seconds.
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
    demuxer: str = "mov"
    full_range: bool = False
    interlaced: bool = False
    audio_stream: int = 0
    ignored_audio: str | None = None
    stream_count: int = 0
    has_attached_pic: bool = False
    last_frame_s: float | None = None

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
