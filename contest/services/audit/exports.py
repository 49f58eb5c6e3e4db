"""The audit trail as CSV and XLSX for organizers, written row by row from :func:`queries.audit_rows`, so
memory stays flat at any size: CSV as a stream of byte chunks, XLSX through openpyxl's write-only workbook
(rows go to a temporary file as they come; the workbook is then zipped into another temporary file).

Columns: time (Beijing time), action, by (name and login name; "System" for commands and tasks), IP address,
contest code, entry number, person concerned, before, after (JSON text, Chinese kept as is), reason. Header
labels and actions are translated into the current locale, so call these inside a request or under
``flask_babel.force_locale``. A text cell starting with ``= + - @`` (or tab / carriage return) is never run as
a formula: CSV gets a leading ``'``, XLSX stores every text as a string cell.
"""
import csv
import io
import json
import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from contest.services.audit.queries import ACTION_LABELS, STREAM_BATCH, AuditFilter, audit_rows
from contest.services.exports.streaming import drain

BEIJING = ZoneInfo("Asia/Shanghai")
BOM = "\ufeff"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def audit_header() -> list[str]:
    return [_("Time (Beijing time)"), _("Action"), _("By"), _("IP address"), _("Contest"), _("Entry number"),
            _("Person concerned"), _("Before"), _("After"), _("Reason")]


def audit_csv(*, filters: AuditFilter) -> Iterator[bytes]:
    """The events matching ``filters``, oldest first, as CSV byte chunks: UTF-8 with a BOM (Excel then reads
    Chinese), ``\\r\\n`` line ends, a header row, one row per event; the time as ``2026-03-01 09:00:05``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(audit_header())
    yield BOM.encode("utf-8") + drain(out)
    names = _names()
    for n, row in enumerate(audit_rows(filters=filters), start=1):
        writer.writerow([_csv_text(value) for value in _cells(row, names)])
        if n % STREAM_BATCH == 0:
            yield drain(out)
    yield drain(out)


def audit_xlsx(*, filters: AuditFilter) -> IO[bytes]:
    """The events matching ``filters``, oldest first, as an XLSX workbook in a temporary file (read from the
    start; removed when closed): one sheet, the columns of :func:`audit_csv`, the time as a date-time cell
    (Beijing time, without time zone)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Audit trail"))
    for column, width in zip("ABCDEFGHIJ", (20, 18, 20, 16, 10, 16, 20, 40, 40, 30)):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    sheet.append(audit_header())
    names = _names()
    for row in audit_rows(filters=filters):
        sheet.append([_xlsx_cell(sheet, value) for value in _cells(row, names)])
    out = tempfile.TemporaryFile()
    workbook.save(out)
    out.seek(0)
    return out


def _names() -> dict:
    """The translated action labels, and "System" under None, looked up once per export."""
    return {action: str(label) for action, label in ACTION_LABELS.items()} | {None: _("System")}


def _cells(row, names: dict) -> list:
    """The values of one exported row: time (naive Beijing time) first, then texts (None when empty)."""
    actor = f"{row.actor_name} ({row.actor_username})" if row.actor_username else (
        names[None] if row.actor_ip is None else None)
    subject = f"{row.subject_name} ({row.subject_username})" if row.subject_username else None
    return [row.at.astimezone(BEIJING).replace(tzinfo=None), names.get(row.action, row.action),
            actor, row.actor_ip, row.contest_code, row.entry_number, subject, _json_text(row.before),
            _json_text(row.after), row.reason or None]


def _json_text(value) -> str | None:
    return json.dumps(value, ensure_ascii=False) if value is not None else None


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def _xlsx_cell(sheet, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet)
    if isinstance(value, datetime):
        cell.value, cell.number_format = value, "yyyy-mm-dd hh:mm:ss"
    elif value is not None:
        cell.value, cell.data_type = ILLEGAL_CHARACTERS_RE.sub("", value), "s"
    return cell
