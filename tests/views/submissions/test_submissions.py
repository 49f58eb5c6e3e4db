import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contest.models import Entry, EntryState, Video, VideoState, utcnow
from contest.infra.storage import get_storage
from tests.conftest import SUBMIT_FORM, empty_folders, fetch_media, media, stored_keys
from tests.services.media.test_probe import cut_before_its_index
from tests.people import Role

PLAIN = "plain_h264_aac_1280x720_25fps.mp4"
JSON = {"Accept": "application/json"}


@pytest.fixture(autouse=True)
def english(client):
    """Pages are asserted in English (the default UI language is Chinese)."""
    client.set_cookie("lang", "en")


@pytest.fixture
def creator(make_user, login):
    return login(make_user(Role.CREATOR, display_name="小明"))


@pytest.fixture
def contest(make_contest):
    return make_contest()


@pytest.fixture
def entry(make_entry, contest, creator):
    return make_entry(contest=contest, creator=creator, title="我的家乡")


@pytest.fixture(scope="session")
def truncated_video(tmp_path_factory) -> Path:
    """A 4 s H.264/AAC clip with its index up front (+faststart), cut off after half of its bytes."""
    folder = tmp_path_factory.mktemp("truncated")
    full, cut = folder / "full.mp4", folder / "cut.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc=duration=4:size=320x240:rate=25",
                    "-f", "lavfi", "-i", "sine=duration=4",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                    "-movflags", "+faststart", str(full)], check=True, timeout=120)
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    return cut


def upload(client, entry, path: Path, filename: str | None = None, **kwargs):
    with open(path, "rb") as stream:
        return client.post(f"/my/entries/{entry.id}/video", data={"video": (stream, filename or path.name)},
                           content_type="multipart/form-data", **kwargs)


