"""A full disk during an upload: 507 with a readable sentence in the protocol's own format (tus: plain text;
the S3 JSON routes: JSON; the form: the HTML error page); tus keeps the bytes received before the error and
resumes from them, the others keep nothing (no temporary file, no row). The disk is filled for real on a small
tmpfs when the tests may mount one (root), else by a storage or a writer that raises ``ENOSPC``."""
import errno
import hashlib
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contest.extensions import db
from contest.infra import tasks
from contest.models import Video
from contest.services.uploads import space
from contest.services.uploads import tus as resumable
from tests.conftest import unreachable_service, media, stored_keys
from tests.services.media.test_job_failures import BrokenStorage
from tests.views.uploads.test_uploads_tus import (  # noqa: F401  (creator, entry: fixtures)
    OCTETS,
    PLAIN,
    TUS,
    create,
    creator,
    entry,
    patch,
    path_of,
)

FULL_TUS = "服务器存储空间不足。已收到的部分已保存，请稍后重试以继续上传，或告知主办方。"
FULL_FORM = "服务器存储空间不足，文件未能保存。请稍后重试，或告知主办方。"
PLAIN_TEXT = "text/plain; charset=utf-8"


@pytest.fixture
def app_overrides():
    return {"RENDITION_SHORT_SIDE": 360}


@pytest.fixture(autouse=True)
def queued(monkeypatch) -> list[tuple]:
    """Processing is queued, not run: these tests are about the upload (the job's full disk is
    tests/services/media/test_job_failures.py)."""
    calls = []
    monkeypatch.setattr(tasks, "enqueue", lambda name, *args, **kwargs: calls.append((name, *args)))
    return calls


def videos() -> int:
    return db.session.scalar(select(func.count(Video.id)))


def leftovers(app) -> list[str]:
    """Files under the upload root's scratch folders (temporary copies, tus sidecars in the making)."""
    root = Path(app.config["UPLOAD_ROOT"])
    return sorted(str(p.relative_to(root)) for folder in (".tmp",) if (root / folder).is_dir()
                  for p in (root / folder).rglob("*") if p.is_file())


def full_after(limit: int):
    """A replacement for tus's writer: the disk "fills" once ``limit`` bytes of the upload are written; what
    fitted stays, as a real short write leaves it."""
    room = [limit]

    def write_all(fh, data: bytes) -> None:
        fits = data[:room[0]]
        fh.write(fits)
        room[0] -= len(fits)
        if len(fits) < len(data):
            raise OSError(errno.ENOSPC, "No space left on device")

    return write_all


# --- tus: plain text, the partial kept and resumable --------------------------------------------------------

def test_tus_chunk_on_a_full_disk_answers_507_keeps_what_fitted_and_a_later_patch_finishes(
        app, client, entry, monkeypatch):
    data = media(PLAIN).read_bytes()
    location = path_of(create(client, entry, len(data)))
    resumable_write_all = resumable._write_all
    monkeypatch.setattr(resumable, "_write_all", full_after(300_000))

    full = patch(client, location, 0, data)

    assert full.status_code == 507
    assert full.headers["Content-Type"] == PLAIN_TEXT and full.headers["Tus-Resumable"] == "1.0.0"
    assert full.get_data(as_text=True) == FULL_TUS
    assert client.head(location, headers=TUS).headers["Upload-Offset"] == "300000"
    assert videos() == 0

    monkeypatch.setattr(resumable, "_write_all", resumable_write_all)  # room again
    done = patch(client, location, 300_000, data[300_000:])

    assert done.status_code == 204 and done.headers["Upload-Result"] == "ok"
    video = db.session.get(Video, int(done.headers["Upload-Video-Id"]))
    assert video.sha256 == hashlib.sha256(data).hexdigest() and video.bytes == len(data)


def test_tus_creation_on_a_full_disk_answers_507_and_leaves_no_file(app, client, entry, monkeypatch):
    def no_room(upload):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(resumable, "_save", no_room)
    response = create(client, entry, 1000)

    assert response.status_code == 507 and response.headers["Content-Type"] == PLAIN_TEXT
    assert response.get_data(as_text=True) == FULL_FORM
    assert list(resumable.tus_root().iterdir()) == []


