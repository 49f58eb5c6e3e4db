"""``flask media …`` commands: operating the media pipeline.

``flask media check`` runs ``FFMPEG_BINARY -version`` and ``FFPROBE_BINARY -version`` and prints the versions,
or the problem (exit status 1); ``./manage.sh start`` and the Celery worker make the same check at start-up.

``flask media recover`` queues :func:`~contest.services.media.jobs.process_video` again for every video that
no worker is processing: ``pending`` rows (their message may have been lost: broker down at upload time, Redis
data lost) and ``processing`` rows whose run started longer ago than a task may live (the Celery hard time
limit, :func:`contest.infra.tasks.time_limits`). It is the Celery counterpart of the in-process runner's
start hook (:func:`~contest.services.media.jobs.recover_unfinished`). Safe at any time: a video that is
queued twice is processed once and the second run finds it settled, or — when two workers take both copies at
once — processed twice, leaving one poster and one rendition.
"""
from datetime import datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import or_, select, update

from contest.extensions import db
from contest.infra.tasks import enqueue, time_limits
from contest.models import Video, VideoState, utcnow
from contest.services.media.errors import ToolUnavailable
from contest.services.media.jobs import seconds_until
from contest.services.media.tools import check_tools

media_cli = AppGroup("media", help="Operate the media pipeline.")


def reset_abandoned_videos(*, stale_before: datetime) -> list[tuple[int, datetime | None]]:
    """Set ``processing`` videos whose run started before ``stale_before`` (or never recorded a start) back to
    ``pending``; return ``(id, next_attempt_at)`` of all ``pending`` videos, oldest first. Flushes, never
    commits."""
    db.session.execute(update(Video).where(
        Video.state == VideoState.PROCESSING,
        or_(Video.processing_started_at.is_(None), Video.processing_started_at < stale_before),
    ).values(state=VideoState.PENDING))
    db.session.flush()
    pending = (select(Video.id, Video.next_attempt_at).where(Video.state == VideoState.PENDING)
               .order_by(Video.id))
    return [tuple(row) for row in db.session.execute(pending)]


@media_cli.command("recover")
@click.option("--stale-after", type=click.IntRange(min=0), default=None, metavar="SECONDS",
              help="Age of a processing run after which it counts as abandoned "
                   "[default: the task hard time limit].")
def recover_command(stale_after: int | None):
    """Queue processing again for pending videos and abandoned processing runs."""
    backend = current_app.config["TASK_BACKEND"]
    if backend == "thread":
        raise click.ClickException("TASK_BACKEND=thread recovers unfinished videos by itself when the web "
                                   "process starts; this command is for TASK_BACKEND=celery (or eager).")
    if stale_after is None:
        stale_after = time_limits(current_app.config)[1]
    pending = reset_abandoned_videos(stale_before=utcnow() - timedelta(seconds=stale_after))
    db.session.commit()
    for video_id, due in pending:  # a retry waiting for its time is queued for that time
        enqueue("process_video", video_id, delay_s=seconds_until(due))
    video_ids = [video_id for video_id, _due in pending]
    click.echo(f"queued {len(video_ids)} video(s) for processing ({backend})"
               + (f": {', '.join(map(str, video_ids))}" if video_ids else ""))


@media_cli.command("check")
def check_command():
    """Check that ffmpeg and ffprobe run; print their versions (exit status 1 when one does not)."""
    try:
        versions = check_tools(current_app.config)
    except ToolUnavailable as exc:
        raise click.ClickException(f"videos cannot be processed: {exc}") from None
    for name, version in versions.items():
        click.echo(f"{name}: {version}")


def register(app: Flask) -> None:
    app.cli.add_command(media_cli)
