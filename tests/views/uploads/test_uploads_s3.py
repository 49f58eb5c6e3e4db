"""The direct-upload endpoints (/uploads/s3): a browser's presigned multipart upload straight into the bucket
(moto's S3 server), parts PUT by urllib to the presigned URLs as a browser would, then processed by the
worker (eager in tests)."""
import hashlib
import re
import struct
import urllib.request
from datetime import timedelta

import pytest

from contest import create_app
from contest.models import Video, VideoState, utcnow
from tests.conftest import media, raw_client, stored_keys
from tests.people import Role

pytestmark = pytest.mark.s3
MIB = 1024 * 1024
PLAIN = "plain_h264_aac_1280x720_25fps.mp4"


@pytest.fixture
def app_overrides(s3_settings):
    return {"STORAGE_BACKEND": "s3", **s3_settings, "RENDITION_SHORT_SIDE": 360}


@pytest.fixture
def creator(make_user, login):
    return login(make_user(Role.CREATOR))


@pytest.fixture
def entry(make_contest, make_entry, creator):
    return make_entry(contest=make_contest(), creator=creator)


def padded_video(padding: int = 10 * MIB) -> bytes:
    """The plain sample (ftyp … moov, 1 MB) followed by a top-level MP4 ``free`` box of ``padding`` bytes: a
    valid video spread over three 5 MiB parts."""
    return media(PLAIN).read_bytes() + struct.pack(">I4s", padding + 8, b"free") + bytes(padding)


def call(client, verb: str, body: dict, **headers):
    path = "/uploads/s3/multipart" + (f"/{verb}" if verb else "")
    return client.post(path, json=body, headers=headers)


def start(client, entry, size: int, filename: str = "家乡.mp4"):
    return call(client, "", {"entry_id": entry.id, "filename": filename, "size": size, "type": "video/mp4"})


