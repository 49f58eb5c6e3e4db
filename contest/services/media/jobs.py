"""Media tasks: turn an uploaded original into a poster, a web rendition and a preview (小样), and recover
after a restart (the poster at a moment the creator chose: :mod:`contest.services.media.actions`).

A job is its own request boundary: it commits. Its row (:class:`~contest.models.Video`) records the durable
state (pending → processing → ready | failed), the attempt count, the progress while ffmpeg runs, a readable
error for the creator and the technical detail for organizers (``error_detail``).
"""
from __future__ import annotations

import hashlib
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from contest.extensions import db
from contest.infra.storage import CHUNK_BYTES, get_storage, new_key
from contest.infra.tasks import enqueue, on_start, task
from contest.models import Video, VideoState, utcnow
from contest.services.contests.technical_rules import TechnicalRules
from contest.services.media import duplicates, failures, fingerprint, renditions
from contest.services.media import probe as media
from contest.services.media.actions import (
    failure_detail,  # also registers the task make_poster_at
)
from contest.services.media.errors import MediaProcessingError, MediaRejected

log = logging.getLogger(__name__)

DONE = {VideoState.READY, VideoState.FAILED}
#: Progress is written at most once per this many seconds, and only when it grew by :data:`PROGRESS_STEP`.
PROGRESS_INTERVAL_S = 1.0
PROGRESS_STEP = 0.02
#: Progress reached when the one ffmpeg run that writes the rendition, the preview and the fingerprint's
#: frames ends.
ENCODED = 0.95


@dataclass(frozen=True)
class _Job:
    """What a run needs from the row, read while the claim's transaction is open."""

    video_id: int
    entry_id: int
    creator_id: int
    original_key: str
    poster_time_s: float | None
    #: The rules an original not checked yet must pass (:func:`_rules_to_check`), else None.
    rules: TechnicalRules | None


@task
def process_video(video_id: int) -> None:
    """Make the poster, web rendition and preview of video ``video_id``, fingerprint it, and record the
    outcome on its row.

    An original not checked yet (``sha256`` NULL: the browser put it straight into the bucket, see
    :mod:`contest.services.uploads.s3_multipart`) is first hashed, refused when the same file is already entered
    (:func:`contest.services.media.duplicates.same_file_reason`) and checked against the contest's rules
    (:func:`contest.services.media.probe.inspect_upload`); its facts and hash are recorded with the outcome.

    The poster is taken automatically, or at ``poster_time_s`` when the creator chose a moment. The rendition,
    the preview and the fingerprint's frames come from one ffmpeg run that decodes the original once
    (:func:`contest.services.media.renditions.transcode`); ``progress`` (0..1) is written while it runs
    (:class:`_Progress`), up to :data:`ENCODED`, 1.0 when ready. A preview that fails its checks (larger than
    the rendition, over ``PREVIEW_MAX_BYTES`` …) is made again from the rendition; when it cannot be made the
    video is still ready and ``error_detail`` says why. A ready video whose fingerprint matches another
    entry's is flagged (``similar_entry_id``, :func:`contest.services.media.duplicates.find_similar`).

    Safe to run twice: a missing, ready or failed row is left alone; a re-run of a pending/processing row
    replaces earlier outputs, so one poster, one rendition and one preview remain. Each run counts an attempt;
    past ``MEDIA_MAX_ATTEMPTS`` (runs interrupted by a dying process) the row fails without another try.
    Failures: a refusal (rules, same file) fails the row and deletes every stored file of the video, original
    included; a processing failure (ffmpeg error or timeout, damaged file, too many attempts) fails the row
    but KEEPS the original, so that an organizer can run the processing again
    (:func:`contest.services.media.actions.rerun_processing`). Either way the row keeps a readable ``error``
    (in ``BABEL_DEFAULT_LOCALE``: a job has no visitor) and, for organizers, ``error_detail``. Any other
    error never leaves the row processing (:func:`_settle_error`): one that may pass later (ffmpeg missing,
    disk full, storage down) sets the row back to pending and queues the next attempt after a growing wait
    (``next_attempt_at``); once ``MEDIA_MAX_ATTEMPTS`` are used, or at once for an unexpected error, the row
    fails with a readable reason and keeps its original (:mod:`contest.services.media.failures`). Only when
    even that cannot be written (the database is down) does the error propagate, for the runner to retry.
    """
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            _process(video_id)
        except Exception as exc:  # noqa: BLE001  (every failure ends on the row: _settle_error)
            db.session.rollback()
            _settle_error(video_id, exc)