def test_tus_final_patch_with_a_full_storage_answers_507_and_an_empty_patch_finishes_later(
        app, client, entry, queued):
    data = media(PLAIN).read_bytes()
    location = path_of(create(client, entry, len(data)))
    inner = app.extensions["storage"]
    app.extensions["storage"] = BrokenStorage(inner, OSError(errno.ENOSPC, "No space left on device"),
                                              ("put_file", "save"))

    full = patch(client, location, 0, data)

    assert full.status_code == 507 and full.get_data(as_text=True) == FULL_TUS
    assert "Upload-Result" not in full.headers  # not a refusal of the file: it is kept whole
    assert client.head(location, headers=TUS).headers["Upload-Offset"] == str(len(data))
    assert videos() == 0 and stored_keys(app) == [] and leftovers(app) == []

    app.extensions["storage"] = inner
    done = patch(client, location, len(data), b"")

    assert done.status_code == 204 and done.headers["Upload-Result"] == "ok" and videos() == 1
    assert queued == [("process_video", int(done.headers["Upload-Video-Id"]))]


# --- the form: the HTML error page, nothing kept ------------------------------------------------------------

def test_form_upload_on_a_full_disk_answers_the_507_page_and_keeps_nothing(app, client, entry):
    app.extensions["storage"] = BrokenStorage(app.extensions["storage"],
                                              OSError(errno.ENOSPC, "No space left on device"), ("save",))
    with open(media(PLAIN), "rb") as stream:
        response = client.post(f"/my/entries/{entry.id}/video", data={"video": (stream, "家乡.mp4")},
                               content_type="multipart/form-data")

    assert response.status_code == 507 and response.mimetype == "text/html"
    assert FULL_FORM in response.get_data(as_text=True)
    assert videos() == 0 and stored_keys(app) == []


# --- the S3 JSON routes: JSON -------------------------------------------------------------------------------

@pytest.mark.s3
@pytest.mark.parametrize("app_overrides", [{}])
def test_s3_routes_answer_a_full_disk_with_json_507(app, client, entry, s3_settings, monkeypatch):
    app.config.update(STORAGE_BACKEND="s3", **s3_settings)

    def full(**kwargs):
        with space.refused_when_full():
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("contest.services.uploads.s3_multipart.start", full)
    response = client.post("/uploads/s3/multipart", json={"entry_id": entry.id, "filename": "a.mp4",
                                                          "size": 1000, "type": "video/mp4"})

    assert response.status_code == 507 and response.json == {"errors": [FULL_FORM]}


# --- a real full disk: a 1 MiB tmpfs as the upload root -----------------------------------------------------

@pytest.fixture
def storage_overrides():
    """Local disk in both passes: a full disk is a local-storage condition (the S3 route's 507 is tested with
    its service raising)."""
    return {}


@pytest.fixture
def tmpfs_upload_root(tmp_path):
    """Mount a 1 MiB tmpfs as the upload root (root only; skipped elsewhere); yields ``grow(size)``, which
    remounts it larger."""
    root = tmp_path / "uploads"
    root.mkdir(exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(root)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        unreachable_service(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")

    def grow(size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(root)], check=True)

    yield grow
    subprocess.run(["umount", "-l", str(root)], check=False)


@pytest.mark.slow
def test_a_real_full_disk_during_a_tus_upload_and_after_room_is_made_it_resumes(
        tmpfs_upload_root, app, client, entry):
    data = media(PLAIN).read_bytes()  # 1,055,736 bytes: more than the 1 MiB disk
    location = path_of(create(client, entry, len(data)))

    full = patch(client, location, 0, data)

    assert full.status_code == 507 and full.get_data(as_text=True) == FULL_TUS
    offset = int(client.head(location, headers=TUS).headers["Upload-Offset"])
    assert 0 < offset < len(data)
    kept = (resumable.tus_root() / location.rsplit("/", 1)[1]).read_bytes()
    assert kept == data[:offset]  # a prefix of what was sent: nothing garbled

    tmpfs_upload_root("16m")
    done = client.patch(location, data=data[offset:], headers={**OCTETS, "Upload-Offset": str(offset)})

    assert done.status_code == 204 and done.headers["Upload-Result"] == "ok"
    video = db.session.get(Video, int(done.headers["Upload-Video-Id"]))
    assert video.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.slow
def test_a_real_full_disk_during_a_form_upload_answers_507_and_leaves_nothing(tmpfs_upload_root, app,
                                                                            client, entry):
    with open(media(PLAIN), "rb") as stream:
        response = client.post(f"/my/entries/{entry.id}/video", data={"video": (stream, "家乡.mp4")},
                               content_type="multipart/form-data")

    assert response.status_code == 507 and FULL_FORM in response.get_data(as_text=True)
    assert videos() == 0 and stored_keys(app) == [] and leftovers(app) == []
