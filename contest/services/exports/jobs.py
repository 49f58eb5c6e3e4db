"""Export jobs: a big export runs as a background task that writes its file into storage; the requester
downloads it once it is done (issue 9: every export streams rows in constant memory).

A job is its own request boundary: :func:`run_export` commits. Its row (:class:`~contest.models.ExportJob`)
records the state (queued → running → done | failed; done → expired once the file is deleted), the stored file
and, for a failed job, a readable reason in the requester's language (Chinese by default).

Memory stays flat at any size: a CSV export's byte chunks go to a temporary file as they come, an XLSX export
is written by openpyxl's write-only workbook into a temporary file, and the file is copied into storage in
1 MiB chunks (:meth:`contest.infra.storage.Storage.save`). Which exports exist: :data:`EXPORTS`.
"""
from __future__ import annotations

import dataclasses
import logging
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import IO

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from contest.errors import DomainError
from contest.extensions import db
from contest.infra.after_commit import on_commit
from contest.infra.storage import get_storage, new_key
from contest.infra.tasks import enqueue, on_start, task
from contest.models import AuditAction, ExportFormat, ExportJob, ExportState, Round, User, utcnow
from contest.services.audit.exports import audit_csv, audit_xlsx
from contest.services.audit.queries import AuditFilter, audit_count
from contest.services.judging.rounds import round_entry_ids
from contest.services.results.score_sheet import score_sheet_csv, score_sheet_xlsx

log = logging.getLogger(__name__)

#: What an export function returns: CSV byte chunks, or an XLSX temporary file read from the start.
Written = Iterator[bytes] | IO[bytes]
UNFINISHED = (ExportState.QUEUED, ExportState.RUNNING)


class ExportError(DomainError):
    """An export cannot be made (its subject is gone …); the reason is recorded on the job."""


def _score_sheet(params: dict, fmt: ExportFormat) -> Written:
    round_ = db.session.get(Round, params["round_id"])
    if round_ is None:
        raise ExportError(_("This judging round no longer exists."), status=404)
    make = score_sheet_csv if fmt == ExportFormat.CSV else score_sheet_xlsx
    return make(round_, reveal_judges=params["reveal_judges"])


def _audit(params: dict, fmt: ExportFormat) -> Written:
    filters = audit_filter_of(params)
    return audit_csv(filters=filters) if fmt == ExportFormat.CSV else audit_xlsx(filters=filters)


#: kind → function(params, format) writing the export (CSV chunks or an XLSX temporary file).
EXPORTS: dict[str, Callable[[dict, ExportFormat], Written]] = {"score_sheet": _score_sheet, "audit": _audit}
#: The fields of :class:`~contest.services.audit.queries.AuditFilter` holding datetimes (ISO 8601 in params).
AUDIT_TIMES = ("since", "until")


def score_sheet_name(round_: Round, fmt: str) -> str:
    """The file name of a round's 评分汇总表, e.g. ``XH2026-初评-score-sheet.csv``."""
    return f"{round_.contest.code}-{round_.name}-score-sheet.{fmt}"


def round_entry_count(round_: Round) -> int:
    """Number of entries the round judges (:func:`contest.services.judging.rounds.round_entry_ids`)."""
    return db.session.scalar(select(func.count()).select_from(round_entry_ids(round_).subquery()))


def needs_job(round_: Round) -> bool:
    """True when an export of ``round_`` is too big to be made during a request: the round judges more than
    ``EXPORT_DIRECT_MAX_ENTRIES`` entries (config)."""
    return round_entry_count(round_) > current_app.config["EXPORT_DIRECT_MAX_ENTRIES"]


def audit_needs_job(filters: AuditFilter) -> bool:
    """True when an audit-trail export is too big to be made during a request: more than
    ``EXPORT_DIRECT_MAX_EVENTS`` events (config) match ``filters``."""
    return audit_count(filters=filters) > current_app.config["EXPORT_DIRECT_MAX_EVENTS"]


