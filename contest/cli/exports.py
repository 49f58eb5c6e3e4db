"""``flask exports …`` commands.

``flask exports expire`` deletes the files of finished exports past their ``expires_at`` (``EXPORT_KEEP_S``
after they were made). Each export job also does this before it runs; a cron entry keeps storage clean when no
export runs for a while. Safe at any time.

``flask exports recover`` queues :func:`~contest.services.exports.jobs.run_export` again for every queued job
(its message may have been lost: broker down when it was requested). A running job's message is delivered
again by Celery itself when its worker dies (``acks_late``). The in-process runner does this by itself at
start (:func:`~contest.services.exports.jobs.requeue_unfinished_exports`). Safe at any time: a job run twice
is written once.
"""
import click
from flask import Flask, current_app
from flask.cli import AppGroup

from contest.extensions import db
from contest.infra.tasks import enqueue
from contest.models import ExportState
from contest.services.exports.jobs import expire_exports, export_ids

exports_cli = AppGroup("exports", help="Operate background exports.")


@exports_cli.command("expire")
def expire_command():
    """Delete expired export files and mark their jobs expired."""
    count = expire_exports()
    db.session.commit()
    click.echo(f"expired {count} export file(s)")


@exports_cli.command("recover")
def recover_command():
    """Queue the export jobs still waiting to start."""
    ids = export_ids(ExportState.QUEUED)
    db.session.commit()
    for job_id in ids:
        enqueue("run_export", job_id)
    click.echo(f"queued {len(ids)} export job(s) ({current_app.config['TASK_BACKEND']})"
               + (f": {', '.join(map(str, ids))}" if ids else ""))


def register(app: Flask) -> None:
    app.cli.add_command(exports_cli)
