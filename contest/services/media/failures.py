"""What a media job does when it fails for a reason other than the video itself: the server cannot start
ffmpeg, the disk is full, the storage cannot be reached, a run passed Celery's time limit — all may pass
later, so the job is tried again after a growing wait —, or an error nobody expected (a bug), which fails the
video at once. Either way the video ends with a readable reason for the creator and the technical detail for
organizers, and the organizer can run it again (:func:`contest.services.media.actions.rerun_processing`).

Content failures (:class:`~contest.services.media.errors.MediaRejected`,
:class:`~contest.services.media.errors.MediaProcessingError`) are not handled here: the job records them
itself and never retries them.
"""
from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from contest.infra.storage import StorageError, is_disk_full
from contest.infra.tasks import backoff_s, is_time_limit, is_transient, on_start
from contest.services.media.errors import ToolUnavailable
from contest.services.media.tools import check_tools

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Failure:
    """How a job's error is handled: ``retry`` when it may pass later; ``reason`` the sentence for the
    creator once the attempts have run out (or at once when not retried); ``detail`` for organizers."""

    retry: bool
    reason: str
    detail: str


def classify(exc: BaseException) -> Failure:
    """The :class:`Failure` of ``exc``, raised by a media job outside the video's own checks.

    Retried: :class:`~contest.services.media.errors.ToolUnavailable` (ffmpeg/ffprobe missing), a full disk
    (:func:`contest.infra.storage.is_disk_full`), any storage error (``StorageError``, botocore), Celery's
    soft time limit and every other :func:`contest.infra.tasks.is_transient` error. Anything else is a bug
    and is not retried. Reasons are translated in the current locale (a job runs in
    ``BABEL_DEFAULT_LOCALE``)."""
    cause = _cause(exc)
    if cause is None:
        return Failure(False, _("An unexpected error stopped the processing of this video. The organizers "
                                "have the details and can process it again; please contact them."),
                       _traceback_tail(exc))
    return Failure(True, _("The server could not process the video for a while (%(cause)s), so we stopped "
                           "trying. Please contact the organizers or upload the video again later.",
                           cause=cause), f"{type(exc).__name__}: {exc}")


def _cause(exc: BaseException) -> str | None:
    """The server-side cause of ``exc`` in a few words, or None when it is not one that may pass."""
    if _in_chain(exc, ToolUnavailable):
        return _("the video conversion programs cannot be started")
    if is_disk_full(exc):
        return _("not enough storage space")
    if _in_chain(exc, StorageError) or _is_boto_error(exc):
        return _("the file storage cannot be reached")
    if is_time_limit(exc):
        return _("processing took too long")
    if is_transient(exc):
        return _("a temporary server error")
    return None


def retry_delay_s(attempt: int) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1, 2 …) before the next one:
    ``MEDIA_RETRY_BASE_S`` × 2^(attempt − 1), at most ``MEDIA_RETRY_MAX_S``."""
    cfg = current_app.config
    return backoff_s(cfg["MEDIA_RETRY_BASE_S"], attempt - 1, cfg["MEDIA_RETRY_MAX_S"])


@on_start
def report_missing_tools() -> None:
    """When the in-process task runner starts (the web process's first request): log an error naming the
    problem when ffmpeg or ffprobe cannot be run (:func:`contest.services.media.tools.check_tools`). Videos
    uploaded meanwhile are retried, then fail with a readable reason; they never stay "processing"."""
    try:
        versions = check_tools(current_app.config)
    except ToolUnavailable as exc:
        log.error("videos cannot be processed: %s", exc)
    else:
        log.info("media tools: %s", "; ".join(versions.values()))


def _in_chain(exc: BaseException | None, kind: type[BaseException]) -> bool:
    while exc is not None:
        if isinstance(exc, kind):
            return True
        exc = exc.__cause__
    return False


def _is_boto_error(exc: BaseException | None) -> bool:
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # no `s3` extra, so no S3 storage either
        return False
    return _in_chain(exc, BotoCoreError) or _in_chain(exc, ClientError)


def _traceback_tail(exc: BaseException, lines: int = 12) -> str:
    """The exception and the last ``lines`` lines of its traceback, for organizers and the log."""
    text = "".join(traceback.format_exception(exc)).strip().splitlines()
    return "\n".join(text[-lines:])