def _process(video_id: int) -> None:
    video = db.session.get(Video, video_id)
    if video is None or video.state in DONE:
        return
    video.attempts += 1
    video.state, video.processing_started_at, video.progress = VideoState.PROCESSING, utcnow(), 0.0
    video.next_attempt_at = None
    job = _Job(video_id=video_id, entry_id=video.entry_id, creator_id=video.entry.creator_id,
               original_key=video.original_key, poster_time_s=video.poster_time_s,
               rules=_rules_to_check(video))
    old_keys = [video.poster_key, video.rendition_key, video.preview_key]
    attempts, too_often = video.attempts, video.attempts > current_app.config["MEDIA_MAX_ATTEMPTS"]
    db.session.commit()  # the claim is durable; nothing holds the database while ffmpeg runs
    if too_often:
        _finish_failed(video_id, _("Processing was interrupted too often; please upload the video again."),
                       detail=f"attempt {attempts}: earlier runs did not finish (worker killed or restarted)",
                       delete=old_keys)
        return
    if not get_storage().exists(job.original_key):
        log.error("video %s: original %s is missing from storage", video_id, job.original_key)
        _finish_failed(video_id, _("The uploaded file could not be found; please upload it again."),
                       detail=f"original {job.original_key} is missing from storage", delete=old_keys)
        return
    try:
        outputs = _render(job, _Progress(video_id))
    except MediaRejected as exc:
        _finish_failed(video_id, " ".join(exc.reasons), delete=[job.original_key, *old_keys])
    except MediaProcessingError as exc:
        log.warning("video %s failed: %s\n%s", video_id, exc, exc.detail)
        _finish_failed(video_id, str(exc), detail=failure_detail(exc), delete=old_keys)  # the original stays
    else:
        _finish_ready(video_id, outputs, old_keys)


def _settle_error(video_id: int, exc: Exception) -> None:
    """Record an error raised by a run of ``video_id`` outside its content checks: retry later or fail (see
    :func:`process_video`). Re-raises ``exc`` when the run never claimed the row (e.g. the database was
    locked), so that the runner retries the task."""
    video = db.session.get(Video, video_id, populate_existing=True)
    if video is None or video.state in DONE:  # gone, or settled before the error (e.g. deleting old files)
        log.exception("video %s: error after the run settled", video_id)
        db.session.rollback()
        return
    if video.state != VideoState.PROCESSING:
        db.session.rollback()
        raise exc
    failure, most = failures.classify(exc), current_app.config["MEDIA_MAX_ATTEMPTS"]
    log.error("video %s, attempt %s of %s: %s", video_id, video.attempts, most, failure.detail,
              exc_info=not failure.retry)
    if not failure.retry or video.attempts >= most:
        attempt = video.attempts
        db.session.rollback()
        _finish_failed(video_id, failure.reason, delete=[],
                       detail=f"attempt {attempt} of {most}: {failure.detail}")
        return
    delay = failures.retry_delay_s(video.attempts)
    video.state, video.progress = VideoState.PENDING, 0.0
    video.next_attempt_at = utcnow() + timedelta(seconds=delay)
    video.error_detail = f"attempt {video.attempts} of {most}, next in {delay:g} s: {failure.detail}"
    db.session.commit()
    enqueue("process_video", video_id, delay_s=delay)


def _rules_to_check(video: Video) -> TechnicalRules | None:
    """The rules an original not checked yet (``sha256`` NULL) must pass, read while the claim's transaction
    is open (a plain value object: checking them later, while ffprobe runs, opens no transaction). None once
    the original has been checked."""
    return TechnicalRules.of(video.entry.contest) if video.sha256 is None else None


