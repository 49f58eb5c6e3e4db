"""Resumable (tus) uploads: the service verbs, on local storage with eager tasks."""
import hashlib
import io
import json
import os
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from contest.models import EntryState, Video, VideoState, utcnow
from contest.services.uploads import tus as resumable
from contest.services.uploads.tus import UploadError
from contest.infra.storage import get_storage
from tests.conftest import media
from tests.people import Role

PLAIN = "plain_h264_aac_1280x720_25fps.mp4"


@pytest.fixture
def creator(make_user):
    return make_user(Role.CREATOR)


@pytest.fixture
def contest(make_contest):
    return make_contest()


@pytest.fixture
def entry(make_entry, contest, creator):
    return make_entry(contest=contest, creator=creator)


def start(creator, entry, length: int, **metadata):
    return resumable.create_upload(user=creator, length=length,
                                   metadata={"entry_id": str(entry.id), "filename": "家乡.mp4", **metadata})


def test_metadata_round_trips_through_base64_pairs():
    header = resumable.encode_metadata({"entry_id": "7", "filename": "我的 家乡.mp4"})

    assert resumable.parse_metadata(header + ",empty") == {"entry_id": "7", "filename": "我的 家乡.mp4",
                                                             "empty": ""}
    with pytest.raises(UploadError) as error:
        resumable.parse_metadata("filename not*base64")
    assert error.value.status == 400


def test_creation_writes_an_empty_partial_and_a_sidecar(app, creator, entry):
    upload = start(creator, entry, 1000, filetype="video/mp4")

    assert upload.path.parent == resumable.tus_root()
    assert upload.path.read_bytes() == b""
    sidecar = json.loads(upload.path.with_suffix(".json").read_text())
    assert sidecar["owner_id"] == creator.id and sidecar["entry_id"] == entry.id
    assert (sidecar["length"], sidecar["offset"]) == (1000, 0)
    assert sidecar["metadata"]["filetype"] == "video/mp4"
    assert resumable.load_upload(upload_id=upload.id, user=creator).length == 1000


def test_creation_is_refused_for_others_entries_oversize_and_closed_contests(app, db, make_user, make_contest,
                                                                              make_entry, creator, entry):
    other = make_user(Role.CREATOR)
    with pytest.raises(UploadError) as error:
        start(other, entry, 10)
    assert error.value.status == 404
    with pytest.raises(UploadError) as error:
        start(creator, entry, entry.contest.max_file_bytes + 1)
    assert error.value.status == 413 and "50" in str(error.value)
    closed = make_contest(opens_at=utcnow() - timedelta(days=9), closes_at=utcnow() - timedelta(days=1))
    with pytest.raises(UploadError) as error:
        start(creator, make_entry(contest=closed, creator=creator), 10)
    assert error.value.status == 403
    with pytest.raises(UploadError) as error:
        resumable.create_upload(user=creator, length=10, metadata={"filename": "a.mp4"})
    assert error.value.status == 400
    assert not resumable.tus_root().exists() or not any(resumable.tus_root().iterdir())


def test_chunks_are_appended_at_the_offset_and_a_mismatch_is_409(app, creator, entry):
    upload = start(creator, entry, 10)

    upload = resumable.append_chunk(upload=upload, offset=0, stream=io.BytesIO(b"abcd"), size=4)
    with pytest.raises(UploadError) as error:
        resumable.append_chunk(upload=upload, offset=2, stream=io.BytesIO(b"xx"), size=2)
    assert error.value.status == 409
    upload = resumable.append_chunk(upload=upload, offset=4, stream=io.BytesIO(b"efg"), size=None)

    assert upload.offset == 7 and upload.path.read_bytes() == b"abcdefg"
    assert resumable.load_upload(upload_id=upload.id, user=creator).offset == 7


def test_a_chunk_past_the_length_is_413_and_keeps_nothing_of_it(app, creator, entry):
    upload = start(creator, entry, 6)
    resumable.append_chunk(upload=upload, offset=0, stream=io.BytesIO(b"abc"), size=3)

    for size in (5, None):  # announced too long, or streamed too long without a Content-Length
        with pytest.raises(UploadError) as error:
            resumable.append_chunk(upload=upload, offset=3, stream=io.BytesIO(b"defgh"), size=size)
        assert error.value.status == 413
    assert upload.path.read_bytes() == b"abc"
    assert resumable.load_upload(upload_id=upload.id, user=creator).offset == 3


