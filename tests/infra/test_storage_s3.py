"""contest.infra.storage.s3 against a real S3 endpoint (moto's standalone server on 127.0.0.1): streamed
multipart saves, atomic failures, presigned GETs with Range, browser-style presigned multipart uploads,
reaping abandoned uploads, the backend chosen by config alone, and the media path end to end on S3."""
import hashlib
import io
import os
import subprocess
import sys
import time
import urllib.request
from email.message import Message
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from contest import create_app
from contest.extensions import db
from contest.models import Video, VideoState
from contest.infra import tasks
from contest.infra.storage import FileTooLarge, LocalStorage, StorageError, get_storage, new_key
from contest.infra.storage.s3 import S3Storage
from contest.cli.storage import clean_incomplete_uploads
from contest.services.uploads import admission
from tests.conftest import REPO_ROOT, media, raw_client

s3 = pytest.mark.s3
MIB = 1024 * 1024


@pytest.fixture
def storage(s3_settings) -> S3Storage:
    return S3Storage.from_config(s3_settings)


@pytest.fixture
def app_overrides(s3_settings):
    return {"STORAGE_BACKEND": "s3", **s3_settings, "RENDITION_SHORT_SIDE": 360, "BABEL_DEFAULT_LOCALE": "en"}


def bucket_keys(storage: S3Storage) -> list[str]:
    listing = storage.client.list_objects_v2(Bucket=storage.bucket)
    return sorted(obj["Key"] for obj in listing.get("Contents", []))


def open_uploads(storage: S3Storage) -> list[str]:
    listing = storage.client.list_multipart_uploads(Bucket=storage.bucket)
    return sorted(upload["Key"] for upload in listing.get("Uploads", []))


def fetch(url: str, **headers) -> tuple[int, Message, bytes]:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
        return response.status, response.headers, response.read()


class BrokenStream(io.RawIOBase):
    """Yields ``good_bytes`` bytes, then fails like a dropped connection."""

    def __init__(self, good_bytes: int):
        self.left = good_bytes

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            raise ConnectionResetError("client went away")
        n = min(size if size > 0 else self.left, self.left)
        self.left -= n
        return b"x" * n


# --- the Storage interface ----------------------------------------------------------------------------------

@s3
def test_save_streams_a_multipart_upload_and_round_trips(storage, tmp_path):
    data = os.urandom(12 * MIB + 3)
    key = new_key("originals")

    stored = storage.save(key, io.BytesIO(data), max_bytes=len(data))

    assert (stored.key, stored.bytes, stored.sha256) == (key, len(data), hashlib.sha256(data).hexdigest())
    assert bucket_keys(storage) == [f"contest/{key}"]
    head = storage.client.head_object(Bucket=storage.bucket, Key=f"contest/{key}")
    assert head["ContentLength"] == len(data) and head["ETag"].endswith('-2"')  # two 8 MiB parts
    assert storage.exists(key)
    with storage.local_path(key) as path:
        assert path.read_bytes() == data
    assert not path.exists() and not path.parent.exists()
    storage.delete(key)
    storage.delete(key)  # missing keys and None are ignored
    storage.delete(None)
    assert not storage.exists(key) and bucket_keys(storage) == [] and open_uploads(storage) == []


@s3
def test_small_save_is_hashed_like_hashlib(storage):
    stored = storage.save("notes/a.txt", io.BytesIO(b"hello"))
    assert (stored.bytes, stored.sha256) == (5, hashlib.sha256(b"hello").hexdigest())
    head = storage.client.head_object(Bucket=storage.bucket, Key="contest/notes/a.txt")
    assert head["ContentType"] == "text/plain" and '-' not in head["ETag"]


@s3
@pytest.mark.parametrize("size, limit", [(12 * MIB, 9 * MIB), (100, 10)], ids=["multipart", "single-put"])
def test_too_large_stream_leaves_no_object_and_no_open_upload(storage, size, limit):
    key = new_key("originals")
    with pytest.raises(FileTooLarge) as caught:
        storage.save(key, io.BytesIO(os.urandom(size)), max_bytes=limit)
    assert caught.value.limit_bytes == limit
    assert not storage.exists(key)
    assert bucket_keys(storage) == [] and open_uploads(storage) == []