def audit_file_name(contest_code: str | None, fmt: str) -> str:
    """``<code>-audit.<fmt>``, or ``audit.<fmt>`` for the trail of every contest."""
    return f"{contest_code}-audit.{fmt}" if contest_code else f"audit.{fmt}"


def audit_params(filters: AuditFilter) -> dict:
    """``filters`` as JSON-ready params (datetimes as ISO 8601, the action as its value)."""
    params = dataclasses.asdict(filters)
    params.update({name: params[name].isoformat() for name in AUDIT_TIMES if params[name] is not None})
    params["action"] = params["action"] and str(params["action"])
    return params


def audit_filter_of(params: dict) -> AuditFilter:
    """The inverse of :func:`audit_params`."""
    fields = {field.name: params.get(field.name) for field in dataclasses.fields(AuditFilter)}
    fields.update({name: datetime.fromisoformat(fields[name]) for name in AUDIT_TIMES if fields[name]})
    fields["action"] = fields["action"] and AuditAction(fields["action"])
    return AuditFilter(**fields)


def request_export(*, kind: str, fmt: str, params: dict, contest_id: int | None, requested_by: User,
                   file_name: str, locale: str | None = None) -> ExportJob:
    """Create a queued job for export ``kind`` (a key of :data:`EXPORTS`) in format ``fmt`` ("csv" or
    "xlsx") with JSON ``params``. The caller commits, then queues the task that writes the file:
    ``enqueue("run_export", job.id)`` (as upload views queue ``process_video``: a task queued from an
    after-commit hook could not use the session under the eager runner). ``locale`` ("zh", "en"): language of
    the header labels and of a failure reason (default ``BABEL_DEFAULT_LOCALE``). Flushes, never commits.
    Raises ``KeyError`` for an unknown kind."""
    if kind not in EXPORTS:
        raise KeyError(f"unknown export {kind!r}")
    job = ExportJob(kind=kind, format=ExportFormat(fmt), params={**params, "locale": locale},
                    contest_id=contest_id, requested_by=requested_by, file_name=file_name,
                    state=ExportState.QUEUED)
    db.session.add(job)
    db.session.flush()
    return job


def request_score_sheet(*, round_: Round, fmt: str, reveal_judges: bool, requested_by: User,
                        locale: str | None = None) -> ExportJob:
    """A job for the round's 评分汇总表 (:mod:`contest.services.results.score_sheet`); see
    :func:`request_export`."""
    return request_export(kind="score_sheet", fmt=fmt, params={"round_id": round_.id,
                                                                "reveal_judges": reveal_judges},
                          contest_id=round_.contest_id, requested_by=requested_by,
                          file_name=score_sheet_name(round_, fmt), locale=locale)


def request_audit_export(*, filters: AuditFilter, contest_code: str | None, fmt: str, requested_by: User,
                         locale: str | None = None) -> ExportJob:
    """A job for the audit trail matching ``filters`` (:mod:`contest.services.audit.exports`); see
    :func:`request_export`."""
    return request_export(kind="audit", fmt=fmt, params=audit_params(filters), contest_id=filters.contest_id,
                          requested_by=requested_by, file_name=audit_file_name(contest_code, fmt),
                          locale=locale)


def may_download(job: ExportJob, user: User) -> bool:
    """Only the user who requested an export may see and download it."""
    return job.requested_by_id == user.id


def exports_of(user: User, *, limit: int = 100) -> list[ExportJob]:
    """The user's most recent export jobs, newest first (at most ``limit``)."""
    return list(db.session.scalars(select(ExportJob).where(ExportJob.requested_by_id == user.id)
                                   .order_by(ExportJob.created_at.desc(), ExportJob.id.desc()).limit(limit)))


