import io
import re

import pytest
from sqlalchemy import select

from contest.models import Assignment, PlayCount, Video, VideoState
from contest.infra.storage import get_storage, new_key
from tests.conftest import fetch_media, media
from tests.people import Role

PLAIN = "plain_h264_aac_1280x720_25fps.mp4"
POSTER = b"\xff\xd8\xff\xe0 poster bytes \xff\xd9"
WATCH_URLS = [("GET", "/watch/{entry}/video"), ("GET", "/watch/{entry}/poster"),
              ("POST", "/watch/{entry}/plays")]


@pytest.fixture(autouse=True)
def english(client):
    """Pages are asserted in English (the default UI language is Chinese)."""
    client.set_cookie("lang", "en")


@pytest.fixture
def owner(make_user):
    return make_user(Role.CREATOR)


@pytest.fixture
def entry(db, make_contest, make_entry, owner):
    """An entry whose video is ready: the sample MP4 stands in for the rendition."""
    entry = make_entry(contest=make_contest(), creator=owner)
    storage = get_storage()
    rendition = storage.put_file(new_key("renditions", ".mp4"), media(PLAIN))
    poster = storage.save(new_key("posters", ".jpg"), io.BytesIO(POSTER))
    entry.video = Video(original_name="a.mp4", original_key="originals/aa/x", bytes=rendition.bytes,
                        sha256=rendition.sha256, state=VideoState.READY, rendition_key=rendition.key,
                        poster_key=poster.key)
    db.session.commit()
    return entry


def call(client, method, url, entry) -> int:
    """Status of the request as the browser ends up with it (an S3 redirect is followed to the bucket)."""
    if method == "GET":
        return fetch_media(client, url.format(entry=entry.id)).status
    return client.open(url.format(entry=entry.id), method=method).status_code


def test_video_is_served_whole_and_by_byte_range(client, login, owner, entry):
    login(owner)
    data = media(PLAIN).read_bytes()
    whole = fetch_media(client, f"/watch/{entry.id}/video")
    assert (whole.status, whole.mimetype, whole.data) == (200, "video/mp4", data)
    assert whole.headers["Accept-Ranges"] == "bytes"
    part = fetch_media(client, f"/watch/{entry.id}/video", Range="bytes=1000-1999")
    assert part.status == 206 and part.data == data[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    tail = fetch_media(client, f"/watch/{entry.id}/video", Range="bytes=-500")
    assert tail.status == 206 and tail.data == data[-500:]


def test_preview_copy_is_served_once_there_is_one(client, db, login, owner, entry):
    login(owner)
    assert fetch_media(client, f"/watch/{entry.id}/preview").status == 404  # no preview was made
    stored = get_storage().put_file(new_key("previews", ".mp4"), media(PLAIN))
    entry.video.preview_key, entry.video.preview_bytes = stored.key, stored.bytes
    db.session.commit()
    preview = fetch_media(client, f"/watch/{entry.id}/preview", Range="bytes=0-99")
    assert (preview.status, preview.mimetype, preview.data) == (206, "video/mp4", media(PLAIN).read_bytes()[:100])
    entry.video.state = VideoState.PROCESSING
    db.session.commit()
    assert fetch_media(client, f"/watch/{entry.id}/preview").status == 404


def test_poster_is_served_as_jpeg(client, login, owner, entry):
    login(owner)
    poster = fetch_media(client, f"/watch/{entry.id}/poster")
    assert (poster.status, poster.mimetype, poster.data) == (200, "image/jpeg", POSTER)


def test_the_creators_own_plays_are_not_counted(client, db, login, owner, entry, make_user):
    login(owner)
    assert [client.post(f"/watch/{entry.id}/plays").get_json() for _ in range(3)] == [
        {"plays": 0, "counted": False}] * 3
    login(make_user(Role.ORGANIZER))
    assert client.post(f"/watch/{entry.id}/plays").get_json() == {"plays": 0, "counted": False}
    assert db.session.scalar(select(PlayCount.plays).where(PlayCount.entry_id == entry.id)) is None


@pytest.mark.parametrize("state", [VideoState.PENDING, VideoState.PROCESSING, VideoState.FAILED])
def test_a_video_that_is_not_ready_is_not_served_nor_counted(client, db, login, owner, entry, state):
    login(owner)
    entry.video.state = state
    db.session.commit()
    assert client.get(f"/watch/{entry.id}/video").status_code == 404
    assert client.post(f"/watch/{entry.id}/plays").status_code == 404
    assert db.session.scalar(select(PlayCount.id)) is None


def test_entry_without_video_has_no_poster(client, db, login, owner, make_contest, make_entry):
    login(owner)
    bare = make_entry(contest=make_contest(), creator=owner)
    assert client.get(f"/watch/{bare.id}/poster").status_code == 404


def test_player_macro_shows_the_player_only_when_ready(client, db, login, owner, entry):
    login(owner)
    page = client.get(f"/my/entries/{entry.id}").get_data(as_text=True)
    assert re.search(r"<video[^>]+playsinline[^>]+preload=\"metadata\"", page)
    assert f'poster="/watch/{entry.id}/poster"' in page
    assert f'data-plays-url="/watch/{entry.id}/plays"' in page
    entry.video.state = VideoState.PROCESSING
    db.session.commit()
    page = client.get(f"/my/entries/{entry.id}").get_data(as_text=True)
    assert "<video" not in page and "The video is being prepared for playback" in page


@pytest.mark.parametrize("viewer, allowed", [
    ("owner", True), ("assigned judge", True), ("organizer", True),
    ("other creator", False), ("other judge", False),
])
@pytest.mark.parametrize("method, url", WATCH_URLS)
def test_only_the_creator_assigned_judges_and_organizers_may_watch(client, db, make_user, login, owner, entry,
                                                                   viewer, allowed, method, url):
    users = {"owner": lambda: owner, "organizer": lambda: make_user(Role.ORGANIZER),
             "other creator": lambda: make_user(Role.CREATOR), "other judge": lambda: make_user(Role.JUDGE)}
    if viewer == "assigned judge":
        user = make_user(Role.JUDGE)
        db.session.add(Assignment(judge=user, entry=entry))
        db.session.commit()
    else:
        user = users[viewer]()
    login(user)
    assert call(client, method, url, entry) == (200 if allowed else 404)


@pytest.mark.parametrize("method, url", WATCH_URLS)
def test_anonymous_is_sent_to_login(client, entry, method, url):
    response = client.open(url.format(entry=entry.id), method=method)
    assert response.status_code == 302 and response.location.startswith("/auth/login?next=")


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_play_counting_needs_the_csrf_header(client, db, owner, entry):
    with client.session_transaction() as session:
        session["_user_id"] = owner.get_id()
    page = client.get(f"/my/entries/{entry.id}").get_data(as_text=True)
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    assert client.post(f"/watch/{entry.id}/plays").status_code == 400
    response = client.post(f"/watch/{entry.id}/plays", headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json() == {"plays": 0, "counted": False}
