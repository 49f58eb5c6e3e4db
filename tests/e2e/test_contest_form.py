"""An organizer in chromium adds rubric rows with the "add a criterion" button and saves a five-line rubric."""
import re

import pytest
from sqlalchemy import select

from contest.extensions import db
from contest.models import Contest
from tests.e2e.conftest import log_in, screenshot
from tests.people import Role

pytestmark = pytest.mark.browser


def test_add_a_criterion_button_makes_rows_the_server_saves(live_server, page, make_user):
    log_in(page, live_server, make_user(Role.ORGANIZER))
    page.goto(f"{live_server}/organizer/contests/new")
    page.fill("input[name=code]", "JS2026")
    page.fill("input[name=title]", "五项评分大赛")
    page.fill("input[name=opens_at]", "2026-03-01T09:00")
    page.fill("input[name=closes_at]", "2026-04-30T23:59")
    page.fill("textarea[name=categories]", "微视频组")
    page.click("button[data-add-criterion]")
    page.click("button[data-add-criterion]")
    names = page.locator("[data-rubric-rows] input[name$='-name']")
    assert names.count() == 5
    assert page.locator("[data-rubric-rows] input[name='criteria-4-max_points']").input_value() == "10"
    for i, name in enumerate(["主题", "创意", "制作", "传播", "真实"]):
        page.fill(f"input[name=criteria-{i}-name]", name)
        page.fill(f"input[name=criteria-{i}-weight]", "20")
    page.click("form button[type=submit]:has-text('保存')")
    page.wait_for_url(re.compile(r"/organizer/contests/\d+$"))
    screenshot(page, "contest-saved-with-five-criteria")  # after the click: a full-page shot before it lost it

    db.session.expire_all()
    contest = db.session.scalar(select(Contest).where(Contest.code == "JS2026"))
    assert [(c.name, c.weight, c.max_points) for c in contest.criteria] == [
        ("主题", 20, 10), ("创意", 20, 10), ("制作", 20, 10), ("传播", 20, 10), ("真实", 20, 10)]
