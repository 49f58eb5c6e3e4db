"""The S3 storage backend (``STORAGE_BACKEND = "s3"``): AWS S3 and S3-compatible stores (MinIO, Aliyun OSS,
Tencent COS), behind the same interface as :class:`~contest.infra.storage.LocalStorage`.

Objects live in ``S3_BUCKET`` under ``S3_PREFIX + key``. The web process never carries video bytes to a
viewer: :meth:`S3Storage.send` answers a 302 to a short-lived presigned GET URL and the bucket serves the
bytes (HTTP Range included). Browsers can upload straight to the bucket too, part by part, through presigned
multipart URLs (:meth:`~S3Storage.create_multipart_upload` → :meth:`~S3Storage.presign_part` per part →
:meth:`~S3Storage.complete_multipart_upload` or :meth:`~S3Storage.abort_multipart_upload`). Abandoned
multipart uploads cost storage until aborted: :meth:`~S3Storage.abort_incomplete_uploads` reaps them
(``flask storage cleanup``); a bucket lifecycle rule "abort incomplete multipart uploads after N days" is a
good second net on every provider.

Provider notes: MinIO wants ``S3_ADDRESSING_STYLE = "path"``; Aliyun OSS and Tencent COS want ``"virtual"``
with their S3-compatible endpoint. botocore ≥ 1.36 adds CRC checksums to every upload by default, which
several S3-compatible stores reject and which would leak into presigned part URLs; this backend asks for
checksums only where an operation requires one.
"""
from __future__ import annotations

import hashlib
import logging
import mimetypes
import tempfile
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Iterator, Mapping

from flask import redirect

try:
    import boto3
    from boto3.exceptions import Boto3Error
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config as BotoConfig
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(f"STORAGE_BACKEND 's3' needs boto3 >= 1.36: pip install '.[s3]' ({exc})") from exc

from contest.infra.storage.base import (
    CHUNK_BYTES,
    FileTooLarge,
    Storage,
    StorageError,
    StoredFile,
    attachment_disposition,
)

log = logging.getLogger(__name__)

#: Part size of streamed uploads and downloads, bytes (S3's minimum part is 5 MiB, except the last part).
PART_BYTES = 8 * 1024 * 1024
#: Parts transferred at once per upload; memory held by one streamed upload is at most about 10 parts.
CONCURRENCY = 4
#: S3's limit on part numbers of one multipart upload.
MAX_PARTS = 10_000
ADDRESSING_STYLES = ("auto", "path", "virtual")
_MISSING = {"404", "NoSuchKey", "NotFound"}


class _HashingReader:
    """A read-only, non-seekable view of ``stream`` that counts and SHA-256-hashes what passes through and
    raises :class:`FileTooLarge` as soon as more than ``max_bytes`` have been read. Non-seekable on purpose:
    boto3 then reads it once, front to back, in part-sized chunks."""

    def __init__(self, stream: BinaryIO, max_bytes: int | None):
        self.stream, self.max_bytes = stream, max_bytes
        self.bytes, self.digest = 0, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.bytes += len(chunk)
        if self.max_bytes is not None and self.bytes > self.max_bytes:
            raise FileTooLarge(self.max_bytes)
        self.digest.update(chunk)
        return chunk


