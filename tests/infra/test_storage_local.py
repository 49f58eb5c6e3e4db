"""Local storage: storing a file that is already on disk (a finished resumable upload, an ffmpeg output)."""
import errno
import hashlib
import os

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
