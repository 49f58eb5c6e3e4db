"""Export jobs under the default in-process runner: the worker thread writes the file; after a restart its
start hook queues the jobs left queued or running."""
import pytest

from contest.infra import tasks
from contest.models import ExportJob, ExportState
from tests.people import Role
from contest.services.exports.jobs import request_score_sheet
from tests.conftest import stored_copy
from tests.services.results.test_standings import scored  # noqa: F401  (fixture)


@pytest.fixture
def app_overrides():
    return {"TASK_BACKEND": "thread"}


def states(db, *jobs: ExportJob) -> list[ExportState]:
    db.session.expire_all()
    return [db.session.get(ExportJob, job.id).state for job in jobs]


def test_the_worker_thread_writes_the_file(app, db, scored, make_user):
    job = request_score_sheet(round_=scored[0].rounds[0], fmt="csv", reveal_judges=True,
                              requested_by=make_user(Role.ORGANIZER))
    db.session.commit()
    tasks.enqueue("run_export", job.id)
    assert tasks.get_runner().wait_idle(timeout=30)

    assert states(db, job) == [ExportState.DONE]
    lines = stored_copy(app, job.storage_key).read_bytes().decode("utf-8-sig").splitlines()
    assert len(lines) == 3 and lines[1].split(",")[2] == scored[2].number  # B (80) ranks first


def test_a_restart_queues_the_unfinished_jobs_again(app, db, scored, make_user):
    organizer = make_user(Role.ORGANIZER)
    queued, running = (request_score_sheet(round_=scored[0].rounds[0], fmt="csv", reveal_judges=True,
                                           requested_by=organizer) for _ in range(2))
    running.state = ExportState.RUNNING  # its process died
    db.session.commit()

    tasks.get_runner().start()
    assert tasks.get_runner().wait_idle(timeout=30)
    assert states(db, queued, running) == [ExportState.DONE, ExportState.DONE]