@task
def run_export(job_id: int) -> None:
    """Write job ``job_id``'s file into storage and mark it done (``storage_key``, ``bytes``, ``finished_at``,
    ``expires_at`` = now + ``EXPORT_KEEP_S``), or failed with a readable ``error``. Expired files of other
    jobs are deleted first (:func:`expire_exports`).

    Safe to run twice: a missing, done, failed or expired job is left alone; a re-run of a running job (its
    process died) writes the file again under a new key."""
    expire_exports()
    db.session.commit()
    job = db.session.get(ExportJob, job_id)
    if job is None or job.state not in UNFINISHED:
        return
    job.state = ExportState.RUNNING
    kind, fmt, params = job.kind, job.format, dict(job.params)
    db.session.commit()
    locale = params.pop("locale", None) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        try:
            key, size = _write(kind, fmt, params)
        except Exception as exc:  # noqa: BLE001  (every failure ends on the row with a reason)
            db.session.rollback()
            _finish_failed(job_id, exc)
            return
    _finish_done(job_id, key, size)


def _write(kind: str, fmt: ExportFormat, params: dict) -> tuple[str, int]:
    """Make the export (CSV chunks spooled into a temporary file, or the XLSX temporary file itself) and store
    it under a new key; returns (key, bytes)."""
    written = EXPORTS[kind](params, fmt)
    with written if hasattr(written, "read") else _spooled(written) as stream:
        db.session.rollback()  # end the read before the copy into storage
        stored = get_storage().save(new_key("exports", f".{fmt}"), stream)
    return stored.key, stored.bytes


def _spooled(chunks: Iterator[bytes]) -> IO[bytes]:
    """``chunks`` written into a temporary file (removed when closed), read from the start."""
    out = tempfile.TemporaryFile()
    try:
        for chunk in chunks:
            out.write(chunk)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def _finish_done(job_id: int, key: str, size: int) -> None:
    job = db.session.get(ExportJob, job_id, populate_existing=True)
    if job is None or job.state != ExportState.RUNNING:  # deleted or settled meanwhile: the file is unused
        db.session.rollback()
        get_storage().delete(key)
        return
    now = utcnow()
    job.state, job.storage_key, job.bytes, job.error = ExportState.DONE, key, size, None
    job.finished_at, job.expires_at = now, now + timedelta(seconds=current_app.config["EXPORT_KEEP_S"])
    db.session.commit()


def _finish_failed(job_id: int, exc: Exception) -> None:
    if isinstance(exc, DomainError):
        reason = exc.message
    else:
        log.exception("export job %s failed", job_id)
        reason = _("The export failed because of a server error; please try again later or tell the "
                   "administrator.")
    job = db.session.get(ExportJob, job_id, populate_existing=True)
    if job is None:
        return
    job.state, job.error, job.finished_at = ExportState.FAILED, reason, utcnow()
    db.session.commit()


def expire_exports(*, now: datetime | None = None) -> int:
    """Delete the files of done jobs whose ``expires_at`` has passed (``now``, default the current time) and
    mark those jobs expired; returns how many. Storage is deleted after the caller commits. Flushes, never
    commits (the caller commits: :func:`run_export`, ``flask exports expire``)."""
    now = now or utcnow()
    expired = list(db.session.execute(select(ExportJob.id, ExportJob.storage_key).where(
        ExportJob.state == ExportState.DONE, ExportJob.expires_at <= now)))
    if not expired:
        return 0
    db.session.execute(update(ExportJob).where(ExportJob.id.in_([job_id for job_id, _key in expired]))
                       .values(state=ExportState.EXPIRED, storage_key=None))
    db.session.flush()
    keys = [key for _job_id, key in expired]
    on_commit(lambda: [get_storage().delete(key) for key in keys])
    return len(expired)


def export_ids(*states: ExportState) -> list[int]:
    """Ids of the jobs in ``states``, oldest first."""
    return list(db.session.scalars(select(ExportJob.id).where(ExportJob.state.in_(states))
                                   .order_by(ExportJob.id)))


@on_start
def requeue_unfinished_exports() -> None:
    """After a restart of the in-process runner: queue every queued or running job again (a running one was
    cut short with its process). Under Celery, ``flask exports recover`` does this for queued jobs."""
    ids = export_ids(*UNFINISHED)
    db.session.commit()
    for job_id in ids:
        enqueue("run_export", job_id)
