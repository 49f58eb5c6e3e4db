"""Organizer pages of background exports: one job's state (polled by static/js/export-job.js), its JSON
status, the download of its file, and the list of the organizer's own exports."""
from flask import Blueprint, abort, jsonify, render_template, url_for
from flask_login import current_user

from contest.auth.access import require_contest_staff
from contest.extensions import db
from contest.infra.storage import get_storage
from contest.labels import state_label
from contest.models import ExportFormat, ExportJob, ExportState
from contest.services.exports.jobs import exports_of, may_download
from contest.services.results.exports import CSV_MIMETYPE, XLSX_MIMETYPE

bp = Blueprint("exports", __name__)
require_contest_staff(bp)

MIMETYPES = {ExportFormat.CSV: CSV_MIMETYPE, ExportFormat.XLSX: XLSX_MIMETYPE}


def _own_job(job_id: int) -> ExportJob:
    """The job ``job_id`` when the current user may see it; 404 otherwise (its existence is not revealed)."""
    job = db.session.get(ExportJob, job_id)
    if job is None or not may_download(job, current_user):
        abort(404)
    return job


@bp.route("/exports")
def my_exports():
    return render_template("exports/list.html", jobs=exports_of(current_user))


@bp.route("/exports/<int:job_id>")
def job(job_id: int):
    return render_template("exports/job.html", job=_own_job(job_id))


@bp.route("/exports/<int:job_id>.json")
def status(job_id: int):
    """``{"state", "label", "error", "bytes", "download_url"}``; ``download_url`` is null until the file is
    ready."""
    job = _own_job(job_id)
    ready = job.state == ExportState.DONE
    response = jsonify(state=str(job.state), label=state_label("export", job.state), error=job.error,
                       bytes=job.bytes, download_url=url_for(".download", job_id=job.id) if ready else None)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/exports/<int:job_id>/download")
def download(job_id: int):
    """The finished file as an attachment; 404 before it is done, 410 once it has expired."""
    job = _own_job(job_id)
    if job.state == ExportState.EXPIRED:
        abort(410)
    if job.state != ExportState.DONE:
        abort(404)
    response = get_storage().send(job.storage_key, mimetype=MIMETYPES[job.format],
                                  download_name=job.file_name)
    response.headers["Cache-Control"] = "no-store"
    return response