@s3
def test_stream_failing_mid_upload_leaves_nothing(storage):
    key = new_key("originals")
    with pytest.raises(ConnectionResetError):
        storage.save(key, BrokenStream(good_bytes=10 * MIB))
    assert bucket_keys(storage) == [] and open_uploads(storage) == []


@s3
def test_put_file_hashes_and_sets_content_type_from_suffix(storage, tmp_path):
    poster = tmp_path / "poster.jpg"
    poster.write_bytes(b"\xff\xd8" + os.urandom(1000))
    key = new_key("posters", ".jpg")

    stored = storage.put_file(key, poster)

    assert (stored.bytes, stored.sha256) == (1002, hashlib.sha256(poster.read_bytes()).hexdigest())
    head = storage.client.head_object(Bucket=storage.bucket, Key=f"contest/{key}")
    assert (head["ContentType"], head["ContentLength"]) == ("image/jpeg", 1002)


@s3
def test_missing_key_does_not_exist_and_has_no_local_path(storage):
    assert storage.exists("originals/00/nothing") is False
    with pytest.raises(StorageError, match="no such key"):
        with storage.local_path("originals/00/nothing"):
            pass


@s3
def test_send_redirects_to_a_presigned_url_that_serves_byte_ranges(storage):
    data = os.urandom(3 * MIB)
    key = storage.save(new_key("renditions", ".mp4"), io.BytesIO(data)).key

    response = storage.send(key, mimetype="video/mp4")

    assert response.status_code == 302 and response.headers["Cache-Control"] == "no-store"
    url = response.headers["Location"]
    assert url.startswith(storage.endpoint_url + f"/{storage.bucket}/contest/{key}?")
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["300"]
    status, headers, body = fetch(url, Range="bytes=1000-1999")
    assert (status, headers["Content-Range"], body) == (206, f"bytes 1000-1999/{len(data)}", data[1000:2000])
    assert headers["Content-Type"] == "video/mp4"
    assert fetch(url)[2] == data


@s3
def test_send_with_a_download_name_makes_the_bucket_answer_an_attachment(storage):
    key = storage.save(new_key("exports", ".csv"), io.BytesIO(b"a,b\r\n")).key

    response = storage.send(key, mimetype="text/csv", download_name="评分汇总表.csv")

    status, headers, body = fetch(response.headers["Location"])
    assert (status, body) == (200, b"a,b\r\n")
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"download.csv\"; filename*=UTF-8''%E8%AF%84%E5%88%86%E6%B1%87%E6%80%BB%E8%A1%A8.csv")


@s3
def test_presigned_url_honours_expires(storage):
    url = storage.presigned_url("x", expires=42)
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["42"]


@s3
def test_presigned_urls_use_the_public_endpoint_when_one_is_set(s3_settings):
    storage = S3Storage.from_config({**s3_settings, "S3_PUBLIC_ENDPOINT_URL": "https://media.example.cn"})
    storage.save("originals/aa/x", io.BytesIO(b"bytes"))  # the server itself still talks to S3_ENDPOINT_URL

    assert storage.presigned_url("originals/aa/x").startswith(
        f"https://media.example.cn/{storage.bucket}/contest/originals/aa/x?")
    assert storage.presign_part("originals/aa/y", upload_id="u", part_number=1).startswith(
        "https://media.example.cn/")


# --- presigned multipart uploads from browsers --------------------------------------------------------------

