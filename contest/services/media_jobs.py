"""Media tasks: turn an uploaded original into a poster and a web rendition, and recover after a restart.

The job is its own request boundary: it commits. Its row (:class:`~contest.models.Video`) records the durable
state (pending → processing → ready | failed), the attempt count and a readable error.
"""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from contest.extensions import db
from contest.models import Video, VideoState, utcnow
from contest.services import media, renditions
from contest.services.storage import get_storage, new_key
from contest.services.tasks import enqueue, on_start, task

log = logging.getLogger(__name__)

DONE = {VideoState.READY, VideoState.FAILED}


@task
def process_video(video_id: int) -> None:
    """Make the poster and web rendition of video ``video_id`` and record the outcome on its row.

    Safe to run twice: a missing, ready or failed row is left alone; a re-run of a pending/processing row
    replaces earlier outputs, so one poster and one rendition remain. Each run counts an attempt; past
    ``MEDIA_MAX_ATTEMPTS`` (runs interrupted by a dying process) the row fails without another try.
    On a content failure (unreadable, damaged, ffmpeg error or timeout) the row becomes ``failed`` with a
    readable ``error`` and every stored file of the video (original included) is deleted; the row stays so
    the creator sees why. Other errors (storage, database) propagate and leave the row for recovery.
    ``error`` is written in the default UI language (``BABEL_DEFAULT_LOCALE``): a job has no visitor.
    """
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        _process(video_id)


def _process(video_id: int) -> None:
    video = db.session.get(Video, video_id)
    if video is None or video.state in DONE:
        return
    video.attempts += 1
    video.state, video.processing_started_at = VideoState.PROCESSING, utcnow()
    original_key, old_keys = video.original_key, [video.poster_key, video.rendition_key]
    too_often = video.attempts > current_app.config["MEDIA_MAX_ATTEMPTS"]
    db.session.commit()  # the claim is durable; nothing holds the database while ffmpeg runs
    if too_often:
        _finish_failed(video_id, _("Processing was interrupted too often; please upload the video again."),
                       delete=old_keys)
        return
    if not get_storage().exists(original_key):
        log.error("video %s: original %s is missing from storage", video_id, original_key)
        _finish_failed(video_id, _("The uploaded file could not be found; please upload it again."),
                       delete=old_keys)
        return
    try:
        outputs = _render(original_key)
    except media.MediaRejected as exc:
        _finish_failed(video_id, " ".join(exc.reasons), delete=[original_key, *old_keys])
    except media.MediaProcessingError as exc:
        log.warning("video %s failed: %s\n%s", video_id, exc, exc.detail)
        _finish_failed(video_id, str(exc), delete=[original_key, *old_keys])
    else:
        _finish_ready(video_id, outputs, old_keys)


def _render(original_key: str) -> dict:
    """Poster + rendition of the stored original, verified and stored under new keys; returns the facts for
    the row. Temporary files are removed on every path; stored outputs are removed again if a later step
    fails."""
    storage, cfg = get_storage(), current_app.config
    stored: list[str] = []
    try:
        with (tempfile.TemporaryDirectory(prefix="contest-media-") as tmp,
              storage.local_path(original_key) as src):
            poster, rendition = Path(tmp) / "poster.jpg", Path(tmp) / "rendition.mp4"
            info = media.probe(src, timeout=cfg["PROBE_TIMEOUT"])
            renditions.make_poster(src, poster, info)
            renditions.transcode(src, rendition, info)
            facts = renditions.verify_rendition(rendition, info)
            poster_key, rendition_key = new_key("posters", ".jpg"), new_key("renditions", ".mp4")
            stored.append(poster_key)
            storage.put_file(poster_key, poster)
            stored.append(rendition_key)
            kept = storage.put_file(rendition_key, rendition)
    except BaseException:
        for key in stored:
            storage.delete(key)
        raise
    return {"poster_key": poster_key, "rendition_key": rendition_key, "rendition_width": facts.width,
            "rendition_height": facts.height, "rendition_bytes": kept.bytes}


def _finish_ready(video_id: int, outputs: dict, old_keys: list[str | None]) -> None:
    storage = get_storage()
    video = db.session.get(Video, video_id, populate_existing=True)
    if video is None or video.state != VideoState.PROCESSING:  # replaced or settled meanwhile: outputs unused
        db.session.rollback()
        for key in (outputs["poster_key"], outputs["rendition_key"]):
            storage.delete(key)
        return
    for field, value in outputs.items():
        setattr(video, field, value)
    video.state, video.error, video.processed_at = VideoState.READY, None, utcnow()
    db.session.commit()
    for key in old_keys:
        storage.delete(key)


def _finish_failed(video_id: int, reason: str, *, delete: list[str | None]) -> None:
    video = db.session.get(Video, video_id, populate_existing=True)
    if video is not None and video.state != VideoState.PROCESSING:  # settled by someone else meanwhile
        db.session.rollback()
        return
    if video is not None:
        delete = [*delete, video.poster_key, video.rendition_key]
        video.state, video.error, video.processed_at = VideoState.FAILED, reason, utcnow()
        video.poster_key = video.rendition_key = None
    db.session.commit()
    storage = get_storage()
    for key in delete:
        storage.delete(key)


@on_start
def recover_unfinished() -> None:
    """After a restart: rows left ``processing`` by a dead process go back to ``pending``, then every pending
    row is queued for :func:`process_video` (which counts the attempt)."""
    db.session.execute(update(Video).where(Video.state == VideoState.PROCESSING)
                       .values(state=VideoState.PENDING))
    pending = list(db.session.scalars(select(Video.id).where(Video.state == VideoState.PENDING)
                                      .order_by(Video.id)))
    db.session.commit()
    for video_id in pending:
        enqueue("process_video", video_id)
