"""A judge on a phone (390×844): scores three entries with "submit and next", the phone "locks" (the page
reloads) in the middle of the third form and the half-typed scores come back; N/P keys move between entries."""
import pytest

from contest.extensions import db
from contest.models import Assignment, EntryState, Review, ReviewState
from tests.people import Role
from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def test_judge_scores_three_entries_on_a_phone_and_a_reload_loses_nothing(live_server, page, make_user,
                                                                          make_contest, make_entry):
    contest = make_contest(title="西湖短视频大赛")
    creator = make_user(display_name="小明")
    judge = make_user(Role.JUDGE, display_name="张评委")
    entries = [make_entry(contest=contest, creator=creator, state=EntryState.SUBMITTED, title=f"作品{i}")
               for i in range(3)]
    db.session.add_all(Assignment(entry=entry, judge=judge) for entry in entries)
    db.session.commit()
    log_in(page, live_server, judge)

    page.goto(f"{live_server}/judge/entries/{entries[0].id}")
    page.on("dialog", lambda dialog: dialog.accept())  # "submit final scores?"
    for i, entry in enumerate(entries[:2]):
        page.wait_for_url(f"{live_server}/judge/entries/{entry.id}")
        assert f"{i} / 3" in page.locator("#round-progress").inner_text().replace(" ", " ")
        for field in page.locator("input[data-weight]").all():
            field.fill("8")
        assert page.inner_text("#total-preview") == "80.000"
        page.click("[name=submit_final]")
    page.wait_for_url(f"{live_server}/judge/entries/{entries[2].id}")  # submit and next

    # half a form, then the phone locks and the page is loaded again
    fields = page.locator("input[data-weight]")
    fields.nth(0).fill("6")
    fields.nth(1).fill("7.5")
    page.fill("textarea[name=comment]", "镜头语言不错")
    page.reload()
    page.wait_for_selector("#autosave-restored:not(.d-none)")
    assert [fields.nth(i).input_value() for i in range(3)] == ["6", "7.5", ""]
    assert page.input_value("textarea[name=comment]") == "镜头语言不错"
    screenshot(page, "judge-phone-restored")
    fields.nth(2).fill("9")
    page.click("[name=save_draft]")
    page.wait_for_selector("text=草稿已保存")
    page.reload()  # saved on the server: nothing stale is put back
    assert page.locator("#autosave-restored.d-none").count() == 1

    # keys: P goes to the previous entry, N to the next
    page.keyboard.press("p")
    page.wait_for_url(f"{live_server}/judge/entries/{entries[1].id}")
    page.keyboard.press("n")
    page.wait_for_url(f"{live_server}/judge/entries/{entries[2].id}")

    db.session.expire_all()
    states = [db.session.scalar(db.select(Review.state).join(Assignment).where(Assignment.entry_id == e.id))
              for e in entries]
    assert states == [ReviewState.SUBMITTED, ReviewState.SUBMITTED, ReviewState.DRAFT]
