"""The tus 1.0 endpoints (/uploads/tus): the protocol through the Flask test client, then an independent
client (tuspy) against a live server."""
import hashlib
import re
import threading

import pytest
import requests
from sqlalchemy import func, select
from tusclient import client as tus_client
from werkzeug.serving import make_server

from contest.models import EntryState, Video, VideoState
from contest.services.uploads import tus as resumable
from contest.infra.storage import get_storage
from tests.conftest import PASSWORD, media
from tests.people import Role

PLAIN = "plain_h264_aac_1280x720_25fps.mp4"
TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = {**TUS, "Content-Type": "application/offset+octet-stream"}


@pytest.fixture
def creator(make_user, login):
    return login(make_user(Role.CREATOR))


@pytest.fixture
def entry(make_contest, make_entry, creator):
    return make_entry(contest=make_contest(), creator=creator)


def create(client, entry, length: int, filename: str = "家乡.mp4", **headers):
    metadata = resumable.encode_metadata({"entry_id": str(entry.id), "filename": filename,
                                          "filetype": "video/mp4"})
    return client.post("/uploads/tus/", headers={**TUS, "Upload-Length": str(length),
                                                 "Upload-Metadata": metadata, **headers})


def patch(client, location: str, offset: int, data: bytes, **headers):
    return client.patch(location, data=data, headers={**OCTETS, "Upload-Offset": str(offset), **headers})


def path_of(response) -> str:
    return response.headers["Location"].removeprefix("http://localhost")


def test_options_announces_version_extensions_and_max_size(app, client):
    response = client.options("/uploads/tus/")

    assert response.status_code == 204
    assert response.headers["Tus-Resumable"] == "1.0.0" and response.headers["Tus-Version"] == "1.0.0"
    assert response.headers["Tus-Extension"] == "creation,termination"
    assert response.headers["Tus-Max-Size"] == str(app.config["TUS_MAX_SIZE"])


def test_creation_head_and_chunks_then_the_final_patch_attaches_a_ready_video(app, client, db, entry):
    data = media(PLAIN).read_bytes()
    created = create(client, entry, len(data))
    assert created.status_code == 201 and created.headers["Tus-Resumable"] == "1.0.0"
    location = path_of(created)
    assert re.fullmatch(r"/uploads/tus/[A-Za-z0-9_-]{32}", location)

    cut = len(data) * 8 // 10  # interrupted after 80 %, in 256 KiB chunks
    for start in range(0, cut, 256 * 1024):
        piece = data[start:min(start + 256 * 1024, cut)]
        response = patch(client, location, start, piece)
        assert response.status_code == 204 and response.headers["Upload-Offset"] == str(start + len(piece))
        assert "Upload-Result" not in response.headers

    head = client.head(location, headers=TUS)  # the client comes back and asks where to resume
    assert head.status_code == 200 and head.headers["Cache-Control"] == "no-store"
    assert (head.headers["Upload-Offset"], head.headers["Upload-Length"]) == (str(cut), str(len(data)))
    done = patch(client, location, cut, data[cut:])

    assert done.status_code == 204 and done.headers["Upload-Result"] == "ok"
    assert done.headers["Upload-Offset"] == str(len(data))
    video = db.session.get(Video, int(done.headers["Upload-Video-Id"]))
    assert video.sha256 == hashlib.sha256(data).hexdigest() and video.original_name == "家乡.mp4"
    assert video.state == VideoState.READY and entry.video is video and entry.state == EntryState.DRAFT
    with get_storage().local_path(video.original_key) as path:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == video.sha256
    assert list(resumable.tus_root().iterdir()) == []
    assert client.head(location, headers=TUS).status_code == 404


def test_offset_mismatch_is_409_and_wrong_content_type_415(client, entry):
    location = path_of(create(client, entry, 100))
    patch(client, location, 0, b"x" * 10)

    assert patch(client, location, 0, b"y" * 10).status_code == 409
    assert patch(client, location, 10, b"y", **{"Content-Type": "application/json"}).status_code == 415
    assert client.head(location, headers=TUS).headers["Upload-Offset"] == "10"


def test_other_versions_get_412_with_the_supported_version(client, entry):
    response = create(client, entry, 100, **{"Tus-Resumable": "0.2.2"})

    assert response.status_code == 412 and response.headers["Tus-Version"] == "1.0.0"
    assert not resumable.tus_root().exists()


def test_another_creators_upload_is_404(client, entry, make_user, login):
    location = path_of(create(client, entry, 100))
    login(make_user(Role.CREATOR))

    assert client.head(location, headers=TUS).status_code == 404
    assert patch(client, location, 0, b"x").status_code == 404
    assert client.delete(location, headers=TUS).status_code == 404
    assert create(client, entry, 100).status_code == 404  # nor can they upload to someone else's entry


def test_anonymous_and_other_peoples_entries_are_refused(client, entry, make_user, login):
    login(make_user(Role.JUDGE))
    assert create(client, entry, 100).status_code == 404  # not their entry (any account may have entries)
    client.post("/auth/logout")
    assert create(client, entry, 100).status_code == 401


