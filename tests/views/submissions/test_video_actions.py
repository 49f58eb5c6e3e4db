"""Views around a video's processing: the progress in the creator's status JSON and panel, the poster's
moment, the organizer's processing detail and "process again" button, the similarity flag, and the duplicate
refusal at upload."""
import re

import pytest
from sqlalchemy import select

from contest.models import Video, VideoState
from contest.infra import tasks
from contest.infra.storage import get_storage, new_key
from tests.conftest import media
from tests.people import Role

PLAIN = "plain_h264_aac_1280x720_25fps.mp4"


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def queued(monkeypatch):
    """Tasks the views queue, recorded instead of run: [(name, *args)]."""
    calls = []
    monkeypatch.setattr(tasks, "enqueue", lambda name, *args: calls.append((name, *args)))
    return calls


@pytest.fixture
def people(make_user):
    return {"creator": make_user(Role.CREATOR), "other": make_user(Role.CREATOR),
            "judge": make_user(Role.JUDGE), "organizer": make_user(Role.ORGANIZER)}


@pytest.fixture
def entry(make_contest, make_entry, people):
    return make_entry(contest=make_contest(), creator=people["creator"], title="我的家乡")


def give_video(db, entry, *, stored: bool = True, **fields) -> Video:
    """A video row for ``entry``; with ``stored`` its original (the plain sample) is really in storage."""
    key = new_key("originals")
    if stored:
        with open(media(PLAIN), "rb") as stream:
            get_storage().save(key, stream)
    fields = {"state": VideoState.READY, "duration_s": 5.312, "rendition_key": "renditions/x.mp4", **fields}
    entry.video = Video(original_name="a.mp4", original_key=key, bytes=1, sha256="0" * 64, **fields)
    db.session.commit()
    return entry.video


def page(response) -> str:
    return response.get_data(as_text=True)


# --- the creator's status panel ----------------------------------------------------------------------------

def test_status_json_has_the_progress_and_the_panel_a_bar(client, db, login, people, entry):
    login(people["creator"])
    assert client.get(f"/my/entries/{entry.id}/status").get_json()["progress"] is None  # no video yet
    video = give_video(db, entry, state=VideoState.PROCESSING, progress=0.426, rendition_key=None)
    reply = client.get(f"/my/entries/{entry.id}/status").get_json()
    assert (reply["video_state"], reply["progress"]) == ("processing", 43)
    assert 'aria-valuenow="43"' in reply["html"] and "Processing: 43% done" in reply["html"]
    video.state, video.progress = VideoState.PENDING, 0.0
    db.session.commit()
    reply = client.get(f"/my/entries/{entry.id}/status").get_json()
    assert reply["progress"] == 0 and "data-processing-progress" not in reply["html"]


def test_status_panel_speaks_chinese_by_default(client, db, login, people, entry):
    client.delete_cookie("lang")
    login(people["creator"])
    give_video(db, entry, state=VideoState.PROCESSING, progress=0.5, rendition_key=None)
    assert "处理中：已完成 50%" in client.get(f"/my/entries/{entry.id}/status").get_json()["html"]


def test_creator_never_sees_the_technical_detail(client, db, login, people, entry):
    login(people["creator"])
    give_video(db, entry, state=VideoState.FAILED, error="The video could not be converted.",
               error_detail="MediaProcessingError: x\n[h264 @ 0x55] secret stderr", rendition_key=None)
    for url in (f"/my/entries/{entry.id}", f"/my/entries/{entry.id}/status"):
        body = page(client.get(url))
        assert "The video could not be converted." in body and "secret stderr" not in body


# --- the poster's moment -----------------------------------------------------------------------------------

def test_poster_form_queues_the_poster_at_a_valid_moment(client, db, login, people, entry, queued):
    login(people["creator"])
    video = give_video(db, entry)
    assert 'data-poster-form' in page(client.get(f"/my/entries/{entry.id}"))
    response = client.post(f"/my/entries/{entry.id}/poster", data={"seconds": "2.5"}, follow_redirects=True)
    assert "The poster will be taken from the frame at 2.5 seconds" in page(response)
    db.session.refresh(video)
    assert video.poster_time_s == 2.5 and queued == [("make_poster_at", video.id, 2.5)]


@pytest.mark.parametrize("seconds", ["-0.1", "5.4", "twelve", ""])
def test_poster_form_refuses_a_moment_outside_the_video(client, db, login, people, entry, queued, seconds):
    login(people["creator"])
    video = give_video(db, entry)
    response = client.post(f"/my/entries/{entry.id}/poster", data={"seconds": seconds}, follow_redirects=True)
    assert "Choose a moment from 0 to 5.3 seconds." in page(response)
    db.session.refresh(video)
    assert video.poster_time_s is None and queued == []