def _render(job: _Job, progress: _Progress) -> dict:
    """Poster, rendition and preview of the stored original, verified and stored under new keys; returns the
    fields for the row, with the original's probed ``facts``. With ``job.rules`` the original is first hashed
    and checked (raises :class:`~contest.services.media.probe.MediaRejected`) and the fields include its hash.
    Temporary files are removed on every path; stored outputs are removed again if a later step fails."""
    storage, cfg = get_storage(), current_app.config
    stored: list[str] = []
    checked: dict = {}
    try:
        with (tempfile.TemporaryDirectory(prefix="contest-media-") as folder,
              storage.local_path(job.original_key) as src):
            tmp = Path(folder)
            if job.rules is None:
                info = media.probe(src, timeout=cfg["PROBE_TIMEOUT"])
            else:
                info, checked = _check_original(src, job)
            _poster(src, tmp / "poster.jpg", info, job.poster_time_s)
            try:
                preview, notes = renditions.plan_preview(tmp / "preview.mp4", info), []
            except MediaProcessingError as exc:  # too long for a preview: the video is still worth playing
                preview, notes = None, [f"preview: {failure_detail(exc)}"]
            renditions.transcode(src, tmp / "rendition.mp4", info, preview=preview,
                                 frames=tmp / "frames.grey", on_progress=progress.part(0, ENCODED))
            facts = renditions.verify_rendition(tmp / "rendition.mp4", info)
            extras = _extras(tmp / "rendition.mp4", preview, tmp / "frames.grey", info, facts, notes)
            outputs = {"poster_key": (tmp / "poster.jpg", new_key("posters", ".jpg")),
                       "rendition_key": (tmp / "rendition.mp4", new_key("renditions", ".mp4")),
                       "preview_key": (tmp / "preview.mp4", new_key("previews", ".mp4"))}
            sizes = {}
            for field, (path, key) in outputs.items():
                if path.exists():
                    stored.append(key)
                    sizes[field] = storage.put_file(key, path).bytes
    except BaseException:
        for key in stored:
            storage.delete(key)
        raise
    keys = {field: key if field in sizes else None for field, (_path, key) in outputs.items()}
    return {**keys, "rendition_width": facts.width, "rendition_height": facts.height,
            "rendition_bytes": sizes["rendition_key"], "preview_bytes": sizes.get("preview_key"),
            "facts": info, **extras, **checked}


