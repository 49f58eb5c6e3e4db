"""Celery worker entry point::

    celery -A contest.worker worker --loglevel=info --concurrency=1

Builds the Flask app with :func:`contest.create_app` (configuration from ``CONTEST_*`` like the web
processes; the task backend is always ``celery`` here) and exposes its Celery app as ``celery_app``; tasks run
inside an app context (:func:`contest.infra.tasks.make_celery`). Import this module only in workers: it
creates an app at import time.

Use the prefork pool (the default): only it enforces time limits. No ffmpeg outlives its task there: the soft
time limit raises ``SoftTimeLimitExceeded`` and the hard limit's SIGTERM raises ``SystemExit`` (billiard's
handler in pool processes) inside :func:`contest.services.media.probe.run_tool`'s wait, whose cleanup kills ffmpeg's
whole process group before the exception travels on.
"""
import logging

from celery.signals import worker_init, worker_process_init

from contest import create_app
from contest.extensions import db
from contest.services.media.errors import ToolUnavailable
from contest.services.media.tools import check_tools

log = logging.getLogger(__name__)

flask_app = create_app(TASK_BACKEND="celery")
celery_app = flask_app.extensions["celery"]


@worker_init.connect
def refuse_without_media_tools(**_) -> None:
    """Before the worker takes any task: check that ffmpeg and ffprobe run
    (:func:`contest.services.media.tools.check_tools`); when they do not, log the problem and stop the worker
    with exit status 1 (a ``SystemExit``: Celery's signal dispatch catches only ``Exception``), so that
    videos wait in the queue instead of failing one by one."""
    try:
        versions = check_tools(flask_app.config)
    except ToolUnavailable as exc:
        log.critical("the worker cannot process videos and will not start: %s", exc)
        raise SystemExit(1) from exc
    log.info("media tools: %s", "; ".join(versions.values()))


@worker_process_init.connect
def forget_parent_connections(**_) -> None:
    """In each new pool process, drop database connections inherited from the parent (SQLAlchemy's rule for
    forked processes): a connection must never be shared by two processes."""
    with flask_app.app_context():
        db.engine.dispose(close=False)