def test_over_the_contest_limit_is_413_naming_the_limit(client, entry):
    client.set_cookie("lang", "en")
    response = create(client, entry, entry.contest.max_file_bytes + 1)
    client.set_cookie("lang", "zh")
    chinese = create(client, entry, entry.contest.max_file_bytes + 1)

    assert response.status_code == 413
    assert response.get_data(as_text=True) == "This contest accepts video files up to 50 MB."
    assert chinese.status_code == 413 and chinese.get_data(as_text=True) == "本赛事接受不超过 50 MB 的视频文件。"


def test_a_patch_past_the_length_is_413(client, entry):
    location = path_of(create(client, entry, 5))

    assert patch(client, location, 0, b"123456").status_code == 413
    assert client.head(location, headers=TUS).headers["Upload-Offset"] == "0"


def test_a_rejected_file_is_422_with_the_rules_and_leaves_nothing(app, client, db, entry):
    data = b"this is no video" * 64
    location = path_of(create(client, entry, len(data)))

    response = patch(client, location, 0, data)

    assert response.status_code == 422 and response.headers["Upload-Result"] == "rejected"
    assert response.json["errors"]
    assert db.session.scalar(select(func.count(Video.id))) == 0
    assert [p for p in resumable.tus_root().parent.rglob("*") if p.is_file()] == []


def test_termination_removes_the_upload(client, entry):
    location = path_of(create(client, entry, 100))
    patch(client, location, 0, b"x" * 10)

    assert client.delete(location, headers=TUS).status_code == 204
    assert client.head(location, headers=TUS).status_code == 404
    assert list(resumable.tus_root().iterdir()) == []


def test_with_csrf_on_the_header_token_is_required(app, client, entry):
    app.config["WTF_CSRF_ENABLED"] = True
    token = csrf_token(client.get("/my/").get_data(as_text=True))

    assert create(client, entry, 100).status_code == 403
    created = create(client, entry, 100, **{"X-CSRFToken": token})
    assert created.status_code == 201
    assert patch(client, path_of(created), 0, b"x").status_code == 403
    assert patch(client, path_of(created), 0, b"x", **{"X-CSRFToken": token}).status_code == 204


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


# --- an independent client against a live server -----------------------------------------------------------

@pytest.fixture
def live_server(app, creator):  # creator: logged in through the test client before CSRF is on
    app.config["WTF_CSRF_ENABLED"] = True  # as in production
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def tus_headers(base_url: str, username: str) -> dict:
    """Log in like a browser; the session cookie and a CSRF token as headers for tuspy."""
    session = requests.Session()
    token = csrf_token(session.get(f"{base_url}/auth/login").text)
    response = session.post(f"{base_url}/auth/login", allow_redirects=False,
                            data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    token = csrf_token(session.get(f"{base_url}/my/").text)
    return {"Cookie": f"session={session.cookies['session']}", "X-CSRFToken": token}


def test_tuspy_uploads_in_chunks_and_resumes_after_an_interruption(live_server, db, entry, creator):
    source = media(PLAIN)
    size = source.stat().st_size
    client = tus_client.TusClient(f"{live_server}/uploads/tus/", headers=tus_headers(live_server,
                                                                                      creator.username))
    metadata = {"entry_id": str(entry.id), "filename": source.name}

    first = client.uploader(file_path=str(source), chunk_size=64 * 1024, metadata=metadata)
    first.upload(stop_at=size * 8 // 10)  # interrupted at 80 %
    assert first.offset >= size * 8 // 10 and first.offset < size
    resumed = client.uploader(file_path=str(source), url=first.url, chunk_size=64 * 1024)
    assert resumed.offset == first.offset  # asked the server (HEAD)
    resumed.upload()

    assert resumed.offset == size
    assert resumed.request.response_headers["upload-result"] == "ok"
    db.session.expire_all()
    video = db.session.scalars(select(Video)).one()
    assert entry.video is video
    assert video.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert video.state == VideoState.READY and video.original_name == source.name
    assert list(resumable.tus_root().iterdir()) == []


def test_tuspy_without_the_csrf_header_is_refused(live_server, entry, creator):
    headers = tus_headers(live_server, creator.username)
    del headers["X-CSRFToken"]
    client = tus_client.TusClient(f"{live_server}/uploads/tus/", headers=headers)

    with pytest.raises(Exception, match="403"):
        client.uploader(file_path=str(media(PLAIN)), metadata={"entry_id": str(entry.id)}).upload()


def test_a_failed_finish_keeps_the_complete_file_and_an_empty_patch_retries(app, client, db, entry,
                                                                             monkeypatch):
    data = media(PLAIN).read_bytes()
    location = path_of(create(client, entry, len(data)))
    storage = get_storage()
    real_put_file = storage.put_file
    monkeypatch.setattr(storage, "put_file", lambda key, path: (_ for _ in ()).throw(OSError("disk gone")))

    with pytest.raises(OSError):
        patch(client, location, 0, data)
    db.session.rollback()
    assert client.head(location, headers=TUS).headers["Upload-Offset"] == str(len(data))

    monkeypatch.setattr(storage, "put_file", real_put_file)
    retried = patch(client, location, len(data), b"")
    assert retried.status_code == 204 and retried.headers["Upload-Result"] == "ok"
    assert db.session.get(Video, int(retried.headers["Upload-Video-Id"])).state == VideoState.READY
