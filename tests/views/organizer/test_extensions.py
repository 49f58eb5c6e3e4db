"""An organizer extends one creator's deadline from an entry page, with a reason; the grace shows there
too."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from contest.models import DeadlineExtension, Video, VideoState, utcnow
from tests.people import Role


@pytest.fixture
def organizer(make_user, login):
    return login(make_user(Role.ORGANIZER))


@pytest.fixture
def closed(make_contest):
    return make_contest(opens_at=utcnow() - timedelta(days=9), closes_at=utcnow() - timedelta(hours=1))


def text(response) -> str:
    return response.get_data(as_text=True)


def beijing(at) -> str:
    """``at`` (aware UTC) as typed into a datetime-local field in Beijing time (UTC+8)."""
    return (at + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")


def test_the_organizer_extends_the_deadline_with_a_reason(client, db, organizer, closed, make_user,
                                                          make_entry):
    creator = make_user(display_name="小明")
    entry = make_entry(contest=closed, creator=creator)
    new_deadline = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    response = client.post(f"/organizer/entries/{entry.id}/extension",
                           data={"closes_at": beijing(new_deadline), "reason": "山区网络中断"})
    assert response.status_code == 302 and response.location == f"/organizer/entries/{entry.id}"
    row = db.session.scalar(select(DeadlineExtension))
    assert (row.contest_id, row.creator_id, row.closes_at, row.reason, row.granted_by_id) == (
        closed.id, creator.id, new_deadline, "山区网络中断", organizer.id)
    page = text(client.get(response.location))
    assert "已为 小明 延长截止时间。" in page and "已为该创作者延长截止时间至" in page and "山区网络中断" in page


def test_an_extension_without_a_reason_is_refused_in_chinese_with_the_input_kept(client, db, organizer,
                                                                                 closed, make_user,
                                                                                 make_entry):
    entry = make_entry(contest=closed, creator=make_user())
    typed = beijing(utcnow() + timedelta(days=2))
    url = f"/organizer/entries/{entry.id}/extension"
    response = client.post(url, data={"closes_at": typed, "reason": ""})
    assert response.status_code == 200
    assert "请填写延长截止时间的原因。" in text(response) and f'value="{typed}"' in text(response)
    response = client.post(f"/organizer/entries/{entry.id}/extension",
                           data={"closes_at": beijing(closed.closes_at - timedelta(hours=1)), "reason": "补交"})
    assert "新的截止时间必须晚于大赛的截止时间" in text(response) and "补交</textarea>" in text(response)
    assert db.session.scalar(select(DeadlineExtension.id)) is None


def test_a_video_finished_in_the_grace_is_marked(client, db, organizer, closed, make_user, make_entry):
    entry = make_entry(contest=closed, creator=make_user())
    entry.video = Video(original_name="a.mp4", original_key="originals/x", bytes=1, sha256="0" * 64,
                        state=VideoState.READY, upload_started_at=closed.closes_at - timedelta(minutes=2),
                        created_at=closed.closes_at + timedelta(minutes=10))
    db.session.commit()
    page = text(client.get(f"/organizer/entries/{entry.id}"))
    assert "data-in-grace" in page and "宽限期" in page