def browser_put(url: str, body: bytes) -> str:
    """PUT ``body`` to a presigned part URL the way a browser would; returns the ETag answered. (urllib would
    label the body as a form, which moto then tries to parse; a browser sends a Blob as octet-stream.)"""
    request = urllib.request.Request(url, data=body, method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
        return response.headers["ETag"]


@s3
def test_presigned_multipart_upload_from_a_browser_is_completed_into_the_original_bytes(storage):
    data = os.urandom(5 * MIB) + os.urandom(5 * MIB + 17)
    key = new_key("originals")
    upload_id = storage.create_multipart_upload(key, content_type="video/mp4")
    assert open_uploads(storage) == [f"contest/{key}"]

    parts = [(n, browser_put(storage.presign_part(key, upload_id=upload_id, part_number=n), chunk))
             for n, chunk in ((1, data[:5 * MIB]), (2, data[5 * MIB:]))]
    stored = storage.complete_multipart_upload(key, upload_id=upload_id, parts=parts[::-1])

    assert (stored.key, stored.bytes, stored.sha256) == (key, len(data), hashlib.sha256(data).hexdigest())
    body = storage.client.get_object(Bucket=storage.bucket, Key=f"contest/{key}")
    assert body["ContentType"] == "video/mp4" and body["Body"].read() == data
    assert open_uploads(storage) == []


@s3
def test_completed_upload_past_the_limit_is_deleted(storage):
    key = new_key("originals")
    upload_id = storage.create_multipart_upload(key, content_type="video/mp4")
    etag = browser_put(storage.presign_part(key, upload_id=upload_id, part_number=1), b"y" * 100)
    with pytest.raises(FileTooLarge):
        storage.complete_multipart_upload(key, upload_id=upload_id, parts=[(1, etag)], max_bytes=99)
    assert bucket_keys(storage) == [] and open_uploads(storage) == []


@s3
def test_refused_completion_keeps_the_upload_open_until_aborted(storage):
    key = new_key("originals")
    upload_id = storage.create_multipart_upload(key, content_type="video/mp4")
    browser_put(storage.presign_part(key, upload_id=upload_id, part_number=1), b"z" * 100)
    with pytest.raises(StorageError, match="complete multipart upload"):
        storage.complete_multipart_upload(key, upload_id=upload_id, parts=[(1, '"not-the-etag"')])
    assert open_uploads(storage) == [f"contest/{key}"] and bucket_keys(storage) == []

    storage.abort_multipart_upload(key, upload_id=upload_id)
    storage.abort_multipart_upload(key, upload_id=upload_id)  # already gone: ignored
    assert open_uploads(storage) == []


@s3
@pytest.mark.parametrize("part_number", [0, 10_001])
def test_part_numbers_outside_1_to_10000_are_refused(storage, part_number):
    with pytest.raises(StorageError, match="part number"):
        storage.presign_part("k", upload_id="u", part_number=part_number)


@s3
def test_abort_incomplete_uploads_aborts_old_ones_under_the_prefix_only(storage):
    mine = [new_key("originals") for _ in range(2)]
    for key in mine:
        storage.create_multipart_upload(key, content_type="video/mp4")
    storage.client.create_multipart_upload(Bucket=storage.bucket, Key="elsewhere/file")
    # moto reports every upload as started on 2010-11-10, so "recent" means younger than a century here.
    assert storage.abort_incomplete_uploads(100 * 365 * 86400) == 0
    assert len(open_uploads(storage)) == 3

    assert storage.abort_incomplete_uploads(0) == 2
    assert open_uploads(storage) == ["elsewhere/file"]


@s3
def test_cleanup_command_aborts_unfinished_s3_uploads(app, runner):
    get_storage().create_multipart_upload(new_key("originals"), content_type="video/mp4")

    result = runner.invoke(args=["storage", "cleanup", "--older-than", "0"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "removed 1 unfinished upload(s) older than 0 s"
    assert open_uploads(get_storage()) == []


def test_cleanup_command_removes_stale_local_partial_files(tmp_path):
    app = create_app("testing", DATABASE_URL="sqlite://", UPLOAD_ROOT=str(tmp_path / "uploads"))
    tmp = Path(app.config["UPLOAD_ROOT"]) / ".tmp"
    tmp.mkdir(parents=True)
    old, fresh = tmp / "part-old", tmp / "part-fresh"
    old.write_bytes(b"a")
    fresh.write_bytes(b"b")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))

    result = app.test_cli_runner().invoke(args=["storage", "cleanup"])

    assert result.exit_code == 0, result.output
    assert "removed 1 unfinished upload(s) older than 86400 s" in result.output
    assert not old.exists() and fresh.exists()
    with app.app_context():
        assert clean_incomplete_uploads(older_than_s=0) == 1
    assert not fresh.exists()


# --- chosen by config ---------------------------------------------------------------------------------------

@s3
def test_backend_is_chosen_by_config_alone(s3_settings, monkeypatch, tmp_path):
    for name, value in {"STORAGE_BACKEND": "s3", "S3_PRESIGN_EXPIRES": "120", **s3_settings}.items():
        monkeypatch.setenv(f"CONTEST_{name}", value)
    app = create_app("testing", DATABASE_URL="sqlite://", UPLOAD_ROOT=str(tmp_path / "uploads"))

    with app.app_context():
        storage = get_storage()
        assert isinstance(storage, S3Storage)
        assert (storage.bucket, storage.prefix, storage.presign_expires) == (s3_settings["S3_BUCKET"],
                                                                              "contest/", 120)
        storage.save("originals/aa/x", io.BytesIO(b"bytes"))
    assert raw_client(s3_settings).get_object(Bucket=s3_settings["S3_BUCKET"],
                                              Key="contest/originals/aa/x")["Body"].read() == b"bytes"
    assert not (tmp_path / "uploads").exists()


def test_local_backend_is_the_default_and_does_not_import_boto3():
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTEST_")}
    code = ("import sys; from contest import create_app; "
            "app = create_app('testing', DATABASE_URL='sqlite://'); "
            "print(type(app.extensions['storage']).__name__, "
            "[m for m in ('boto3', 'contest.infra.storage.s3') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "LocalStorage []"
    assert isinstance(create_app("testing", DATABASE_URL="sqlite://").extensions["storage"], LocalStorage)


def test_s3_backend_without_a_bucket_or_with_an_unknown_addressing_style_fails_at_startup():
    with pytest.raises(StorageError, match="S3_BUCKET"):
        create_app("testing", DATABASE_URL="sqlite://", STORAGE_BACKEND="s3", S3_BUCKET=None)
    with pytest.raises(StorageError, match="addressing style"):
        create_app("testing", DATABASE_URL="sqlite://", STORAGE_BACKEND="s3", S3_BUCKET="media",
                   S3_ADDRESSING_STYLE="vhost")


# --- the media path on S3 -----------------------------------------------------------------------------------

@s3
@pytest.mark.slow
def test_uploaded_video_is_processed_and_played_from_s3(app, client, login, make_user, make_contest,
                                                        make_entry):
    creator = make_user()
    entry = make_entry(contest=make_contest(), creator=creator)
    sample = media("plain_h264_aac_1280x720_25fps.mp4")
    with open(sample, "rb") as stream:
        video = admission.attach_video(entry=entry, stream=stream, filename=sample.name)
    db.session.commit()
    tasks.enqueue("process_video", video.id)
    db.session.expire_all()
    video = db.session.get(Video, video.id)

    assert video.state == VideoState.READY, video.error
    storage = get_storage()
    assert video.sha256 == hashlib.sha256(sample.read_bytes()).hexdigest()
    assert bucket_keys(storage) == sorted(f"contest/{k}" for k in (video.original_key, video.poster_key,
                                                                   video.rendition_key, video.preview_key))
    assert not Path(app.config["UPLOAD_ROOT"]).exists()  # nothing went to local storage

    login(creator)
    response = client.get(f"/watch/{entry.id}/video")
    assert response.status_code == 302
    rendition = storage.client.get_object(Bucket=storage.bucket,
                                          Key=f"contest/{video.rendition_key}")["Body"].read()
    assert len(rendition) == video.rendition_bytes
    status, headers, head = fetch(response.headers["Location"], Range="bytes=0-1023")
    assert (status, headers["Content-Type"], head) == (206, "video/mp4", rendition[:1024])
    assert head[4:8] == b"ftyp"
    poster = client.get(f"/watch/{entry.id}/poster")
    assert poster.status_code == 302 and fetch(poster.headers["Location"])[2][:2] == b"\xff\xd8"
