"""Deleting a draft from its page; after the deadline the creator's forms are not offered and still
refused; an extension and the upload grace."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from contest.models import Entry, Video, VideoState, utcnow
from contest.services.submissions.window import extend_deadline
from tests.conftest import SUBMIT_FORM
from tests.people import Role


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def creator(make_user, login):
    return login(make_user(Role.CREATOR))


def text(response) -> str:
    return response.get_data(as_text=True)


def test_a_draft_is_deleted_from_its_page(client, db, make_contest, make_entry, creator):
    entry = make_entry(contest=make_contest(), creator=creator)
    page = text(client.get(f"/my/entries/{entry.id}"))
    assert f'action="/my/entries/{entry.id}/delete"' in page
    response = client.post(f"/my/entries/{entry.id}/delete")
    assert response.status_code == 302 and response.location == "/my/"
    assert f"Draft {entry.number} has been deleted." in text(client.get("/my/"))
    assert db.session.scalar(select(func.count(Entry.id))) == 0


def test_after_the_deadline_no_form_is_offered_and_posts_are_refused(client, db, make_contest, make_entry,
                                                                      creator):
    closed = make_contest(opens_at=utcnow() - timedelta(days=9), closes_at=utcnow() - timedelta(days=2))
    entry = make_entry(contest=closed, creator=creator, title="旧标题")
    entry.video = Video(original_name="a.mp4", original_key="originals/x", bytes=1, sha256="0" * 64,
                        state=VideoState.READY, rendition_key="renditions/x")
    db.session.commit()
    page = text(client.get(f"/my/entries/{entry.id}"))
    assert "Submissions closed at" in page
    for form in ("upload-form", f"/my/entries/{entry.id}/edit", f"/my/entries/{entry.id}/submit",
                 f"/my/entries/{entry.id}/delete", f"/my/entries/{entry.id}/withdraw"):
        assert form not in page
    for url in (f"/my/entries/{entry.id}/edit", f"/my/contests/{closed.id}/entries/new",
                f"/my/entries/{entry.id}/withdraw"):
        page = text(client.get(url))
        assert "Submissions closed at" in page and "data-window-closed" in page
        assert "<textarea" not in page and 'name="title"' not in page

    response = client.post(f"/my/entries/{entry.id}/edit", data={"category": closed.categories[0].id,
                                                                  "title": "新标题"})
    assert "Submissions closed at" in text(response)
    client.post(f"/my/entries/{entry.id}/delete")
    client.post(f"/my/contests/{closed.id}/entries/new", data={"category": closed.categories[0].id,
                                                               "title": "迟到"})
    db.session.expire_all()
    assert [(e.title, e.state.value) for e in db.session.scalars(select(Entry))] == [("旧标题", "draft")]


def test_an_extension_reopens_the_forms_and_says_until_when(client, db, make_contest, make_entry, creator,
                                                             make_user):
    closed = make_contest(opens_at=utcnow() - timedelta(days=9), closes_at=utcnow() - timedelta(days=2))
    entry = make_entry(contest=closed, creator=creator)
    extend_deadline(contest=closed, creator=creator, closes_at=utcnow() + timedelta(days=1), reason="补交",
                    by=make_user(Role.ORGANIZER))
    db.session.commit()
    client.set_cookie("lang", "zh")
    page = text(client.get(f"/my/entries/{entry.id}"))
    assert "主办方已为您延长截止时间至" in page and 'id="upload-form"' in page and "data-window-closed" not in page


def test_within_the_grace_the_entry_page_offers_the_submit_of_a_video_begun_in_time(client, db, make_contest,
                                                                                   make_entry, creator):
    closed = make_contest(opens_at=utcnow() - timedelta(days=9), closes_at=utcnow() - timedelta(minutes=5))
    entry = make_entry(contest=closed, creator=creator)
    entry.video = Video(original_name="a.mp4", original_key="originals/x", bytes=1, sha256="0" * 64,
                        state=VideoState.READY, rendition_key="renditions/x",
                        upload_started_at=closed.closes_at - timedelta(seconds=10))
    db.session.commit()
    page = text(client.get(f"/my/entries/{entry.id}"))
    assert "data-submit-in-grace" in page and f'href="/my/entries/{entry.id}/submit"' in page
    assert 'id="upload-form"' not in page  # no new upload in the grace
    response = client.post(f"/my/entries/{entry.id}/submit", data=SUBMIT_FORM)
    assert response.status_code == 302
    db.session.expire_all()
    assert entry.state.value == "submitted"
