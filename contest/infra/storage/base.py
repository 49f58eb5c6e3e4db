"""The storage interface: what every backend implements with the same signatures, and its errors."""
from __future__ import annotations

import errno
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator
from urllib.parse import quote

CHUNK_BYTES = 1024 * 1024


class StorageError(Exception):
    """Base class of storage failures."""


class FileTooLarge(StorageError):
    """The stream was longer than the allowed number of bytes; nothing was kept."""

    def __init__(self, limit_bytes: int):
        super().__init__(f"file exceeds {limit_bytes} bytes")
        self.limit_bytes = limit_bytes


#: ``errno`` values of a full disk: no space left, disk quota exceeded.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_disk_full(exc: BaseException | None) -> bool:
    """True when ``exc``, or an exception it was raised from, is an ``OSError`` saying the disk (or the
    user's quota) is full: the server's fault, never the file's."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@dataclass(frozen=True)
class StoredFile:
    key: str
    bytes: int
    sha256: str


def new_key(kind: str, suffix: str = "") -> str:
    """A fresh, unguessable key such as ``videos/3f/3fa2…e1/original``; ``suffix`` like ``.mp4`` is appended."""
    token = uuid.uuid4().hex
    return f"{kind}/{token[:2]}/{token}{suffix}"


def attachment_disposition(filename: str) -> str:
    """A ``Content-Disposition`` value that saves the bytes as ``filename``: the UTF-8 name (RFC 6266,
    ``filename*``) and an ASCII fallback for old clients (``download.csv`` when no letter of the name is
    ASCII)."""
    ascii_name = filename.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "")
    stem, dot, extension = ascii_name.rpartition(".")
    if not (stem if dot else extension).strip("-_ ."):
        ascii_name = "download" + dot + extension if dot else "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


class Storage:
    """Interface every backend implements with the same signatures."""

    def save(self, key: str, stream: BinaryIO, *, max_bytes: int | None = None) -> StoredFile:
        """Copy ``stream`` to ``key`` in 1 MiB chunks (never whole in memory), hashing as it goes.

        Atomic: on any error (including :class:`FileTooLarge` when more than ``max_bytes`` arrive) nothing is
        left under ``key`` nor in temporary space.
        """
        raise NotImplementedError

    def put_file(self, key: str, path: Path) -> StoredFile:
        """Store a local file (e.g. an ffmpeg output) under ``key``."""
        with open(path, "rb") as stream:
            return self.save(key, stream)

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        """A local filesystem path holding the bytes of ``key`` for the duration of the block (for ffmpeg)."""
        raise NotImplementedError

    def delete(self, key: str | None) -> None:
        """Remove ``key``; missing keys and ``None`` are ignored. Nothing else is left behind for it (local
        storage: the folders it emptied)."""
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError

    def send(self, key: str, *, mimetype: str, download_name: str | None = None):
        """A Flask response streaming ``key``, honouring HTTP Range and conditional requests (or a redirect
        to a URL that does); with ``download_name`` the browser saves it as an attachment of that name."""
        raise NotImplementedError