def test_a_broken_connection_keeps_what_arrived(app, creator, entry):
    class Broken(io.BytesIO):
        def read(self, size=-1):
            data = super().read(size)
            if not data:
                raise ConnectionResetError("client went away")
            return data

    upload = start(creator, entry, 10)
    with pytest.raises(ConnectionResetError):
        resumable.append_chunk(upload=upload, offset=0, stream=Broken(b"abcd"), size=10)

    assert resumable.load_upload(upload_id=upload.id, user=creator).offset == 4


def test_other_users_unknown_and_expired_uploads(app, make_user, creator, entry):
    upload = start(creator, entry, 10)

    for user, upload_id, status in [(make_user(Role.CREATOR), upload.id, 404), (creator, "x" * 32, 404),
                                    (creator, "../../etc", 404)]:
        with pytest.raises(UploadError) as error:
            resumable.load_upload(upload_id=upload_id, user=user)
        assert error.value.status == status
    app.config["TUS_EXPIRE_S"] = 0
    time.sleep(0.01)
    with pytest.raises(UploadError) as error:
        resumable.load_upload(upload_id=upload.id, user=creator)
    assert error.value.status == 410
    assert not upload.path.exists() and not upload.path.with_suffix(".json").exists()


def test_finishing_stores_the_original_with_its_sha256_and_removes_the_partial(app, db, creator, entry):
    source = media(PLAIN)
    data = source.read_bytes()
    upload = start(creator, entry, len(data))
    resumable.append_chunk(upload=upload, offset=0, stream=io.BytesIO(data), size=len(data))

    video = resumable.finish_upload(upload=resumable.load_upload(upload_id=upload.id, user=creator),
                                    user=creator)
    db.session.commit()

    assert video.sha256 == hashlib.sha256(data).hexdigest() and video.bytes == len(data)
    assert video.original_name == "家乡.mp4" and video.state == VideoState.PENDING
    assert entry.video is video and entry.state == EntryState.DRAFT
    with get_storage().local_path(video.original_key) as path:
        assert path.read_bytes() == data
    assert list(resumable.tus_root().iterdir()) == []


def test_a_rejected_file_leaves_no_row_and_no_files(app, db, creator, entry):
    data = b"not a video at all" * 100
    upload = start(creator, entry, len(data))
    upload = resumable.append_chunk(upload=upload, offset=0, stream=io.BytesIO(data), size=len(data))

    with pytest.raises(UploadError) as error:
        resumable.finish_upload(upload=upload, user=creator)
    db.session.rollback()

    assert error.value.status == 422 and error.value.reasons
    assert db.session.scalar(select(func.count(Video.id))) == 0
    root = resumable.tus_root().parent
    assert [p for p in root.rglob("*") if p.is_file()] == []


def test_clean_abandoned_removes_old_partials_and_keeps_recent_ones(app, creator, entry):
    old, recent = start(creator, entry, 10), start(creator, entry, 10)
    sidecar = old.path.with_suffix(".json")
    stale = json.loads(sidecar.read_text()) | {"updated_at": time.time() - 2 * 86400}
    sidecar.write_text(json.dumps(stale))
    two_days_ago = time.time() - 2 * 86400
    os.utime(old.path, (two_days_ago, two_days_ago))
    orphan = resumable.tus_root() / ("o" * 32)
    orphan.write_bytes(b"left behind")
    os.utime(orphan, (two_days_ago, two_days_ago))

    assert resumable.clean_abandoned() == 2

    assert not old.path.exists() and not sidecar.exists() and not orphan.exists()
    assert recent.path.exists() and recent.path.with_suffix(".json").exists()
    result = app.test_cli_runner().invoke(args=["storage", "cleanup", "--older-than", "0"])
    assert result.exit_code == 0 and "removed 1 unfinished upload(s)" in result.output
    assert not recent.path.exists()
