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
from celery.signals import worker_process_init

from contest import create_app
from contest.extensions import db

flask_app = create_app(TASK_BACKEND="celery")
celery_app = flask_app.extensions["celery"]


@worker_process_init.connect
def forget_parent_connections(**_) -> None:
    """In each new pool process, drop database connections inherited from the parent (SQLAlchemy's rule for
    forked processes): a connection must never be shared by two processes."""
    with flask_app.app_context():
        db.engine.dispose(close=False)
