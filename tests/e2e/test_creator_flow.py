"""A creator on a phone-sized chromium: log in, create an entry, upload a real video through the form, watch it
become ready without reloading, submit. Runs against the real server with CSRF on and the background thread
runner."""
import re

import pytest
from sqlalchemy import select

from contest.extensions import db
from contest.models import Entry, EntryState, VideoState
from tests.conftest import media
from tests.e2e.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_creator_uploads_and_submits_in_the_browser(live_server, page, make_user, make_contest):
    contest = make_contest(title="西湖区“美好生活”短视频大赛")
    creator = make_user(display_name="小杭")

    log_in(page, live_server, creator)
    screenshot(page, "creator-home")

    page.goto(f"{live_server}/my/contests/{contest.id}/entries/new")
    page.select_option("select[name=category]", str(contest.categories[1].id))
    page.fill("input[name=title]", "老街的烟火气")
    page.fill("textarea[name=description]", "在河坊街吃遍一条街。")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/my/entries/\d+$"))

    page.set_input_files("#upload-form input[type=file]", str(media("portrait_h264_1080x1920_30fps.mp4")))
    page.click("#upload-form button[type=submit]")
    # Processing runs in the background thread; the page polls and shows the player when the video is ready.
    page.wait_for_selector("video", timeout=120_000)
    screenshot(page, "creator-entry-ready")

    page.click("a:has-text('提交作品')")  # the submit page: the contest's declarations
    page.wait_for_url(re.compile(r"/my/entries/\d+/submit$"))
    for key in ("originality", "rights", "aigc"):
        page.check(f"input[name={key}]")
    page.check("input[name=aigc_use][value=partly]")
    page.fill("input[name=aigc_tools]", "即梦")
    screenshot(page, "creator-entry-declarations")
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=已提交")
    screenshot(page, "creator-entry-submitted")

    db.session.expire_all()
    entry = db.session.scalar(select(Entry).where(Entry.title == "老街的烟火气"))
    assert entry.state == EntryState.SUBMITTED
    assert entry.category_id == contest.categories[1].id
    assert entry.video.state == VideoState.READY
    assert (entry.video.rendition_width, entry.video.rendition_height) == (1080, 1920)
    assert entry.video.original_name == "portrait_h264_1080x1920_30fps.mp4"
