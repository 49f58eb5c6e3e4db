"""Withdrawing asks for a reason; the creator sees it (and the organizers' reason for a disqualification)."""
import pytest

from contest.models import EntryState
from contest.services.submissions.entries import disqualify_entry
from tests.people import Role


@pytest.fixture
def creator(make_user, login):
    return login(make_user(Role.CREATOR))


@pytest.fixture
def entry(make_entry, make_contest, creator):
    return make_entry(contest=make_contest(), creator=creator, title="我的家乡", state=EntryState.SUBMITTED)


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_entry_page_links_to_the_withdraw_form(client, entry):
    assert f'href="/my/entries/{entry.id}/withdraw"' in text(client.get(f"/my/entries/{entry.id}"))
    form = text(client.get(f"/my/entries/{entry.id}/withdraw"))
    assert 'name="reason"' in form and "撤回" in form


def test_withdrawing_without_a_reason_is_refused_in_chinese_and_nothing_changes(client, db, entry):
    response = client.post(f"/my/entries/{entry.id}/withdraw", data={"reason": " \n "})
    assert response.status_code == 200 and "请说明撤回作品的原因。" in text(response)
    db.session.expire_all()
    assert (entry.state, entry.state_reason) == (EntryState.SUBMITTED, None)


def test_a_too_long_reason_is_refused_and_kept_in_the_form(client, db, entry):
    long = "因" * 1001
    response = client.post(f"/my/entries/{entry.id}/withdraw", data={"reason": long})
    assert "原因最多 1000 个字符。" in text(response) and f"{long}</textarea>" in text(response)
    db.session.expire_all()
    assert entry.state == EntryState.SUBMITTED


def test_the_reason_is_stored_and_shown_on_the_entry_page_and_list(client, db, entry, creator):
    response = client.post(f"/my/entries/{entry.id}/withdraw", data={"reason": "想换一部更好的作品"})
    assert response.status_code == 302 and response.location == f"/my/entries/{entry.id}"
    db.session.expire_all()
    assert (entry.state, entry.state_reason, entry.state_changed_by_id) == (
        EntryState.WITHDRAWN, "想换一部更好的作品", creator.id)
    for url in (f"/my/entries/{entry.id}", "/my/"):
        page = text(client.get(url))
        assert "已于" in page and "撤回" in page and "原因：想换一部更好的作品" in page


def test_the_creator_sees_why_the_organizers_disqualified_the_entry(client, db, entry, make_user):
    disqualify_entry(entry=entry, reason="使用了未授权的音乐", by=make_user(Role.ORGANIZER))
    db.session.commit()
    page = text(client.get(f"/my/entries/{entry.id}"))
    assert "主办方已于" in page and "原因：使用了未授权的音乐" in page
