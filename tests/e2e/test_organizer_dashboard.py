"""An organizer in chromium: the dashboard's entry list links to the disqualify page, which asks for a reason,
and the judging progress links to the paged progress of each judge."""
import pytest

from contest.extensions import db
from contest.models import Assignment, EntryState, Review, ReviewState
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot
from tests.people import Role

pytestmark = pytest.mark.browser


def test_organizer_disqualifies_from_the_list_and_opens_the_progress_of_each_judge(live_server, page,
                                                                                make_user, make_contest,
                                                                                make_entry):
    contest = make_contest(title="侨乡短视频大赛")
    creator = make_user(display_name="小明")
    kept, dropped = (make_entry(contest=contest, creator=creator, state=EntryState.SUBMITTED)
                     for _ in range(2))
    judge = make_user(Role.JUDGE, display_name="张评委")
    db.session.add_all([Assignment(entry=kept, judge=judge, review=Review(state=ReviewState.SUBMITTED)),
                        Assignment(entry=dropped, judge=judge)])
    db.session.commit()
    organizer = make_user(Role.ORGANIZER)

    page.goto(f"{live_server}/auth/login")
    page.fill("input[name=username]", organizer.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.goto(f"{live_server}/organizer/contests/{contest.id}")
    assert "已提交评分 1 / 2" in page.content()
    screenshot(page, "organizer-dashboard")

    # the row's button opens the page that asks for the reason; without one it is refused, in Chinese
    page.click(f"a[data-number='{dropped.number}']")
    page.wait_for_url(f"{live_server}/organizer/entries/{dropped.id}/disqualify")
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=请填写取消资格的原因")
    page.fill("textarea[name=reason]", "与他人作品雷同")
    page.click("main form button[type=submit]")
    page.wait_for_selector(f"text=作品 {dropped.number} 已取消资格")
    db.session.expire_all()
    assert (kept.state, dropped.state) == (EntryState.SUBMITTED, EntryState.DISQUALIFIED)

    # the disqualified entry left the judging progress at once (its assignment no longer counts)
    page.click("a:has-text('各评委进度')")
    page.wait_for_url(f"{live_server}/organizer/contests/{contest.id}/progress")
    row = page.locator("tr.judge-progress")
    assert row.count() == 1 and "张评委" in row.inner_text()
    assert [cell.inner_text() for cell in row.locator("td.text-end").all()] == ["1", "1", "0", "0"]
    screenshot(page, "organizer-progress-per-judge")
