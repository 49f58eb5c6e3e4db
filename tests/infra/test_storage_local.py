"""Local storage: storing a file that is already on disk (a finished resumable upload, an ffmpeg output)."""
import errno
import hashlib
import io
import os
from pathlib import Path

import pytest

from contest.infra.storage import local as storage_module
from contest.infra.storage import LocalStorage, new_key


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "uploads")


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "uploads" / ".tus" / "finished"
    path.parent.mkdir(parents=True)
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    return path


def test_put_file_on_the_same_filesystem_links_instead_of_copying(storage, source):
    data = source.read_bytes()
    key = new_key("originals")

    stored = storage.put_file(key, source)

    assert (stored.key, stored.bytes, stored.sha256) == (key, len(data), hashlib.sha256(data).hexdigest())
    with storage.local_path(key) as path:
        assert path.stat().st_ino == source.stat().st_ino  # no second copy of the bytes was written
    source.unlink()
    with storage.local_path(key) as path:
        assert path.read_bytes() == data


def test_put_file_copies_when_it_cannot_link(storage, source, monkeypatch):
    def cross_device(src, dst):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(storage_module.os, "link", cross_device)
    data = source.read_bytes()

    stored = storage.put_file("posters/ab/poster.jpg", source)

    assert (stored.bytes, stored.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    with storage.local_path(stored.key) as path:
        assert path.read_bytes() == data and path.stat().st_ino != source.stat().st_ino
    assert list(storage.tmp.iterdir()) == []


def test_put_file_that_fails_while_hashing_leaves_nothing_under_the_key(storage, source, monkeypatch):
    def unreadable(stream, name):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(storage_module.hashlib, "file_digest", unreadable)

    with pytest.raises(OSError):
        storage.put_file("originals/ab/original", source)

    assert not storage.exists("originals/ab/original") and source.is_file()


# --- deleting: no empty folders left behind ----------------------------------------------------------------

def folders(storage) -> list[str]:
    return sorted(p.relative_to(storage.root).as_posix() for p in storage.root.rglob("*") if p.is_dir())


def test_delete_removes_the_folders_it_empties_up_to_the_root(storage):
    first, second = "originals/ab/first", "originals/cd/second"
    for key in (first, second):
        storage.save(key, io.BytesIO(b"video bytes"))

    storage.delete(first)
    assert folders(storage) == [".tmp", "originals", "originals/cd"]  # the scratch folder stays
    storage.delete(second)
    assert folders(storage) == [".tmp"] and storage.root.is_dir()
    storage.delete(second)  # a missing key, twice: nothing happens
    storage.delete(None)


def test_delete_keeps_a_folder_that_another_file_still_uses(storage):
    storage.save("posters/ab/one.jpg", io.BytesIO(b"1"))
    storage.save("posters/ab/two.jpg", io.BytesIO(b"2"))
    storage.delete("posters/ab/one.jpg")
    assert folders(storage) == [".tmp", "posters", "posters/ab"] and storage.exists("posters/ab/two.jpg")


def test_a_folder_filled_or_removed_meanwhile_does_not_fail_the_delete(storage, monkeypatch):
    storage.save("originals/ab/key", io.BytesIO(b"x"))
    real_rmdir = os.rmdir
    failures = iter([errno.ENOENT, errno.ENOTEMPTY])

    def racing(path, *args, **kwargs):  # 1st: another delete removed it; 2nd: another save filled it
        code = next(failures)
        real_rmdir(path) if code == errno.ENOENT else None
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(storage_module.Path, "rmdir", lambda self: racing(self))
    storage.delete("originals/ab/key")
    assert folders(storage) == [".tmp", "originals"] and not storage.exists("originals/ab/key")


def test_save_and_put_file_recreate_a_folder_a_concurrent_delete_removed(storage, source, monkeypatch):
    for name in ("replace", "link"):
        real = getattr(os, name)

        def racing(src, dst, real=real):  # the key's folder vanishes between mkdir and the rename/link
            Path(dst).parent.rmdir()
            monkeypatch.setattr(storage_module.os, real.__name__, real)
            return real(src, dst)

        monkeypatch.setattr(storage_module.os, name, racing)
        key = f"originals/ab/{name}"
        stored = storage.save(key, io.BytesIO(b"data")) if name == "replace" else storage.put_file(key, source)
        with storage.local_path(key) as path:
            assert path.stat().st_size == stored.bytes > 0
            assert name == "replace" or path.stat().st_ino == source.stat().st_ino  # linked, not copied
        storage.delete(key)


def test_send_with_a_download_name_answers_an_attachment(app, storage):
    key = storage.save(new_key("exports", ".csv"), io.BytesIO(b"a,b\r\n")).key
    with app.test_request_context():
        response = storage.send(key, mimetype="text/csv", download_name="XH2026-初评-score-sheet.csv")
        response.direct_passthrough = False
        assert response.get_data() == b"a,b\r\n"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"XH2026--score-sheet.csv\"; "
        "filename*=UTF-8''XH2026-%E5%88%9D%E8%AF%84-score-sheet.csv")
