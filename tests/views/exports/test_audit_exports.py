"""Big audit-trail exports become export jobs (here: more than one event); the file keeps the page's filters."""
import csv
import io
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook

from contest.models import ExportJob
from tests.conftest import fetch_media
from tests.people import Role
from tests.views.audit.test_audit_views import world  # noqa: F401  (fixture)


@pytest.fixture
def app_overrides():
    return {"EXPORT_DIRECT_MAX_EVENTS": 1}


@pytest.fixture
def organizer(client, make_user, login):
    client.set_cookie("lang", "en")
    return login(make_user(Role.ORGANIZER))


def job_of(response) -> int:
    assert response.status_code == 302
    return int(re.fullmatch(r"/organizer/exports/(\d+)", response.headers["Location"]).group(1))


def test_a_big_csv_export_of_the_trail_runs_as_a_job_with_the_filters(client, db, organizer, world):
    contest, judge = world["contest"], world["judges"][0]
    job_id = job_of(client.get(f"/organizer/contests/{contest.id}/audit.csv?judge={judge.id}"))
    job = db.session.get(ExportJob, job_id)
    assert (job.kind, job.contest_id, job.file_name) == ("audit", contest.id, f"{contest.code}-audit.csv")

    download = fetch_media(client, f"/organizer/exports/{job_id}/download")
    header, *rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"), newline="")))
    assert header[:2] == ["Time (Beijing time)", "Action"]
    assert [row[:2] for row in rows] == [["2026-03-01 10:00:00", "Score changed"],
                                         ["2026-03-01 11:00:00", "Review submitted"]]
    assert rows[0][-1] == "'=1+1"  # never run as a formula


def test_the_days_of_the_filter_survive_the_job(client, db, organizer, world):
    contest = world["contest"]
    job_id = job_of(client.get(f"/organizer/contests/{contest.id}/audit.xlsx?since=2026-03-02&until=2026-03-03"))
    download = fetch_media(client, f"/organizer/exports/{job_id}/download")
    rows = list(load_workbook(io.BytesIO(download.data)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [datetime(2026, 3, 2, 10, 0), datetime(2026, 3, 3, 23, 30)]


def test_the_trail_of_every_contest_becomes_a_job_of_no_contest(client, db, organizer, world):
    job = db.session.get(ExportJob, job_of(client.get("/organizer/audit.csv")))
    assert (job.contest_id, job.file_name, job.params["contest_id"]) == (None, "audit.csv", None)
    rows = fetch_media(client, f"/organizer/exports/{job.id}/download").data.decode("utf-8-sig").splitlines()
    assert len(rows) == 1 + 6  # the header and every event of both contests


def test_a_small_export_stays_a_direct_download(client, organizer, world):
    response = client.get(f"/organizer/contests/{world['contest'].id}/audit.csv?action=entry.disqualified")
    assert response.status_code == 200 and response.is_streamed
    assert len(response.get_data().decode("utf-8-sig").splitlines()) == 2
