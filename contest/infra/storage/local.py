"""Local storage: files under ``UPLOAD_ROOT`` (the embedded default; one host)."""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from flask import send_file

from contest.infra.storage.base import (
    CHUNK_BYTES,
    FileTooLarge,
    Storage,
    StorageError,
    StoredFile,
)


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
        target.parent.mkdir(parents=True, exist_ok=True)
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
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return StoredFile(key=key, bytes=size, sha256=digest.hexdigest())

    def put_file(self, key: str, path: Path) -> StoredFile:
        """Hard-linked under ``key`` when ``path`` is on the same filesystem, then hashed in one read (no
        bytes written: a finished 1 GB resumable upload is stored without a second 1 GB write), else copied
        like :meth:`save`. ``path`` may be removed afterwards but must not be changed in place."""
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
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
        if key:
            self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def send(self, key: str, *, mimetype: str):
        return send_file(self._path(key), mimetype=mimetype, conditional=True, max_age=0)

    def clear_tmp(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
