"""A creator in chromium watches the processing progress grow without reloading the page, then picks the
poster's moment with the slider (the player follows it) and gets the poster from that frame."""
import re
import subprocess

import pytest
from sqlalchemy import select

from contest.extensions import db
from contest.models import Entry, VideoState
from tests.e2e.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def long_clip(tmp_path):
    """30 s of 1280×720 test pattern with sound: long enough that processing shows its progress."""
    path = tmp_path / "长视频.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "30",
                    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(path)], check=True, timeout=120)
    return path


def test_progress_shows_without_reload_and_the_poster_follows_the_slider(live_server, page, make_user,
                                                                           make_contest, make_entry, long_clip):
    creator = make_user(display_name="小杭")
    entry = make_entry(contest=make_contest(), creator=creator, title="进度条")
    log_in(page, live_server, creator)

    page.goto(f"{live_server}/my/entries/{entry.id}")
    page.set_input_files("#upload-form input[type=file]", str(long_clip))
    with page.expect_navigation(timeout=120_000):  # the upload script loads the entry page once it is done
        page.click("#upload-form button[type=submit]")
    page.evaluate("window.notReloaded = true")
    page.wait_for_function("""() => {
        const bar = document.querySelector('[data-processing-progress] [role=progressbar]');
        return bar && Number(bar.getAttribute('aria-valuenow')) > 0;
    }""", timeout=120_000)
    assert re.search(r"处理中：已完成 \d+%", page.inner_text("#entry-status"))
    screenshot(page, "creator-entry-processing")
    page.wait_for_selector("#entry-status video", timeout=180_000)
    assert page.evaluate("window.notReloaded") is True

    page.fill("[data-poster-seconds]", "21.5")
    page.dispatch_event("[data-poster-seconds]", "input")
    assert page.input_value("[data-poster-slider]") == "21.5"
    page.wait_for_function(
        "() => Math.abs(document.querySelector('#entry-status video').currentTime - 21.5) < 0.5")
    page.click("button:has-text('使用此画面')")
    page.wait_for_selector("text=封面将取自第 21.5 秒的画面")
    screenshot(page, "creator-entry-poster-chosen")

    db.session.expire_all()
    video = db.session.scalar(select(Entry).where(Entry.id == entry.id)).video
    assert video.state == VideoState.READY and video.poster_time_s == 21.5 and 0 < video.preview_bytes
