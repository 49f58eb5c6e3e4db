"""An organizer in chromium waits on an export job's page: its script polls the JSON status and the page
shows the download link once the file is ready, with no Content-Security-Policy violation; the link saves
the file under its name."""
import pytest

from contest.infra import tasks
from tests.people import Role
from contest.services.exports.jobs import request_score_sheet, run_export
from tests.e2e.conftest import log_in, screenshot
from tests.e2e.test_csp import RECORDER
from tests.services.results.test_standings import scored  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def test_the_job_page_shows_the_link_once_the_file_is_ready(live_server, page, db, make_user, scored):
    tasks.get_runner().start()  # its start hooks queue unfinished jobs: run them before this one exists
    assert tasks.get_runner().wait_idle(timeout=30)
    organizer = make_user(Role.ORGANIZER)
    round_ = scored[0].rounds[0]
    job = request_score_sheet(round_=round_, fmt="csv", reveal_judges=True, requested_by=organizer)
    db.session.commit()  # queued, not run yet
    page.add_init_script(RECORDER)
    log_in(page, live_server, organizer)

    page.goto(f"{live_server}/organizer/exports/{job.id}")
    assert "排队中" in page.inner_text("#export-state") and page.locator("#export-download").count() == 0
    run_export(job.id)
    page.wait_for_selector("#export-download", timeout=30_000)
    assert "可以下载" in page.inner_text("#export-state")
    screenshot(page, "organizer-export-ready")
    with page.expect_download() as download:
        page.click("#export-download")
    assert download.value.suggested_filename == f"{round_.contest.code}-{round_.name}-score-sheet.csv"
    assert page.evaluate("window.__csp") == []
