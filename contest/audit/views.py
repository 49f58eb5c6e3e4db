"""Organizer pages: the audit trail (审计日志) of a contest — or of everything, account actions included —
filtered by entry, judge, action and days, newest first, and its CSV / XLSX downloads with the same filters."""
import re
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from contest.audit.forms import AuditFilterForm
from contest.auth.access import require_contest_staff
from contest.extensions import db
from contest.infra import tasks
from contest.formatting import format_datetime_local
from contest.models import Contest
from contest.services.audit.exports import CSV_MIMETYPE, XLSX_MIMETYPE, audit_csv, audit_xlsx
from contest.services.audit.queries import ACTION_LABELS, AuditFilter, audit_page, entry_id_of, judge_choices
from contest.services.exports.jobs import audit_file_name, audit_needs_job, request_audit_export

bp = Blueprint("audit", __name__)
require_contest_staff(bp)
#: How the trail stores a time (ISO 8601, UTC): shown to people in Beijing time.
STORED_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$")


@bp.context_processor
def _template_helpers():
    return {"shown": shown}


def shown(value) -> str:
    """A value of ``before``/``after`` as people read it: a stored time in Beijing time
    (``2026-03-01 09:00:00``), anything else as text."""
    if isinstance(value, str) and STORED_TIME.match(value):
        return format_datetime_local(datetime.fromisoformat(value), "yyyy-MM-dd HH:mm:ss")
    return str(value)


@bp.route("/audit", defaults={"contest_id": None})
@bp.route("/contests/<int:contest_id>/audit")
def log(contest_id: int | None):
    """One page of events; ``?before=<id>`` pages on to older ones."""
    contest, form, filters = _filtered(contest_id)
    page = audit_page(filters=filters, before_id=request.args.get("before", type=int),
                      per_page=current_app.config["PAGE_SIZE"]) if filters is not None else None
    return render_template("audit/log.html", contest=contest, form=form, page=page, labels=ACTION_LABELS,
                           args=form.query_args())


@bp.route("/audit.csv", defaults={"contest_id": None})
@bp.route("/contests/<int:contest_id>/audit.csv")
def export_csv(contest_id: int | None):
    """Every event the filters of the page keep, oldest first, streamed (400 for invalid filters). More than
    ``EXPORT_DIRECT_MAX_EVENTS`` events are exported by a background job: a redirect to its page."""
    contest, filters = _export_filters(contest_id)
    if audit_needs_job(filters):
        return _export_job(contest, filters, "csv")
    response = Response(stream_with_context(audit_csv(filters=filters)), mimetype=CSV_MIMETYPE)
    return _attachment(response, contest, "csv")


@bp.route("/audit.xlsx", defaults={"contest_id": None})
@bp.route("/contests/<int:contest_id>/audit.xlsx")
def export_xlsx(contest_id: int | None):
    """As :func:`export_csv`, as a workbook."""
    contest, filters = _export_filters(contest_id)
    if audit_needs_job(filters):
        return _export_job(contest, filters, "xlsx")
    workbook = audit_xlsx(filters=filters)
    return _attachment(send_file(workbook, mimetype=XLSX_MIMETYPE), contest, "xlsx")


def _filtered(contest_id: int | None) -> tuple[Contest | None, AuditFilterForm, AuditFilter | None]:
    """The contest (404 when unknown), the filter form read from the address, and the service's filter — None
    when the filters are invalid or name an entry that the contest does not have (the form says why)."""
    contest = db.get_or_404(Contest, contest_id) if contest_id is not None else None
    if contest is None and not current_user.is_admin:
        abort(403)  # every contest's trail and the account actions: site administrators only
    form = AuditFilterForm(request.args, judges=judge_choices(contest_id=contest_id))
    if contest is None:
        del form.entry  # entry numbers are per contest
    if not form.validate():
        return contest, form, None
    entry_id = None
    if contest is not None and form.entry.data:
        entry_id = entry_id_of(contest_id=contest.id, number=form.entry.data)
        if entry_id is None:
            form.entry.errors = [_("No entry of this contest has the number %(number)s.", number=form.entry.data)]
            return contest, form, None
    return contest, form, form.filters(contest_id=contest_id, entry_id=entry_id)


def _export_filters(contest_id: int | None) -> tuple[Contest | None, AuditFilter]:
    """The contest and the filters of an export; 400 when the filters are invalid (the page says why)."""
    contest, _form, filters = _filtered(contest_id)
    if filters is None:
        abort(400)
    return contest, filters


def _export_job(contest: Contest | None, filters: AuditFilter, extension: str):
    """Queue a background export of the events ``filters`` keep; redirect to the job's page."""
    job = request_audit_export(filters=filters, contest_code=contest and contest.code, fmt=extension,
                               requested_by=current_user, locale=str(get_locale()))
    db.session.commit()
    tasks.enqueue("run_export", job.id)
    return redirect(url_for("exports.job", job_id=job.id))


def _attachment(response, contest: Contest | None, extension: str):
    """Name the download ``<code>-audit.<ext>`` (``audit.<ext>`` for every contest); never cached."""
    name = audit_file_name(contest and contest.code, extension)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