class S3Storage(Storage):
    """Objects in one bucket under a key prefix. Clients are made on first use (thread-safe once made)."""

    def __init__(self, *, bucket: str, prefix: str = "", endpoint_url: str | None = None,
                 public_endpoint_url: str | None = None, region: str | None = None,
                 access_key_id: str | None = None, secret_access_key: str | None = None,
                 addressing_style: str = "auto", presign_expires: int = 300):
        if addressing_style not in ADDRESSING_STYLES:
            raise StorageError(f"S3 addressing style must be one of {ADDRESSING_STYLES}, "
                               f"not {addressing_style!r}")
        self.bucket, self.prefix, self.presign_expires = bucket, prefix, int(presign_expires)
        self.endpoint_url, self.public_endpoint_url = endpoint_url, public_endpoint_url or endpoint_url
        self._session_args = {"region_name": region, "aws_access_key_id": access_key_id,
                              "aws_secret_access_key": secret_access_key}
        self._boto_config = BotoConfig(signature_version="s3v4", s3={"addressing_style": addressing_style},
                                       request_checksum_calculation="when_required",
                                       response_checksum_validation="when_required",
                                       retries={"mode": "standard"})
        self.transfer = TransferConfig(multipart_threshold=PART_BYTES, multipart_chunksize=PART_BYTES,
                                       max_concurrency=CONCURRENCY, preferred_transfer_client="classic")

    @classmethod
    def from_config(cls, config: Mapping) -> S3Storage:
        """Build from the ``S3_*`` settings of ``config`` (see config.py). Empty strings count as unset, so
        that ``CONTEST_S3_ACCESS_KEY_ID=`` falls back to boto3's default credential chain."""
        def get(name: str) -> str | None:
            value = config.get(name)
            return None if value in (None, "") else str(value)

        if not get("S3_BUCKET"):
            raise StorageError("STORAGE_BACKEND 's3' needs S3_BUCKET (env CONTEST_S3_BUCKET)")
        return cls(bucket=get("S3_BUCKET"), prefix=get("S3_PREFIX") or "",
                   endpoint_url=get("S3_ENDPOINT_URL"), public_endpoint_url=get("S3_PUBLIC_ENDPOINT_URL"),
                   region=get("S3_REGION"),
                   access_key_id=get("S3_ACCESS_KEY_ID"), secret_access_key=get("S3_SECRET_ACCESS_KEY"),
                   addressing_style=get("S3_ADDRESSING_STYLE") or "auto",
                   presign_expires=int(config.get("S3_PRESIGN_EXPIRES") or 300))

    @cached_property
    def client(self):
        """Client for the calls this process makes (``S3_ENDPOINT_URL``)."""
        return self._make_client(self.endpoint_url)

    @cached_property
    def signer(self):
        """Client that signs URLs handed to browsers and players (``S3_PUBLIC_ENDPOINT_URL``, else the same
        endpoint). Signing is local: it makes no request."""
        if self.public_endpoint_url == self.endpoint_url:
            return self.client
        return self._make_client(self.public_endpoint_url)

    def _make_client(self, endpoint_url: str | None):
        session = boto3.session.Session(**self._session_args)
        return session.client("s3", endpoint_url=endpoint_url, config=self._boto_config)

    def object_key(self, key: str) -> str:
        """The bucket key of storage key ``key`` (``S3_PREFIX`` + key)."""
        return self.prefix + key

    # --- the Storage interface ------------------------------------------------------------------------

    def save(self, key: str, stream: BinaryIO, *, max_bytes: int | None = None) -> StoredFile:
        """Stream ``stream`` to ``key`` as a multipart upload of :data:`PART_BYTES` parts (a single PUT below
        that size), hashing as it goes; memory is bounded by the parts in flight, not the file size.

        Atomic: on any error, :class:`FileTooLarge` included, the multipart upload is aborted and nothing is
        left under ``key``. Raises :class:`FileTooLarge`, or :class:`StorageError` for S3 failures.
        """
        reader = _HashingReader(stream, max_bytes)
        self._upload(key, lambda: self.client.upload_fileobj(
            reader, self.bucket, self.object_key(key), ExtraArgs=_content_type(key), Config=self.transfer))
        return StoredFile(key=key, bytes=reader.bytes, sha256=reader.digest.hexdigest())

    def put_file(self, key: str, path: Path) -> StoredFile:
        """Store local file ``path`` under ``key``: hashed locally, then uploaded in parallel parts read
        straight from the file; the content type is guessed from ``key``'s suffix. Atomic like
        :meth:`save`."""
        digest, size = hashlib.sha256(), 0
        with open(path, "rb") as stream:
            while chunk := stream.read(CHUNK_BYTES):
                digest.update(chunk)
                size += len(chunk)
        self._upload(key, lambda: self.client.upload_file(
            str(path), self.bucket, self.object_key(key), ExtraArgs=_content_type(key), Config=self.transfer))
        return StoredFile(key=key, bytes=size, sha256=digest.hexdigest())

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        """Download ``key`` to a file in a fresh temporary directory (under ``$TMPDIR``: it needs room for the
        largest original) that is removed when the block ends. Raises :class:`StorageError` if missing."""
        with tempfile.TemporaryDirectory(prefix="contest-s3-") as tmp:
            path = Path(tmp) / (PurePosixPath(key).name or "object")
            with _errors(f"download {key}"):
                self.client.download_file(self.bucket, self.object_key(key), str(path), Config=self.transfer)
            yield path

    def delete(self, key: str | None) -> None:
        if key:
            with _errors(f"delete {key}"):
                self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            if _is_missing(exc):
                return False
            raise StorageError(f"head {key}: {exc}") from exc
        return True

    def send(self, key: str, *, mimetype: str, download_name: str | None = None):
        """A 302 to a presigned GET URL of ``key`` valid ``S3_PRESIGN_EXPIRES`` seconds; the bucket serves the
        bytes with HTTP Range support (as an attachment named ``download_name`` when given). The redirect
        itself is marked ``Cache-Control: no-store``."""
        response = redirect(self.presigned_url(key, mimetype=mimetype, download_name=download_name), code=302)
        response.headers["Cache-Control"] = "no-store"
        return response

    def presigned_url(self, key: str, *, expires: int | None = None, mimetype: str | None = None,
                      download_name: str | None = None) -> str:
        """A GET URL of ``key`` that works without credentials for ``expires`` seconds (default
        ``S3_PRESIGN_EXPIRES``); ``mimetype`` sets the ``Content-Type`` the bucket answers with,
        ``download_name`` a ``Content-Disposition`` saving it under that name."""
        params = {"Bucket": self.bucket, "Key": self.object_key(key)}
        if mimetype:
            params["ResponseContentType"] = mimetype
        if download_name:
            params["ResponseContentDisposition"] = attachment_disposition(download_name)
        return self.signer.generate_presigned_url("get_object", Params=params,
                                                  ExpiresIn=expires or self.presign_expires)

    # --- multipart uploads from browsers -------------------------------------------------------------

    def create_multipart_upload(self, key: str, *, content_type: str) -> str:
        """Start a multipart upload of ``key``; returns its upload id. Parts are then PUT by the browser to
        :meth:`presign_part` URLs (5 MiB at least, except the last)."""
        with _errors(f"create multipart upload {key}"):
            return self.client.create_multipart_upload(Bucket=self.bucket, Key=self.object_key(key),
                                                       ContentType=content_type)["UploadId"]

    def presign_part(self, key: str, *, upload_id: str, part_number: int, expires: int | None = None) -> str:
        """A URL to which a browser PUTs part ``part_number`` (1…10000) of the upload, valid ``expires``
        seconds (default ``S3_PRESIGN_EXPIRES``). The answer's ``ETag`` header goes to
        :meth:`complete_multipart_upload` (the bucket's CORS rules must expose ``ETag``)."""
        if not 1 <= part_number <= MAX_PARTS:
            raise StorageError(f"part number must be 1…{MAX_PARTS}, not {part_number}")
        params = {"Bucket": self.bucket, "Key": self.object_key(key), "UploadId": upload_id,
                  "PartNumber": part_number}
        return self.signer.generate_presigned_url("upload_part", Params=params,
                                                  ExpiresIn=expires or self.presign_expires)

    def complete_multipart_upload(self, key: str, *, upload_id: str, parts: list[tuple[int, str]],
                                  max_bytes: int | None = None, digest: bool = True) -> StoredFile:
        """Join ``parts`` (``(part_number, etag)`` pairs, any order) into the object ``key``.

        ``bytes`` comes from a HEAD of the object; ``sha256`` from streaming the whole object back once,
        because S3 keeps no whole-object SHA-256 of a multipart upload: that costs one full GET (time and
        traffic ≈ the file size, e.g. ~10 s per GB at 100 MB/s), so call this from a task, not a request —
        or pass ``digest=False`` (a web request): nothing is read back and ``sha256`` is None.
        Raises :class:`StorageError` if S3 refuses (unknown upload, wrong ETag, part too small; the upload is
        left open for a retry or :meth:`abort_multipart_upload`), :class:`FileTooLarge` past ``max_bytes``.
        Once the parts are joined, any error deletes the object again.
        """
        ordered = [{"PartNumber": int(n), "ETag": etag} for n, etag in sorted(parts)]
        with _errors(f"complete multipart upload {key}"):
            self.client.complete_multipart_upload(Bucket=self.bucket, Key=self.object_key(key),
                                                  UploadId=upload_id, MultipartUpload={"Parts": ordered})
        try:
            with _errors(f"read back {key}"):
                size = self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))["ContentLength"]
                if max_bytes is not None and size > max_bytes:
                    raise FileTooLarge(max_bytes)
                return StoredFile(key=key, bytes=size, sha256=self._sha256(key) if digest else None)
        except BaseException:
            self._discard(key)
            raise

    def list_parts(self, key: str, *, upload_id: str) -> list[dict] | None:
        """The parts received so far, by part number: ``[{"PartNumber": int, "Size": bytes, "ETag": str}]``;
        None when the upload no longer exists (completed or aborted). Raises :class:`StorageError`."""
        try:
            pages = self.client.get_paginator("list_parts").paginate(
                Bucket=self.bucket, Key=self.object_key(key), UploadId=upload_id)
            parts = [part for page in pages for part in page.get("Parts", [])]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchUpload":
                return None
            raise StorageError(f"list parts {key}: {exc}") from exc
        except (BotoCoreError, Boto3Error) as exc:
            raise StorageError(f"list parts {key}: {exc}") from exc
        return sorted(({"PartNumber": p["PartNumber"], "Size": p["Size"], "ETag": p["ETag"]} for p in parts),
                      key=lambda part: part["PartNumber"])

    def abort_multipart_upload(self, key: str, *, upload_id: str) -> None:
        """Abort the upload and drop its parts; an upload already gone is ignored."""
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.object_key(key),
                                               UploadId=upload_id)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
                raise StorageError(f"abort multipart upload {key}: {exc}") from exc

    def abort_incomplete_uploads(self, older_than_s: float) -> int:
        """Abort every multipart upload under ``S3_PREFIX`` started at least ``older_than_s`` seconds ago
        (0: all of them); returns how many were aborted. Uploads outside the prefix are left alone."""
        cutoff = datetime.now(timezone.utc) - timedelta(seconds=older_than_s)
        with _errors("list multipart uploads"):
            pages = self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket,
                                                                                 Prefix=self.prefix)
            stale = [u for page in pages for u in page.get("Uploads", []) if u["Initiated"] <= cutoff]
        for upload in stale:
            self.abort_multipart_upload(upload["Key"].removeprefix(self.prefix), upload_id=upload["UploadId"])
        return len(stale)

    # --- helpers ---------------------------------------------------------------------------------------

    def _upload(self, key: str, upload) -> None:
        """Run ``upload``; on any error leave nothing under ``key`` (keys come from ``new_key`` and are never
        reused, so whatever is there after a failure came from this upload) and re-raise."""
        try:
            with _errors(f"upload {key}"):
                upload()
        except BaseException:
            self._discard(key)
            raise

    def _discard(self, key: str) -> None:
        """Best effort after a failure: abort multipart uploads of ``key`` still open, delete the object."""
        try:
            name = self.object_key(key)
            listing = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=name)
            for upload in listing.get("Uploads", []):
                if upload["Key"] == name:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=name,
                                                       UploadId=upload["UploadId"])
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except (ClientError, BotoCoreError, Boto3Error):
            log.exception("could not clean up %s after a failed upload", key)

    def _sha256(self, key: str) -> str:
        digest = hashlib.sha256()
        body = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))["Body"]
        for chunk in body.iter_chunks(CHUNK_BYTES):
            digest.update(chunk)
        return digest.hexdigest()


def _content_type(key: str) -> dict:
    mimetype, _encoding = mimetypes.guess_type(key)
    return {"ContentType": mimetype} if mimetype else {}


def _is_missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _MISSING


@contextmanager
def _errors(action: str) -> Iterator[None]:
    """Turn botocore failures into :class:`StorageError` (``no such key`` for a missing object)."""
    try:
        yield
    except ClientError as exc:
        if _is_missing(exc):
            raise StorageError(f"{action}: no such key") from exc
        raise StorageError(f"{action}: {exc}") from exc
    except (BotoCoreError, Boto3Error) as exc:  # Boto3Error: e.g. S3UploadFailedError from upload_file
        raise StorageError(f"{action}: {exc}") from exc