def put_part(client, token: str, number: int, body: bytes) -> str:
    """Sign part ``number``, PUT it like a browser (a Blob is sent as octet-stream); returns its ETag."""
    signed = call(client, "sign", {"token": token, "partNumber": number})
    assert signed.status_code == 200, signed.json
    request = urllib.request.Request(signed.json["url"], data=body, method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
        return response.headers["ETag"]


def open_uploads(app) -> list[dict]:
    listing = raw_client(app.config).list_multipart_uploads(Bucket=app.config["S3_BUCKET"])
    return listing.get("Uploads", [])


def upload_all(client, entry, data: bytes) -> dict:
    """Start, PUT every part and complete; returns the completion's JSON (asserting 200)."""
    started = start(client, entry, len(data)).json
    size, token = started["partSize"], started["token"]
    parts = [{"PartNumber": n + 1, "ETag": put_part(client, token, n + 1, data[at:at + size])}
             for n, at in enumerate(range(0, len(data), size))]
    done = call(client, "complete", {"token": token, "parts": parts})
    assert done.status_code == 200, done.json
    return done.json


# --- the whole path -----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_an_interrupted_upload_is_resumed_completed_and_processed(app, client, db, entry):
    data = padded_video()
    started = start(client, entry, len(data))
    assert started.status_code == 201 and started.headers["Cache-Control"] == "no-store"
    assert set(started.json) == {"uploadId", "key", "token", "partSize"}
    assert started.json["partSize"] == 5 * MIB
    token, size = started.json["token"], started.json["partSize"]
    chunks = [data[at:at + size] for at in range(0, len(data), size)]
    assert [len(c) for c in chunks] == [5 * MIB, 5 * MIB, len(data) - 10 * MIB]
    etags = {n: put_part(client, token, n, chunks[n - 1]) for n in (1, 2)}

    listed = call(client, "parts", {"token": token})  # the page was closed; the browser asks what arrived

    assert listed.status_code == 200
    assert listed.json == {"parts": [{"PartNumber": 1, "Size": 5 * MIB, "ETag": etags[1]},
                                     {"PartNumber": 2, "Size": 5 * MIB, "ETag": etags[2]}]}
    etags[3] = put_part(client, token, 3, chunks[2])
    done = call(client, "complete", {"token": token,
                                     "parts": [{"PartNumber": n, "ETag": etags[n]} for n in (3, 1, 2)]})

    assert done.status_code == 200, done.json
    video = db.session.get(Video, done.json["video_id"])
    assert done.json == {"redirect": f"/my/entries/{entry.id}", "video_id": video.id}
    original = raw_client(app.config).get_object(Bucket=app.config["S3_BUCKET"],
                                                 Key="contest/" + video.original_key)["Body"].read()
    assert hashlib.sha256(original).hexdigest() == hashlib.sha256(data).hexdigest()
    db.session.expire_all()
    assert video.state == VideoState.READY, video.error
    assert video.sha256 == hashlib.sha256(data).hexdigest() and video.bytes == len(data)
    assert (video.width, video.height, video.duration_s, video.container) == (1280, 720, 5.312,
                                                                              "mov,mp4,m4a,3gp,3g2,mj2")
    assert video.original_name == "家乡.mp4" and entry.video is video
    assert stored_keys(app) == sorted([video.original_key, video.poster_key, video.rendition_key,
                                       video.preview_key])
    assert open_uploads(app) == []


def test_a_file_that_is_no_video_fails_in_the_worker_with_the_reason_and_is_deleted(app, client, db, entry):
    done = upload_all(client, entry, b"this is no video\n" * 1000)

    video = db.session.get(Video, done["video_id"])
    assert video.state == VideoState.FAILED and video.error == "无法识别该视频文件。"
    assert video.sha256 is None and entry.video is video
    assert stored_keys(app) == [] and open_uploads(app) == []
    page = client.get(f"/my/entries/{entry.id}/status").json
    assert page["video_state"] == "failed" and "无法识别该视频文件。" in page["html"]


def test_abort_leaves_no_open_upload(app, client, entry):
    token = start(client, entry, 6 * MIB).json["token"]
    put_part(client, token, 1, bytes(5 * MIB))
    assert len(open_uploads(app)) == 1

    aborted = call(client, "abort", {"token": token})

    assert aborted.status_code == 204 and open_uploads(app) == [] and stored_keys(app) == []
    assert call(client, "parts", {"token": token}).status_code == 404
    assert call(client, "abort", {"token": token}).status_code == 204  # already gone: fine


# --- refusals -----------------------------------------------------------------------------------------------

def test_over_the_limit_at_start_is_422_naming_the_limit(app, client, entry):
    over = entry.contest.max_file_bytes + 1
    chinese = start(client, entry, over)
    client.set_cookie("lang", "en")
    english = start(client, entry, over)

    assert chinese.status_code == 422 and chinese.json == {"errors": ["本赛事接受不超过 50 MB 的视频文件。"]}
    assert english.status_code == 422
    assert english.json == {"errors": ["This contest accepts video files up to 50 MB."]}
    assert open_uploads(app) == []


def test_parts_over_the_limit_at_completion_are_422_and_leave_nothing(app, client, db, entry):
    entry.contest.max_file_bytes = 6 * MIB
    db.session.commit()
    token = start(client, entry, 6 * MIB).json["token"]  # announced within the limit …
    parts = [{"PartNumber": 1, "ETag": put_part(client, token, 1, bytes(5 * MIB))},
             {"PartNumber": 2, "ETag": put_part(client, token, 2, bytes(2 * MIB))}]  # … but 7 MiB sent

    done = call(client, "complete", {"token": token, "parts": parts})

    assert done.status_code == 422 and done.json == {"errors": ["本赛事接受不超过 6 MB 的视频文件。"]}
    assert stored_keys(app) == [] and open_uploads(app) == []
    assert db.session.scalar(db.select(db.func.count(Video.id))) == 0


def test_a_closed_window_is_422_and_aborts_an_upload_in_progress(app, client, db, entry):
    token = start(client, entry, 100).json["token"]
    etag = put_part(client, token, 1, b"x" * 100)
    entry.contest.opens_at = utcnow() - timedelta(days=2)
    entry.contest.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    refused = [start(client, entry, 100), call(client, "sign", {"token": token, "partNumber": 1}),
               call(client, "complete", {"token": token, "parts": [{"PartNumber": 1, "ETag": etag}]})]

    assert [r.status_code for r in refused] == [422, 422, 422]
    assert all(re.fullmatch(r"作品征集已于 \d{4}-\d\d-\d\d \d\d:\d\d（北京时间）截止。", r.json["errors"][0])
               for r in refused)
    assert open_uploads(app) == [] and stored_keys(app) == []


def test_a_tampered_or_expired_token_is_refused(app, client, entry):
    token = start(client, entry, 100).json["token"]
    body, _dot, signature = token.rpartition(".")
    tampered = f"{body}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"

    for verb, extra in (("sign", {"partNumber": 1}), ("parts", {}), ("abort", {}),
                        ("complete", {"parts": [{"PartNumber": 1, "ETag": '"x"'}]})):
        response = call(client, verb, {"token": tampered, **extra})
        assert response.status_code == 400 and response.json == {"errors": ["上传凭证无效。"]}, verb
    assert call(client, "parts", {"token": None}).status_code == 400
    app.config["DIRECT_UPLOAD_TOKEN_MAX_AGE"] = -1
    expired = call(client, "parts", {"token": token})
    assert expired.status_code == 410 and expired.json == {"errors": ["该上传已过期，请重新上传。"]}
    assert len(open_uploads(app)) == 1


def test_another_creators_entry_and_upload_are_404(app, client, entry, make_user, login):
    token = start(client, entry, 100).json["token"]
    login(make_user(Role.CREATOR))

    assert start(client, entry, 100).status_code == 404
    assert start(client, entry, 100).json == {"errors": ["该作品不存在。"]}
    for verb in ("sign", "parts", "complete", "abort"):
        response = call(client, verb, {"token": token, "partNumber": 1,
                                       "parts": [{"PartNumber": 1, "ETag": '"x"'}]})
        assert response.status_code == 404 and response.json == {"errors": ["该上传不存在。"]}, verb
    assert len(open_uploads(app)) == 1  # the owner's upload is untouched


def test_anonymous_users_other_peoples_entries_and_bad_requests_get_json_errors(client, entry, make_user, login):
    login(make_user(Role.JUDGE))
    assert start(client, entry, 100).status_code == 404  # not their entry (any account may have entries)
    client.post("/auth/logout")
    anonymous = start(client, entry, 100)
    assert anonymous.status_code == 401 and anonymous.json == {"errors": ["请先登录。"]}
    login(entry.creator)
    assert client.post("/uploads/s3/multipart", data="size=1").json == {"errors": ["请以 JSON 对象发送请求。"]}
    assert call(client, "", {"entry_id": entry.id, "size": "100"}).status_code == 400
    assert call(client, "", {"entry_id": "x", "size": 100}).status_code == 400
    token = start(client, entry, 6 * MIB).json["token"]
    assert call(client, "sign", {"token": token, "partNumber": 3}).json == {
        "errors": ["分片编号必须在 1 到 2 之间。"]}
    assert call(client, "complete", {"token": token, "parts": [{"PartNumber": 1}]}).status_code == 400


def test_with_csrf_on_the_header_token_is_required(app, client, entry):
    app.config["WTF_CSRF_ENABLED"] = True
    html = client.get(f"/my/entries/{entry.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    refused = start(client, entry, 100)
    assert refused.status_code == 403 and refused.json["errors"]
    body = {"entry_id": entry.id, "filename": "a.mp4", "size": 100, "type": "video/mp4"}
    assert call(client, "", body, **{"X-CSRFToken": token}).status_code == 201


def test_without_the_s3_backend_the_endpoints_are_404(tmp_path):
    app = create_app("testing", DATABASE_URL="sqlite://", UPLOAD_ROOT=str(tmp_path))
    response = app.test_client().post("/uploads/s3/multipart", json={})

    assert response.status_code == 404
    assert response.json == {"errors": ["本站未启用直传存储桶上传。"]}

