"""``flask storage cleanup``: remove what interrupted uploads left behind in storage. ``flask storage cors``:
let browsers on the site upload straight to the S3 bucket."""
import time
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from contest.infra.storage import LocalStorage, StorageError, get_storage
from contest.services.uploads import tus as resumable

DAY_S = 24 * 3600
#: ID of the bucket CORS rule :func:`allow_browser_uploads` writes (and replaces when run again).
CORS_RULE_ID = "contest-browser-uploads"


def clean_incomplete_uploads(*, older_than_s: float) -> int:
    """Remove unfinished uploads started at least ``older_than_s`` seconds ago; returns how many.

    S3: abort the multipart uploads under ``S3_PREFIX`` (their parts are billed until then). Local: delete the
    partial files in ``UPLOAD_ROOT/.tmp`` (left only when a process died mid-upload) by modification time.
    Both: resumable (tus) uploads under ``UPLOAD_ROOT/.tus`` untouched for as long
    (:func:`contest.services.uploads.tus.clean_abandoned`).
    """
    storage = get_storage()
    resumed = resumable.clean_abandoned(older_than_s=older_than_s)
    if isinstance(storage, LocalStorage):
        return resumed + _remove_stale_files(storage.tmp, older_than_s)
    return resumed + storage.abort_incomplete_uploads(older_than_s)


def _remove_stale_files(folder: Path, older_than_s: float) -> int:
    cutoff, removed = time.time() - older_than_s, 0
    for path in folder.glob("*") if folder.is_dir() else []:
        if path.is_file() and path.stat().st_mtime <= cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def allow_browser_uploads(*, origins: list[str], max_age_s: int = 3600) -> dict:
    """Give the S3 bucket the CORS rule that browsers on ``origins`` (e.g. ``https://contest.example.org``)
    need for direct uploads (:mod:`contest.services.uploads.s3_multipart`): ``PUT`` of presigned parts, ``GET`` and
    ``HEAD``, any request header, the ``ETag`` response header exposed (the browser reads each part's ETag to
    complete the upload); browsers may cache the preflight answer ``max_age_s`` seconds. Returns the rule.

    The bucket's other CORS rules are kept (a shared bucket); a rule with ID :data:`CORS_RULE_ID` from an
    earlier run is replaced. Raises :class:`StorageError` when the backend is not S3 or S3 refuses.
    """
    if current_app.config["STORAGE_BACKEND"] != "s3":
        raise StorageError('CORS rules belong to an S3 bucket: set STORAGE_BACKEND = "s3"')
    from botocore.exceptions import BotoCoreError, ClientError

    storage = get_storage()
    rule = {"ID": CORS_RULE_ID, "AllowedOrigins": list(origins), "AllowedMethods": ["PUT", "GET", "HEAD"],
            "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": max_age_s}
    try:
        try:
            rules = storage.client.get_bucket_cors(Bucket=storage.bucket)["CORSRules"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchCORSConfiguration":
                raise
            rules = []
        kept = [r for r in rules if r.get("ID") != CORS_RULE_ID]
        storage.client.put_bucket_cors(Bucket=storage.bucket, CORSConfiguration={"CORSRules": [*kept, rule]})
    except (BotoCoreError, ClientError) as exc:
        raise StorageError(f"set the CORS rules of bucket {storage.bucket}: {exc}") from exc
    return rule


def _origin(ctx, param, values: tuple[str, ...]) -> list[str]:
    """Each value as an origin ``scheme://host[:port]`` (a trailing slash is dropped), else a usage error."""
    origins = []
    for value in values:
        parts = urlsplit(value.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
            raise click.BadParameter(f"{value!r} is not an origin such as https://contest.example.org")
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


storage_cli = AppGroup("storage", help="Storage maintenance.")


@storage_cli.command("cleanup")
@click.option("--older-than", "older_than_s", type=click.FloatRange(min=0), default=DAY_S, show_default=True,
              help="Seconds since an unfinished upload started before it is removed.")
def cleanup_command(older_than_s: float):
    """Remove unfinished uploads (S3 multipart uploads, local partial files) older than the given age."""
    removed = clean_incomplete_uploads(older_than_s=older_than_s)
    click.echo(f"removed {removed} unfinished upload(s) older than {older_than_s:g} s")


@storage_cli.command("cors")
@click.option("--origin", "origins", multiple=True, required=True, callback=_origin,
              help="Origin of the site whose pages upload, e.g. https://contest.example.org (repeatable).")
@click.option("--max-age", "max_age_s", type=click.IntRange(min=0), default=3600, show_default=True,
              help="Seconds browsers may cache the preflight answer.")
def cors_command(origins: list[str], max_age_s: int):
    """Let browsers on the site upload straight to the S3 bucket (CORS: PUT/GET/HEAD, ETag exposed)."""
    try:
        rule = allow_browser_uploads(origins=origins, max_age_s=max_age_s)
    except StorageError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"bucket {get_storage().bucket}: CORS rule {rule['ID']} allows "
               f"{', '.join(rule['AllowedMethods'])} from {', '.join(rule['AllowedOrigins'])}, exposes ETag")


def register(app: Flask) -> None:
    app.cli.add_command(storage_cli)
