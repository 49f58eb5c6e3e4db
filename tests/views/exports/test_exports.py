"""Big score sheets become export jobs (the threshold is 0 here, so every one does): the download URL redirects
to the job's page, which links the finished file; only the requester sees the job."""
import csv
import io
import re

import openpyxl
import pytest

from contest.models import ExportJob, ExportState
from tests.conftest import fetch_media
from tests.people import Role
from tests.services.results.test_standings import scored  # noqa: F401  (fixture)


@pytest.fixture
def app_overrides():
    return {"EXPORT_DIRECT_MAX_ENTRIES": 0}


@pytest.fixture
def organizer(make_user, login):
    return login(make_user(Role.ORGANIZER))


def request_job(client, round_id: int, fmt: str = "csv") -> int:
    response = client.get(f"/organizer/rounds/{round_id}/score-sheet.{fmt}")
    assert response.status_code == 302
    job_id = int(re.fullmatch(r"/organizer/exports/(\d+)", response.headers["Location"]).group(1))
    return job_id


def test_a_big_score_sheet_is_made_by_a_job_and_downloaded_from_its_page(client, db, scored, organizer):
    contest, a, b, _judges, _reviews = scored
    client.set_cookie("lang", "en")
    job_id = request_job(client, contest.rounds[0].id)
    job = db.session.get(ExportJob, job_id)
    assert (job.state, job.requested_by_id, job.params["round_id"]) == (ExportState.DONE, organizer.id,
                                                                         contest.rounds[0].id)

    page = client.get(f"/organizer/exports/{job_id}")
    assert page.status_code == 200
    assert f'href="/organizer/exports/{job_id}/download"' in page.data.decode()
    assert 'src="/static/js/export-job.js"' in page.data.decode() and "<script>" not in page.data.decode()
    answer = client.get(f"/organizer/exports/{job_id}/download")  # the file, or a presigned link on S3
    assert answer.status_code in (200, 302) and answer.headers["Cache-Control"] == "no-store"
    download = fetch_media(client, f"/organizer/exports/{job_id}/download")
    assert download.status == 200
    assert download.mimetype == "text/csv" and download.data.startswith(b"\xef\xbb\xbf")
    assert "score-sheet.csv" in download.headers["Content-Disposition"]
    header, *rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"), newline="")))
    assert header[2] == "Entry number" and [row[2] for row in rows] == [b.number, a.number]


def test_an_xlsx_job_downloads_a_workbook(client, db, scored, organizer):
    contest = scored[0]
    job_id = request_job(client, contest.rounds[0].id, "xlsx")
    download = fetch_media(client, f"/organizer/exports/{job_id}/download")
    assert download.status == 200
    assert openpyxl.load_workbook(io.BytesIO(download.data)).active.max_row == 3


def test_the_status_endpoint_answers_state_and_url(client, db, scored, organizer):
    job_id = request_job(client, scored[0].rounds[0].id)
    status = client.get(f"/organizer/exports/{job_id}.json")
    assert status.status_code == 200
    body = status.get_json()
    assert (body["state"], body["download_url"], body["error"]) == ("done", f"/organizer/exports/{job_id}/download",
                                                                    None)
    assert body["bytes"] == db.session.get(ExportJob, job_id).bytes > 0

    job = db.session.get(ExportJob, job_id)
    job.state, job.storage_key = ExportState.QUEUED, None
    db.session.commit()
    assert client.get(f"/organizer/exports/{job_id}.json").get_json()["download_url"] is None
    assert client.get(f"/organizer/exports/{job_id}/download").status_code == 404
    page = client.get(f"/organizer/exports/{job_id}").data.decode()
    assert 'data-state="queued"' in page and 'id="export-waiting"' in page


def test_a_failed_job_shows_its_reason(client, db, scored, organizer, monkeypatch):
    from contest.services.exports import jobs

    def broken(params, fmt):
        raise RuntimeError("boom")

    monkeypatch.setitem(jobs.EXPORTS, "score_sheet", broken)
    job_id = request_job(client, scored[0].rounds[0].id)
    assert client.get(f"/organizer/exports/{job_id}.json").get_json()["state"] == "failed"
    page = client.get(f"/organizer/exports/{job_id}").data.decode()
    assert "服务器出错，导出失败；请稍后重试或告知管理员。" in page
    assert client.get(f"/organizer/exports/{job_id}/download").status_code == 404


def test_an_expired_file_answers_gone(client, db, scored, organizer):
    job_id = request_job(client, scored[0].rounds[0].id)
    job = db.session.get(ExportJob, job_id)
    job.state, job.storage_key = ExportState.EXPIRED, None
    db.session.commit()
    assert client.get(f"/organizer/exports/{job_id}/download").status_code == 410


def test_another_organizer_cannot_see_or_download_the_job(client, db, scored, organizer, make_user, login):
    job_id = request_job(client, scored[0].rounds[0].id)
    login(make_user(Role.ORGANIZER))
    for url in (f"/organizer/exports/{job_id}", f"/organizer/exports/{job_id}.json",
                f"/organizer/exports/{job_id}/download"):
        assert client.get(url).status_code == 404
    assert 'id="no-exports"' in client.get("/organizer/exports").data.decode()
    login(scored[3][0])  # a judge
    assert client.get(f"/organizer/exports/{job_id}/download").status_code == 403


def test_my_exports_lists_the_requesters_jobs(client, db, scored, organizer):
    contest = scored[0]
    first, second = request_job(client, contest.rounds[0].id), request_job(client, contest.rounds[0].id, "xlsx")
    page = client.get("/organizer/exports").data.decode()
    assert re.findall(r'<tr data-job="(\d+)"', page) == [str(second), str(first)]
    assert f'href="/organizer/exports/{first}/download"' in page
    assert "score-sheet.xlsx" in page
