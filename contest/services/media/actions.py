"""Actions on an entry's video after its processing: an organizer runs the processing again, a creator picks
the poster's moment (the task :func:`make_poster_at` then makes it). The verbs flush, never commit; the task
commits.
"""
from __future__ import annotations

import logging
import math
import tempfile
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from contest.errors import DomainError
from contest.extensions import db
from contest.infra.storage import get_storage, new_key
from contest.infra.tasks import task
from contest.models import Entry, Video, VideoState
from contest.services.media import probe as media
from contest.services.media import renditions
from contest.services.media.errors import MediaProcessingError, MediaRejected
from contest.services.submissions.entries import require_editable
from contest.services.submissions.errors import SubmissionError
from contest.services.submissions.window import require_open

log = logging.getLogger(__name__)


class VideoActionError(DomainError):
    """An action on a video is not possible now; the message is a translated sentence."""


def failure_detail(exc: Exception) -> str:
    """The technical detail of a failure, for organizers: the exception, then ffmpeg's stderr tail if any."""
    detail = getattr(exc, "detail", "")
    return f"{type(exc).__name__}: {exc}" + (f"\n{detail}" if detail else "")


# --- organizers: run the processing again ------------------------------------------------------------------

def can_rerun(video: Video | None) -> bool:
    """True when ``video`` is ready or failed and its original is still stored (one storage lookup). The
    original of a video refused by the rules or as a duplicate is deleted: the creator must upload again."""
    return (video is not None and video.state in (VideoState.READY, VideoState.FAILED)
            and get_storage().exists(video.original_key))


def rerun_processing(*, video: Video) -> Video:
    """Organizer action: set ``video`` back to pending with no attempt, error, detail or progress, so that
    :func:`contest.services.media.jobs.process_video` makes its poster, rendition, preview and fingerprint
    again from the stored original (the files of a ready video are replaced once the new ones are made).
    The caller commits, then queues ``process_video``.

    Raises :class:`VideoActionError` when the video is still waiting or processing, or its original is no
    longer stored.
    """
    if video.state not in (VideoState.READY, VideoState.FAILED):
        raise VideoActionError(_("The video is still being processed; wait until it is done."))
    if not get_storage().exists(video.original_key):
        raise VideoActionError(_("The original file of this video is no longer stored (it was refused), so it "
                                 "cannot be processed again; the creator must upload it again."))
    video.state, video.attempts, video.progress = VideoState.PENDING, 0, 0.0
    video.error = video.error_detail = video.processing_started_at = video.processed_at = None
    video.next_attempt_at = None
    db.session.flush()
    return video


# --- creators: the poster's moment -------------------------------------------------------------------------

def choose_poster_time(*, entry: Entry, seconds) -> float:
    """Creator action: the poster of the entry's video is to be taken at ``seconds`` (a number or the text of
    a form field, e.g. ``"12.5"``; rounded to 0.01 s) from the start; records it as ``poster_time_s`` and
    returns it. The caller commits, then queues ``make_poster_at(video.id, seconds)``.

    Raises :class:`~contest.services.submissions.entries.SubmissionError` outside the submission window, for a
    withdrawn or disqualified entry, when the video is not ready, or when ``seconds`` is not a number from 0
    to the video's duration.
    """
    require_open(entry.contest)
    require_editable(entry)
    video = entry.video
    if video is None or video.state != VideoState.READY or not video.rendition_key:
        raise SubmissionError(_("The poster can be chosen once the video is ready."))
    duration = video.duration_s or 0.0
    try:
        at = float(str(seconds).strip().replace(",", "."))
    except ValueError:
        at = math.nan
    if not (math.isfinite(at) and 0 <= at <= duration):
        raise SubmissionError(_("Choose a moment from 0 to %(max)s seconds.", max=f"{duration:.1f}"))
    video.poster_time_s = round(at, 2)
    db.session.flush()
    return video.poster_time_s


@task
def make_poster_at(video_id: int, seconds: float) -> None:
    """Make the poster of ready video ``video_id`` from the frame at ``seconds`` (the creator's choice, see
    :func:`choose_poster_time`), taken from the rendition — smaller than the original, already upright and
    local or quick to fetch — and swap it in; the old poster file is deleted.

    Does nothing when the row is gone, not ready, or a newer choice replaced ``seconds`` meanwhile. When no
    frame can be decoded there, the old poster stays, ``poster_time_s`` goes back to None and
    ``error_detail`` says why. Commits.
    """
    video = db.session.get(Video, video_id)
    if video is None or video.state != VideoState.READY or not video.rendition_key \
            or video.poster_time_s != seconds:
        return
    rendition_key, storage = video.rendition_key, get_storage()
    db.session.rollback()  # nothing holds the database while ffmpeg runs
    key = failure = None
    try:
        with (tempfile.TemporaryDirectory(prefix="contest-poster-") as folder,
              storage.local_path(rendition_key) as src):
            poster = Path(folder) / "poster.jpg"
            info = media.probe(src, timeout=current_app.config["PROBE_TIMEOUT"])
            renditions.make_poster_at(src, poster, info, seconds)
            key = storage.put_file(new_key("posters", ".jpg"), poster).key
    except (MediaRejected, MediaProcessingError) as exc:
        log.warning("poster of video %s at %s s failed: %s", video_id, seconds, exc)
        failure = f"poster at {seconds} s: {failure_detail(exc)}"
    video = db.session.get(Video, video_id, populate_existing=True)
    if video is None or video.rendition_key != rendition_key or video.poster_time_s != seconds:
        db.session.rollback()
        storage.delete(key)
        return
    if key is None:
        video.poster_time_s, video.error_detail = None, failure
        db.session.commit()
        return
    old, video.poster_key = video.poster_key, key
    db.session.commit()
    storage.delete(old)
