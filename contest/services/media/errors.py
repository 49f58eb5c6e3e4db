"""Errors of the media pipeline. Messages are for people (translated); ``detail`` is for organizers and logs."""
from __future__ import annotations

from contest.errors import DomainError


class MediaRejected(DomainError):
    """The file is not a video we can read, or it breaks contest rules.

    ``reasons``: translated sentences, one per failed rule, each naming the measured value and the limit.
    """


class MediaProcessingError(DomainError):
    """No playable poster or rendition could be made. The message is for people; ``detail`` (ffmpeg's stderr
    tail) is for the log."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.detail = detail


class MediaTimeout(MediaProcessingError):
    """An ffmpeg/ffprobe run passed its time limit and its process group was killed."""


class ToolUnavailable(OSError):
    """ffmpeg or ffprobe could not be started (not installed, not executable, wrong ``FFMPEG_BINARY`` /
    ``FFPROBE_BINARY``): the server's fault, not the file's; the job is retried and fails readably when the
    attempts run out. An ``OSError`` with the original ``errno`` and ``filename`` (the program)."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()
