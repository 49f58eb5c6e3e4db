"""Export jobs: the file is written into storage by the (eager) task and reads back right; failures end on the
row with a readable reason; expired files are deleted."""
import csv
import io
from datetime import timedelta

import openpyxl
import pytest

from contest.infra.tasks import enqueue
from contest.models import ExportJob, ExportState, utcnow
from tests.people import Role
from contest.services.exports import jobs
from contest.services.exports.jobs import expire_exports, request_export, request_score_sheet, run_export
from tests.conftest import stored_copy, stored_keys
from tests.services.results.test_standings import english, scored  # noqa: F401  (fixtures)


@pytest.fixture
def organizer(make_user):
    return make_user(Role.ORGANIZER)


def finished(db, job: ExportJob) -> ExportJob:
    db.session.expire_all()
    return db.session.get(ExportJob, job.id)


def test_a_csv_job_writes_the_score_sheet_into_storage(app, db, scored, organizer):
    contest, a, b, judges, _reviews = scored
    job = request_score_sheet(round_=contest.rounds[0], fmt="csv", reveal_judges=True, requested_by=organizer,
                              locale="en")
    assert job.state == ExportState.QUEUED and stored_keys(app) == []
    db.session.commit()
    enqueue("run_export", job.id)  # the eager runner runs it now

    job = finished(db, job)
    assert job.state == ExportState.DONE and job.error is None
    assert job.file_name == f"{contest.code}-{contest.rounds[0].name}-score-sheet.csv"
    assert job.expires_at - job.finished_at == timedelta(seconds=app.config["EXPORT_KEEP_S"])
    data = stored_copy(app, job.storage_key).read_bytes()
    assert job.bytes == len(data) and data.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    assert header[:6] == ["Rank", "Category rank", "Entry number", "Title", "Category", "Creator"]
    assert "评委0 · Total" in header  # the organizer's sheet names the judges
    assert [row[2] for row in rows] == [b.number, a.number]  # B (80) before A (mean 70)
    assert [row[header.index("Score (out of 100)")] for row in rows] == ["80.000", "70.000"]


def test_an_xlsx_job_writes_a_workbook(app, db, scored, organizer):
    contest, a, b, judges, _reviews = scored
    job = request_score_sheet(round_=contest.rounds[0], fmt="xlsx", reveal_judges=False, requested_by=organizer,
                              locale="en")
    db.session.commit()
    enqueue("run_export", job.id)

    job = finished(db, job)
    assert job.state == ExportState.DONE and job.storage_key.endswith(".xlsx")
    ws = openpyxl.load_workbook(stored_copy(app, job.storage_key)).active
    header = [cell.value for cell in ws[1]]
    assert ws.max_row == 3 and header[2] == "Entry number" and "Judge 1 · Total" in header
    assert [ws.cell(row=r, column=3).value for r in (2, 3)] == [b.number, a.number]


def test_the_header_follows_the_requesters_language(app, db, scored, organizer):
    contest = scored[0]
    job = request_score_sheet(round_=contest.rounds[0], fmt="csv", reveal_judges=True, requested_by=organizer,
                              locale="zh")
    db.session.commit()
    enqueue("run_export", job.id)
    data = stored_copy(app, finished(db, job).storage_key).read_bytes().decode("utf-8-sig")
    assert data.startswith("名次,组内排名,作品编号,")


def test_a_failing_export_ends_failed_with_a_reason(app, db, scored, organizer, monkeypatch):
    def broken(params, fmt):
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(jobs.EXPORTS, "score_sheet", broken)
    job = request_score_sheet(round_=scored[0].rounds[0], fmt="csv", reveal_judges=True, requested_by=organizer,
                              locale="zh")
    db.session.commit()
    enqueue("run_export", job.id)

    job = finished(db, job)
    assert job.state == ExportState.FAILED and job.storage_key is None and job.finished_at is not None
    assert job.error == "服务器出错，导出失败；请稍后重试或告知管理员。"
    assert stored_keys(app) == []


def test_an_export_of_a_missing_round_fails_with_its_reason(db, scored, organizer):
    job = request_export(kind="score_sheet", fmt="csv", params={"round_id": 999_999, "reveal_judges": True},
                         contest_id=scored[0].id, requested_by=organizer, file_name="x.csv")
    db.session.commit()
    enqueue("run_export", job.id)
    job = finished(db, job)
    assert (job.state, job.error) == (ExportState.FAILED, "该评审轮次已不存在。")


def test_running_a_finished_job_again_changes_nothing(app, db, scored, organizer):
    job = request_score_sheet(round_=scored[0].rounds[0], fmt="csv", reveal_judges=True, requested_by=organizer)
    db.session.commit()
    enqueue("run_export", job.id)
    key = finished(db, job).storage_key

    run_export(job.id)
    assert finished(db, job).storage_key == key and stored_keys(app) == [key]


def test_expired_files_are_deleted_and_their_jobs_marked(app, db, scored, organizer):
    old, fresh = (request_score_sheet(round_=scored[0].rounds[0], fmt="csv", reveal_judges=True,
                                      requested_by=organizer) for _ in range(2))
    db.session.commit()
    for job in (old, fresh):
        enqueue("run_export", job.id)
    old, fresh = finished(db, old), finished(db, fresh)
    old.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    old_key = old.storage_key

    assert expire_exports() == 1
    db.session.commit()
    assert (old.state, old.storage_key) == (ExportState.EXPIRED, None)
    assert fresh.state == ExportState.DONE and stored_keys(app) == [fresh.storage_key] != [old_key]
    assert expire_exports() == 0


def test_an_unknown_kind_is_refused(db, scored, organizer):
    with pytest.raises(KeyError):
        request_export(kind="nothing", fmt="csv", params={}, contest_id=scored[0].id, requested_by=organizer,
                       file_name="x.csv")


def test_the_expire_command_deletes_expired_files(app, db, scored, organizer, runner):
    job = request_score_sheet(round_=scored[0].rounds[0], fmt="csv", reveal_judges=True, requested_by=organizer)
    db.session.commit()
    enqueue("run_export", job.id)
    job = finished(db, job)
    job.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    result = runner.invoke(args=["exports", "expire"])
    assert result.exit_code == 0 and result.output == "expired 1 export file(s)\n"
    assert finished(db, job).state == ExportState.EXPIRED and stored_keys(app) == []


def test_the_recover_command_queues_the_jobs_waiting_to_start(db, scored, organizer, runner):
    waiting, done = (request_score_sheet(round_=scored[0].rounds[0], fmt="csv", reveal_judges=True,
                                         requested_by=organizer) for _ in range(2))
    db.session.commit()
    enqueue("run_export", done.id)

    result = runner.invoke(args=["exports", "recover"])
    assert result.exit_code == 0 and result.output == f"queued 1 export job(s) (eager): {waiting.id}\n"
    assert finished(db, waiting).state == ExportState.DONE