def _check_original(path: Path, job: _Job) -> tuple[media.MediaInfo, dict]:
    """Hash the local copy of an original not checked yet, refuse it when the same file is already entered,
    and check it against ``job.rules`` (:func:`contest.services.media.probe.inspect_upload`); returns its facts and
    the row fields ``sha256``, ``bytes`` and ``facts`` (a :class:`~contest.services.media.probe.MediaInfo`). Raises
    :class:`~contest.services.media.probe.MediaRejected` with the reasons."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    same_file = duplicates.same_file_reason(sha256=digest.hexdigest(), entry_id=job.entry_id,
                                            creator_id=job.creator_id)
    db.session.rollback()  # end the read at once: nothing holds the database while ffmpeg runs
    if same_file:
        raise MediaRejected([same_file])
    info = media.inspect_upload(path, rules=job.rules, size_bytes=size)
    return info, {"sha256": digest.hexdigest(), "bytes": size, "facts": info}


def _poster(src: Path, dst: Path, info: media.MediaInfo, at_s: float | None) -> None:
    """The automatic poster, or the one at ``at_s`` seconds when the creator chose that moment."""
    if at_s is None:
        renditions.make_poster(src, dst, info)
    else:
        renditions.make_poster_at(src, dst, info, at_s)


def _extras(rendition: Path, preview: renditions.PreviewPlan | None, frames: Path, info: media.MediaInfo,
            facts: renditions.RenditionFacts, notes: list[str]) -> dict:
    """The check of the preview made with the rendition of the original with facts ``info`` (made again from
    the rendition when it fails) and the fingerprint of the frames written beside them (None when fewer than
    :data:`~contest.services.media.fingerprint.FRAMES` could be decoded: a still). A preview is not worth
    failing the video for: when none can be made it is left out and ``error_detail`` says why, after
    ``notes``."""
    if preview is not None:
        try:
            renditions.check_preview(preview, info, rendition_bytes=facts.bytes)
        except MediaProcessingError as exc:
            log.info("preview of %s is made again from the rendition: %s", rendition, exc)
            notes = [*notes, *_remake_preview(rendition, preview.path, facts)]
    hashed = fingerprint.of_frames(frames.read_bytes()) if frames.exists() else None
    return {"fingerprint": hashed, "error_detail": "\n".join(notes) or None}


def _remake_preview(rendition: Path, dst: Path, facts: renditions.RenditionFacts) -> list[str]:
    """The preview made again from the rendition (facts ``facts``), no larger than it; the note for
    ``error_detail`` when that fails too."""
    cfg = current_app.config
    try:
        info = media.probe(rendition, timeout=cfg["PROBE_TIMEOUT"])
        renditions.make_preview(rendition, dst, info, max_bytes=min(cfg["PREVIEW_MAX_BYTES"], facts.bytes))
    except (MediaRejected, MediaProcessingError) as exc:
        note = f"preview: {failure_detail(exc)}"
        log.warning("preview of %s failed: %s", rendition, note)
        return [note]
    return []


def _finish_ready(video_id: int, outputs: dict, old_keys: list[str | None]) -> None:
    storage = get_storage()
    video = db.session.get(Video, video_id, populate_existing=True)
    if video is None or video.state != VideoState.PROCESSING:  # replaced or settled meanwhile: outputs unused
        db.session.rollback()
        for field in ("poster_key", "rendition_key", "preview_key"):
            storage.delete(outputs[field])
        return
    facts = outputs.pop("facts", None)
    for field, value in outputs.items():
        setattr(video, field, value)
    if facts is not None:
        media.apply_facts(video, facts)
    similar = None
    if video.fingerprint and video.duration_s:
        similar = duplicates.find_similar(fingerprint=video.fingerprint, duration_s=video.duration_s,
                                          entry_id=video.entry_id)
    video.similar_entry_id, video.similar_distance = similar or (None, None)
    video.state, video.error, video.processed_at, video.progress = VideoState.READY, None, utcnow(), 1.0
    db.session.commit()
    for key in old_keys:
        storage.delete(key)


def _finish_failed(video_id: int, reason: str, *, delete: list[str | None],
                   detail: str | None = None) -> None:
    video = db.session.get(Video, video_id, populate_existing=True)
    if video is not None and video.state != VideoState.PROCESSING:  # settled by someone else meanwhile
        db.session.rollback()
        return
    if video is not None:
        delete = [*delete, video.poster_key, video.rendition_key, video.preview_key]
        video.state, video.error, video.error_detail = VideoState.FAILED, reason, detail
        video.processed_at = utcnow()
        video.poster_key = video.rendition_key = video.preview_key = video.preview_bytes = None
        video.fingerprint = video.similar_entry_id = video.similar_distance = None
    db.session.commit()
    storage = get_storage()
    for key in delete:
        storage.delete(key)


class _Progress:
    """Writes the share of a run done (0..1) on the video's row while ffmpeg runs: at most once per
    :data:`PROGRESS_INTERVAL_S` and only after a gain of :data:`PROGRESS_STEP`, each write in its own short
    transaction on its own connection (:func:`store_progress`), so that the web process polling the row sees
    it at once and the job's session holds nothing."""

    def __init__(self, video_id: int):
        self.video_id, self.written, self.written_at = video_id, 0.0, float("-inf")

    def part(self, start: float, end: float) -> Callable[[float], None]:
        """An ``on_progress(fraction)`` callback for one step of the run that covers ``start``..``end``."""
        return lambda fraction: self.report(start + (end - start) * fraction)

    def report(self, value: float) -> None:
        now = time.monotonic()
        if value - self.written < PROGRESS_STEP or now - self.written_at < PROGRESS_INTERVAL_S:
            return
        self.written, self.written_at = value, now
        store_progress(self.video_id, value)


def store_progress(video_id: int, value: float) -> None:
    """Set ``progress`` of video ``video_id`` to ``value`` (0..1) while it is processing, committed at once
    on a connection of its own."""
    with db.engine.begin() as conn:
        conn.execute(update(Video).where(Video.id == video_id, Video.state == VideoState.PROCESSING)
                     .values(progress=round(min(max(value, 0.0), 1.0), 4)))


@on_start
def recover_unfinished() -> None:
    """After a restart: rows left ``processing`` by a dead process go back to ``pending``, then every pending
    row is queued for :func:`process_video` (which counts the attempt), a retry at its ``next_attempt_at``."""
    db.session.execute(update(Video).where(Video.state == VideoState.PROCESSING)
                       .values(state=VideoState.PENDING))
    pending = list(db.session.execute(select(Video.id, Video.next_attempt_at)
                                      .where(Video.state == VideoState.PENDING).order_by(Video.id)))
    db.session.commit()
    for video_id, due in pending:
        enqueue("process_video", video_id, delay_s=seconds_until(due))


def seconds_until(moment: datetime | None) -> float:
    """Seconds from now until ``moment`` (UTC), 0 when it is None or past."""
    return max((moment - utcnow()).total_seconds(), 0.0) if moment is not None else 0.0
