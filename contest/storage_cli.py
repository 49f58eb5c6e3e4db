"""``flask storage cleanup``: remove what interrupted uploads left behind in storage."""
import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from contest.services import resumable
from contest.services.storage import LocalStorage, get_storage

DAY_S = 24 * 3600


def clean_incomplete_uploads(*, older_than_s: float) -> int:
    """Remove unfinished uploads started at least ``older_than_s`` seconds ago; returns how many.

    S3: abort the multipart uploads under ``S3_PREFIX`` (their parts are billed until then). Local: delete the
    partial files in ``UPLOAD_ROOT/.tmp`` (left only when a process died mid-upload) by modification time.
    Both: resumable (tus) uploads under ``UPLOAD_ROOT/.tus`` untouched for as long
    (:func:`contest.services.resumable.clean_abandoned`).
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


storage_cli = AppGroup("storage", help="Storage maintenance.")


@storage_cli.command("cleanup")
@click.option("--older-than", "older_than_s", type=click.FloatRange(min=0), default=DAY_S, show_default=True,
              help="Seconds since an unfinished upload started before it is removed.")
def cleanup_command(older_than_s: float):
    """Remove unfinished uploads (S3 multipart uploads, local partial files) older than the given age."""
    removed = clean_incomplete_uploads(older_than_s=older_than_s)
    click.echo(f"removed {removed} unfinished upload(s) older than {older_than_s:g} s")


def register(app: Flask) -> None:
    app.cli.add_command(storage_cli)
