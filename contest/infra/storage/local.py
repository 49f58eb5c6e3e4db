"""Local storage: files under ``UPLOAD_ROOT`` (the embedded default; one host)."""
from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from flask import send_file

from contest.infra.storage.base import (
    CHUNK_BYTES,
    FileTooLarge,
    Storage,
    StorageError,
    StoredFile,
    attachment_disposition,
)

log = logging.getLogger(__name__)


class LocalStorage(Storage):
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()
        self.tmp = self.root / ".tmp"

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise StorageError(f"key escapes the storage root: {key!r}")
        return path

    def save(self, key: str, stream: BinaryIO, *, max_bytes: int | None = None) -> StoredFile:
        target = self._path(key)
        self.tmp.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix="part-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK_BYTES):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise FileTooLarge(max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
            _into_folder(target, lambda: os.replace(tmp_name, target))
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return StoredFile(key=key, bytes=size, sha256=digest.hexdigest())

    def put_file(self, key: str, path: Path) -> StoredFile:
        """Hard-linked under ``key`` when ``path`` is on the same filesystem, then hashed in one read (no
        bytes written: a finished 1 GB resumable upload is stored without a second 1 GB write), else copied
        like :meth:`save`. ``path`` may be removed afterwards but must not be changed in place."""
        target = self._path(key)
        try:
            _into_folder(target, lambda: os.link(path, target))
        except OSError:  # another filesystem (e.g. ffmpeg output under $TMPDIR), or no hard links there
            return super().put_file(key, path)
        try:
            with open(target, "rb") as stream:
                digest = hashlib.file_digest(stream, "sha256")
                size = stream.tell()
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return StoredFile(key=key, bytes=size, sha256=digest.hexdigest())

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.exists():
            raise StorageError(f"no such key: {key}")
        yield path

    def delete(self, key: str | None) -> None:
        """Remove the file of ``key``, then its folders up to (not including) ``UPLOAD_ROOT`` while they are
        empty (a refused upload leaves no ``originals/3f/`` behind). Safe against concurrent writers: a folder
        that another request has just filled (``ENOTEMPTY``) ends the walk, one already removed (``ENOENT``)
        is passed over, and :meth:`save` / :meth:`put_file` re-create a folder removed under them."""
        if not key:
            return
        path = self._path(key)
        path.unlink(missing_ok=True)
        folder = path.parent
        while folder != self.root and self.root in folder.parents:
            try:
                folder.rmdir()
            except FileNotFoundError:
                pass
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    log.warning("storage folder %s not removed: %s", folder, exc)
                return
            folder = folder.parent

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def send(self, key: str, *, mimetype: str, download_name: str | None = None):
        response = send_file(self._path(key), mimetype=mimetype, conditional=True, max_age=0)
        if download_name is not None:
            response.headers["Content-Disposition"] = attachment_disposition(download_name)
        return response

    def clear_tmp(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def _into_folder(target: Path, place: Callable[[], None], attempts: int = 3) -> None:
    """Create ``target``'s folder and run ``place()`` (a rename or link onto ``target``); again when a
    concurrent :meth:`LocalStorage.delete` removed the folder in between (``FileNotFoundError`` while the
    folder is gone). Other errors propagate."""
    for attempt in range(attempts):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            place()
            return
        except FileNotFoundError:
            if attempt == attempts - 1 or target.parent.is_dir():
                raise