def test_poster_form_needs_a_ready_video_and_the_creators_own_entry(client, db, login, people, entry, queued):
    video = give_video(db, entry, state=VideoState.PROCESSING, rendition_key=None)
    login(people["other"])
    assert client.post(f"/my/entries/{entry.id}/poster", data={"seconds": "1"}).status_code == 404
    login(people["creator"])
    response = client.post(f"/my/entries/{entry.id}/poster", data={"seconds": "1"}, follow_redirects=True)
    assert "The poster can be chosen once the video is ready." in page(response)
    assert video.poster_time_s is None and queued == []


# --- organizers: detail, process again, similarity ----------------------------------------------------------

def test_organizer_sees_the_failure_detail_and_runs_the_processing_again(client, db, login, people, entry,
                                                                         queued):
    video = give_video(db, entry, state=VideoState.FAILED, attempts=2, rendition_key=None,
                       error="The video could not be converted.",
                       error_detail="MediaProcessingError: x\n[h264 @ 0x55] decode error")
    login(people["organizer"])
    body = page(client.get(f"/organizer/entries/{entry.id}"))
    assert "[h264 @ 0x55] decode error" in body and "Process again" in body
    response = client.post(f"/organizer/entries/{entry.id}/reprocess")
    assert response.status_code == 302 and response.headers["Location"] == f"/organizer/entries/{entry.id}"
    db.session.refresh(video)
    assert (video.state, video.attempts, video.error, video.error_detail) == (VideoState.PENDING, 0, None,
                                                                              None)
    assert queued == [("process_video", video.id)]


def test_process_again_is_refused_without_the_original(client, db, login, people, entry, queued):
    video = give_video(db, entry, stored=False, state=VideoState.FAILED, error="refused", rendition_key=None)
    login(people["organizer"])
    assert "Process again" not in page(client.get(f"/organizer/entries/{entry.id}"))
    response = client.post(f"/organizer/entries/{entry.id}/reprocess", follow_redirects=True)
    assert "no longer stored" in page(response)
    db.session.refresh(video)
    assert video.state == VideoState.FAILED and queued == []


@pytest.mark.parametrize("role", ["creator", "judge"])
def test_only_organizers_may_process_again(client, db, login, people, entry, queued, role):
    video = give_video(db, entry, state=VideoState.FAILED, error="x", rendition_key=None)
    login(people[role])
    assert client.post(f"/organizer/entries/{entry.id}/reprocess").status_code == 403
    client.post("/auth/logout")
    anonymous = client.post(f"/organizer/entries/{entry.id}/reprocess")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    db.session.refresh(video)
    assert video.state == VideoState.FAILED and queued == []


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_process_again_needs_the_csrf_token(client, db, people, entry, queued):
    video = give_video(db, entry)
    with client.session_transaction() as session:  # logged in without the (CSRF-protected) login form
        session["_user_id"] = people["organizer"].get_id()
    body = page(client.get(f"/organizer/entries/{entry.id}"))
    assert client.post(f"/organizer/entries/{entry.id}/reprocess").status_code == 400
    db.session.refresh(video)
    assert video.state == VideoState.READY and queued == []
    token = re.search(r'reprocess".*?name="csrf_token" value="([^"]+)"', body, re.S).group(1)
    response = client.post(f"/organizer/entries/{entry.id}/reprocess", data={"csrf_token": token})
    assert response.status_code == 302
    assert queued == [("process_video", video.id)]


def test_similar_entry_is_flagged_in_the_list_and_linked_both_ways(client, db, login, people, entry,
                                                                   make_entry, make_contest):
    earlier = make_entry(contest=make_contest(), creator=people["other"], title="原作")
    give_video(db, earlier)
    give_video(db, entry, similar_entry_id=earlier.id, similar_distance=1.5)
    login(people["organizer"])
    listing = page(client.get(f"/organizer/contests/{entry.contest_id}"))
    assert listing.count("data-similar-badge") == 1 and "Similar" in listing
    detail = page(client.get(f"/organizer/entries/{entry.id}"))
    assert f'href="/organizer/entries/{earlier.id}"' in detail and "原作" in detail
    assert "1.5 of 64 picture bits differ" in detail
    back = page(client.get(f"/organizer/entries/{earlier.id}"))
    assert f'href="/organizer/entries/{entry.id}"' in back
    assert "looks like a re-encoded copy of this one" in back


# --- the same file at upload -------------------------------------------------------------------------------

def test_uploading_a_file_already_entered_is_refused_in_the_visitors_language(client, db, login, people,
                                                                              entry, make_entry):
    login(people["creator"])
    second = make_entry(contest=entry.contest, creator=people["creator"])
    for target, status in ((entry, 200), (second, 422)):
        with open(media(PLAIN), "rb") as stream:
            response = client.post(f"/my/entries/{target.id}/video", data={"video": (stream, "家乡.mp4")},
                                   content_type="multipart/form-data", headers={"Accept": "application/json"})
        assert response.status_code == status
    assert response.get_json()["errors"] == [f"You have already entered this file as entry {entry.number}; "
                                             "the same video cannot be entered twice."]
    assert db.session.scalar(select(Video.entry_id)) == entry.id