def count(db, model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def text(response) -> str:
    return response.get_data(as_text=True)


def give_ready_video(db, entry) -> Video:
    entry.video = Video(original_name="a.mp4", original_key="originals/aa/x", bytes=1, sha256="0" * 64,
                        state=VideoState.READY, rendition_key="renditions/aa/x")
    db.session.commit()
    return entry.video


# --- pages -------------------------------------------------------------------------------------------------

def test_index_lists_my_entries_and_the_open_contests_with_their_limits(client, db, entry, contest,
                                                                        make_entry, make_user):
    make_entry(contest=contest, creator=make_user(Role.CREATOR), title="别人的作品")
    page = text(client.get("/my/"))
    assert entry.number in page and "我的家乡" in page and "微视频组" in page
    assert "Draft" in page and "No video yet" in page
    assert "别人的作品" not in page
    assert contest.title in page and "File size: up to 50 MB" in page
    assert "At most 3 entries per creator" in page
    assert f"/my/contests/{contest.id}/entries/new" in page
    assert "You have 1 of 3 entries in this contest." in page


def test_creator_creates_an_entry_and_lands_on_its_page(client, db, contest, creator):
    response = client.post(f"/my/contests/{contest.id}/entries/new", data={
        "category": contest.categories[1].id, "title": "西湖春色", "description": "手机拍摄"})
    entry = db.session.scalar(select(Entry))
    assert response.status_code == 302 and response.location == f"/my/entries/{entry.id}"
    assert (entry.number, entry.title, entry.description) == (f"{contest.code}-0001", "西湖春色", "手机拍摄")
    assert (entry.category_id, entry.creator_id) == (contest.categories[1].id, creator.id)
    assert entry.state == EntryState.DRAFT
    page = text(client.get(response.location))
    assert "西湖春色" in page and 'accept="video/*"' in page and "Up to 50 MB, 1 s to 1 min 00 s." in page


def test_new_entry_with_bad_input_keeps_what_was_typed(client, db, contest, creator):
    response = client.post(f"/my/contests/{contest.id}/entries/new", data={
        "category": contest.categories[0].id, "title": "  ", "description": "保留的简介"})
    assert response.status_code == 200
    assert "Give the entry a title." in text(response) and "保留的简介" in text(response)
    assert count(db, Entry) == 0


def test_new_entry_after_closing_says_when_it_closed(client, db, make_contest, creator):
    closed = make_contest(opens_at=utcnow() - timedelta(days=9), closes_at=utcnow() - timedelta(days=2))
    response = client.post(f"/my/contests/{closed.id}/entries/new",
                           data={"category": closed.categories[0].id, "title": "迟到的作品"})
    assert response.status_code == 200
    assert re.search(r"Submissions closed at \d{4}-\d\d-\d\d \d\d:\d\d \(Beijing time\)\.", text(response))
    assert 'name="title"' not in text(response) and count(db, Entry) == 0  # the form is no longer offered


def test_one_entry_too_many_is_refused_with_the_limit(client, db, make_contest, creator):
    contest = make_contest(max_entries_per_creator=1)
    data = {"category": contest.categories[0].id, "title": "第一部"}
    assert client.post(f"/my/contests/{contest.id}/entries/new", data=data).status_code == 302
    response = client.post(f"/my/contests/{contest.id}/entries/new", data=dict(data, title="第二部"))
    assert response.status_code == 200
    assert "You already have 1 entry in this contest; the limit is 1." in text(response)
    assert count(db, Entry) == 1
    assert f"/my/contests/{contest.id}/entries/new" not in text(client.get("/my/"))


def test_edit_changes_the_details(client, db, entry, contest):
    response = client.post(f"/my/entries/{entry.id}/edit", data={
        "category": contest.categories[1].id, "title": "新标题", "description": "新简介"})
    assert response.status_code == 302 and response.location == f"/my/entries/{entry.id}"
    db.session.refresh(entry)
    assert (entry.title, entry.description, entry.category_id) == ("新标题", "新简介", contest.categories[1].id)


def test_edit_form_shows_current_values_and_keeps_bad_input(client, db, entry, contest):
    assert 'value="我的家乡"' in text(client.get(f"/my/entries/{entry.id}/edit"))
    response = client.post(f"/my/entries/{entry.id}/edit", data={
        "category": contest.categories[0].id, "title": "", "description": "改了一半"})
    assert response.status_code == 200 and "改了一半" in text(response)
    db.session.refresh(entry)
    assert entry.title == "我的家乡"


def test_status_endpoint_reports_states_and_the_panel(client, db, entry):
    reply = client.get(f"/my/entries/{entry.id}/status").get_json()
    assert reply["entry_state"] == "draft" and reply["video_state"] is None
    assert 'id="entry-status"' in reply["html"] and "No video uploaded yet." in reply["html"]
    give_ready_video(db, entry)
    reply = client.get(f"/my/entries/{entry.id}/status").get_json()
    assert reply["video_state"] == "ready" and f"/watch/{entry.id}/video" in reply["html"]
    assert f"/my/entries/{entry.id}/submit" in reply["html"]


# --- upload, submit, withdraw ------------------------------------------------------------------------------

def test_uploaded_video_is_processed_served_and_submitted(app, client, db, entry):
    response = upload(client, entry, media(PLAIN), filename="我的家乡 终版.mp4")
    assert response.status_code == 302 and response.location == f"/my/entries/{entry.id}"
    video = db.session.scalar(select(Video))
    assert (video.state, video.original_name) == (VideoState.READY, "我的家乡 终版.mp4")
    page = text(client.get(response.location))
    assert f'src="/watch/{entry.id}/video"' in page and "我的家乡 终版.mp4" in page

    served = fetch_media(client, f"/watch/{entry.id}/video")
    with get_storage().local_path(video.rendition_key) as path:
        assert (served.status, served.mimetype, served.data) == (200, "video/mp4", path.read_bytes())
    poster = fetch_media(client, f"/watch/{entry.id}/poster")
    assert (poster.status, poster.mimetype, poster.data[:2]) == (200, "image/jpeg", b"\xff\xd8")

    response = client.post(f"/my/entries/{entry.id}/submit", data=SUBMIT_FORM, follow_redirects=True)
    assert f"Entry {entry.number} has been submitted." in text(response)
    db.session.refresh(entry)
    assert entry.state == EntryState.SUBMITTED and entry.submitted_at is not None

    response = client.post(f"/my/entries/{entry.id}/withdraw", data={"reason": "换一部"}, follow_redirects=True)
    assert f"Entry {entry.number} has been withdrawn." in text(response)
    db.session.refresh(entry)
    assert entry.state == EntryState.WITHDRAWN


def test_upload_script_gets_json_and_a_replaced_video_loses_its_files(app, client, db, entry):
    first = upload(client, entry, media(PLAIN), headers=JSON)
    assert first.status_code == 200 and first.get_json() == {"redirect": f"/my/entries/{entry.id}"}
    old_keys = [k for k in db.session.execute(
        select(Video.original_key, Video.poster_key, Video.rendition_key, Video.preview_key)).one()]
    assert all(get_storage().exists(k) for k in old_keys)
    assert upload(client, entry, media(PLAIN), filename="second.mp4").status_code == 302
    video = db.session.scalar(select(Video))
    assert video.original_name == "second.mp4" and count(db, Video) == 1
    assert not any(get_storage().exists(k) for k in old_keys)
    assert len(stored_keys(app)) == 4  # the new original, poster, rendition and preview


def write_text_file(tmp_path, truncated_video):
    fake = tmp_path / "我的视频.mp4"
    fake.write_text("这不是视频 — just some text\n")
    return fake


REJECTIONS = {
    "text file named .mp4": (write_text_file, {}, "This is not a video file we can read."),
    "cut before its index": (lambda tmp, cut: cut_before_its_index(tmp), {},
                             "The file is incomplete; please upload the whole file again."),
    "audio only": (lambda tmp, cut: media("audio_only_eac3_5.1.mp4"), {}, "The file has no video stream"),
    "truncated": (lambda tmp, cut: cut, {}, "The file is incomplete or damaged"),
    "too long": (lambda tmp, cut: media(PLAIN), {"max_duration_s": 3.0},
                 "The video lasts 5.3 s; the longest allowed is 3 s."),
}


@pytest.mark.parametrize("case", REJECTIONS, ids=list(REJECTIONS))
def test_bad_upload_is_refused_with_a_clear_message_and_nothing_stored(app, client, db, make_contest,
                                                                        make_entry, creator, tmp_path,
                                                                        truncated_video, case):
    make_file, contest_fields, message = REJECTIONS[case]
    entry = make_entry(contest=make_contest(**contest_fields), creator=creator)
    response = upload(client, entry, make_file(tmp_path, truncated_video))
    assert response.status_code == 200 and message in text(response)
    assert 'class="form-control is-invalid"' in text(response)
    assert stored_keys(app) == [] and count(db, Video) == 0

    reply = upload(client, entry, make_file(tmp_path, truncated_video), headers=JSON)
    assert reply.status_code == 422 and any(message in e for e in reply.get_json()["errors"])
    assert stored_keys(app) == [] and count(db, Video) == 0
    assert empty_folders(app) == []  # the refused original's folders went with it


def test_upload_cut_before_its_index_is_refused_as_incomplete_in_chinese(app, client, db, entry, tmp_path):
    client.set_cookie("lang", "zh")
    reply = upload(client, entry, cut_before_its_index(tmp_path), headers=JSON)
    assert reply.status_code == 422 and reply.get_json()["errors"] == ["文件不完整，请重新上传完整文件。"]
    assert stored_keys(app) == [] and empty_folders(app) == [] and count(db, Video) == 0


def test_upload_over_the_size_limit_gets_413_naming_the_limit(app, client, db, make_contest, make_entry,
                                                              creator):
    entry = make_entry(contest=make_contest(max_file_bytes=100 * 1024), creator=creator)
    response = upload(client, entry, media(PLAIN))
    assert response.status_code == 413
    assert "This contest accepts video files up to 0.1 MB." in text(response)
    assert stored_keys(app) == [] and count(db, Video) == 0


def test_file_just_over_the_limit_is_refused_by_the_storage_count(app, client, db, make_contest, make_entry,
                                                                  creator):
    size = media(PLAIN).stat().st_size
    entry = make_entry(contest=make_contest(max_file_bytes=size - 1000), creator=creator)
    response = upload(client, entry, media(PLAIN))
    assert response.status_code == 200
    assert "This contest accepts video files up to 1 MB." in text(response)
    assert stored_keys(app) == [] and count(db, Video) == 0


def test_upload_without_a_file_asks_for_one(client, db, entry):
    response = client.post(f"/my/entries/{entry.id}/video", data={}, content_type="multipart/form-data")
    assert response.status_code == 200 and "Choose a video file." in text(response)


def test_upload_after_closing_is_refused(app, client, db, make_contest, make_entry, creator):
    closed = make_contest(opens_at=utcnow() - timedelta(days=9), closes_at=utcnow() - timedelta(days=2))
    entry = make_entry(contest=closed, creator=creator)
    reply = upload(client, entry, media(PLAIN), headers=JSON)
    assert reply.status_code == 422 and reply.get_json()["errors"][0].startswith("Submissions closed at ")
    assert "Submissions closed at" in text(upload(client, entry, media(PLAIN)))
    assert stored_keys(app) == [] and count(db, Video) == 0


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_upload_checks_csrf_after_setting_the_size_limit(app, client, db, make_contest, make_entry, make_user,
                                                        tmp_path):
    user = make_user(Role.CREATOR)
    entry = make_entry(contest=make_contest(), creator=user)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
    page = text(client.get(f"/my/entries/{entry.id}"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    fake = tmp_path / "a.mp4"
    fake.write_text("text")
    with open(fake, "rb") as stream:
        refused = client.post(f"/my/entries/{entry.id}/video", data={"video": (stream, "a.mp4")})
    assert refused.status_code == 400
    with open(fake, "rb") as stream:
        checked = client.post(f"/my/entries/{entry.id}/video",
                              data={"video": (stream, "a.mp4"), "csrf_token": token})
    assert checked.status_code == 200 and "This is not a video file we can read." in text(checked)


def test_submit_without_a_ready_video_explains_why(client, db, entry):
    response = client.post(f"/my/entries/{entry.id}/submit", data=SUBMIT_FORM, follow_redirects=True)
    assert "Upload a video before submitting." in text(response)
    db.session.refresh(entry)
    assert entry.state == EntryState.DRAFT


def test_submit_and_withdraw_after_closing_are_refused(client, db, make_contest, make_entry, creator):
    closed = make_contest(opens_at=utcnow() - timedelta(days=9), closes_at=utcnow() - timedelta(days=2))
    entry = make_entry(contest=closed, creator=creator)
    give_ready_video(db, entry)
    for action in ("submit", "withdraw"):
        response = client.post(f"/my/entries/{entry.id}/{action}", data={"reason": "不参加了", **SUBMIT_FORM},
                               follow_redirects=True)
        assert "Submissions closed at" in text(response)
    db.session.refresh(entry)
    assert entry.state == EntryState.DRAFT


def test_entry_page_offers_submit_for_a_ready_draft(client, db, entry):
    give_ready_video(db, entry)
    page = text(client.get(f"/my/entries/{entry.id}"))
    assert f'href="/my/entries/{entry.id}/submit"' in page


# --- access ------------------------------------------------------------------------------------------------

ENTRY_URLS = [
    ("GET", "/my/entries/{entry}"), ("GET", "/my/entries/{entry}/edit"), ("POST", "/my/entries/{entry}/edit"),
    ("GET", "/my/entries/{entry}/status"), ("POST", "/my/entries/{entry}/video"),
    ("POST", "/my/entries/{entry}/submit"), ("POST", "/my/entries/{entry}/withdraw"),
    ("GET", "/my/entries/{entry}/submit"), ("GET", "/my/entries/{entry}/withdraw"),
    ("POST", "/my/entries/{entry}/delete"),
]
MY_URLS = [("GET", "/my/"), ("GET", "/my/contests/{contest}/entries/new"),
           ("POST", "/my/contests/{contest}/entries/new")] + ENTRY_URLS


def call(client, method, url, entry):
    return client.open(url.format(entry=entry.id, contest=entry.contest_id), method=method)


@pytest.mark.parametrize("method, url", ENTRY_URLS)
def test_another_creators_entry_is_not_found(client, db, make_user, make_entry, contest, login, method, url):
    owner = make_user(Role.CREATOR)
    entry = make_entry(contest=contest, creator=owner)
    give_ready_video(db, entry)
    login(make_user(Role.CREATOR))
    assert call(client, method, url, entry).status_code == 404
    db.session.refresh(entry)
    assert entry.state == EntryState.DRAFT and entry.video is not None


@pytest.mark.parametrize("method, url", MY_URLS)
def test_anonymous_is_sent_to_login(client, entry, method, url):
    client.post("/auth/logout")
    response = call(client, method, url, entry)
    assert response.status_code == 302 and response.location.startswith("/auth/login?next=")


@pytest.mark.parametrize("role", [Role.JUDGE, Role.ORGANIZER])
@pytest.mark.parametrize("method, url", ENTRY_URLS)
def test_judges_and_organizers_never_reach_a_creators_entry_pages(client, db, make_user, login, entry, role,
                                                                  method, url):
    login(make_user(role))
    assert call(client, method, url, entry).status_code == 404
    db.session.refresh(entry)
    assert entry.state == EntryState.DRAFT and entry.title == "我的家乡"


@pytest.mark.parametrize("role", [Role.JUDGE, Role.ORGANIZER])
def test_judges_and_organizers_of_a_contest_cannot_enter_it(client, db, make_user, login, contest, role):
    """Every account may take part as a creator, but not in a contest it judges or runs (an administrator
    runs every contest)."""
    login(make_user(role))
    assert client.get("/my/").status_code == 200
    url = f"/my/contests/{contest.id}/entries/new"
    assert "Organizers, judges and supervisors of a contest cannot enter it." in client.get(url).text
    response = client.post(url, data={"title": "评委的作品", "category": contest.categories[0].id})
    refusal = "Organizers, judges and supervisors of a contest cannot enter it."
    assert response.status_code == 200 and refusal in response.text
    assert db.session.scalar(select(func.count(Entry.id))) == 0
