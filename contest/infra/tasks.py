"""Background tasks behind one small interface chosen by config (``TASK_BACKEND``).

* ``thread`` (default): one in-process worker thread, started on the app's first request. On start it runs
  the registered start hooks (e.g. re-queue videos left unfinished by a previous process), so nothing stays
  "processing" after a restart; tasks may be queued with a delay, and a transient error is retried with
  backoff (:class:`ThreadRunner`). Needs no server; meant for a single web process.
* ``eager``: the task runs at once in the caller (tests, CLI).
* ``celery``: tasks go through a broker (Redis, ``CELERY_BROKER_URL``) to ``celery -A contest.worker worker``
  processes (:mod:`contest.worker`); see :func:`make_celery` for delivery, retries and time limits. Start
  hooks do not run; ``flask media recover`` (:mod:`contest.cli.media`) and ``flask exports recover``
  (:mod:`contest.cli.exports`) re-queue unfinished work.

Tasks take ids (never ORM objects), reload their rows and must be safe to run twice. Register one with
:func:`task`; queue it with :func:`enqueue` *after* the caller has committed.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from flask import Flask, current_app
from sqlalchemy.exc import OperationalError

from contest.infra.delayed import DelayQueue

log = logging.getLogger(__name__)

TASKS: dict[str, Callable] = {}
START_HOOKS: list[Callable[[], None]] = []


def task(fn: Callable) -> Callable:
    """Register ``fn`` under its ``__name__`` as a task."""
    TASKS[fn.__name__] = fn
    return fn


def on_start(fn: Callable[[], None]) -> Callable[[], None]:
    """Register ``fn`` to run (in an app context) when a background runner starts."""
    START_HOOKS.append(fn)
    return fn


class EagerRunner:
    """Runs each task at once in the caller; a delay is ignored (tests, CLI)."""

    def __init__(self, app: Flask):
        self.app = app

    def enqueue(self, name: str, *args, delay_s: float = 0.0) -> None:
        TASKS[name](*args)

    def start(self) -> None:
        pass

    def wait_idle(self, timeout: float | None = None) -> bool:
        return True


#: The item that makes the worker thread run the start hooks.
_HOOKS = ("<start hooks>", (), 0)


class ThreadRunner:
    """One daemon thread running tasks from a :class:`~contest.infra.delayed.DelayQueue`, each in a fresh app
    context. A task that raises is logged and never stops the thread; when the error is transient
    (:func:`is_transient`) the task runs again after :func:`backoff_s` (``CELERY_RETRY_BACKOFF`` × 2^n
    seconds, at most ``CELERY_RETRY_BACKOFF_MAX``), up to ``CELERY_MAX_RETRIES`` times: Celery's rule
    (:func:`make_celery`) without the random share. Waiting tasks live in this process only: work that must
    survive a restart keeps its state on its row, and a start hook queues it again."""

    def __init__(self, app: Flask):
        self.app = app
        self.queue = DelayQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def enqueue(self, name: str, *args, delay_s: float = 0.0) -> None:
        """Run task ``name(*args)`` in the worker thread, after ``delay_s`` seconds."""
        if name not in TASKS:
            raise KeyError(f"unknown task {name!r}")
        self.start()
        self.queue.put((name, args, 0), delay_s)

    def start(self) -> None:
        with self._lock:
            if self._thread and self._thread.is_alive():
                return
            self.queue.put(_HOOKS)  # first, before anything queued from now on
            self._thread = threading.Thread(target=self._run, name="contest-tasks", daemon=True)
            self._thread.start()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every queued task, waiting retries included, has finished (tests, shutdown). False on
        timeout."""
        return self.queue.join(timeout)

    def _run(self) -> None:
        while True:
            name, args, retries = item = self.queue.get()
            try:
                if item is _HOOKS:
                    for hook in START_HOOKS:
                        self._call(hook.__name__, hook, ())
                elif (exc := self._call(name, TASKS[name], args)) is not None:
                    self._retry(name, args, retries, exc)
            finally:
                self.queue.task_done()

    def _call(self, name: str, fn: Callable, args: tuple) -> Exception | None:
        """Run ``fn(*args)`` in an app context; returns the exception it raised (logged), else None."""
        with self.app.app_context():
            try:
                fn(*args)
            except Exception as exc:  # tasks record their own failures on their rows; never kill the worker
                log.exception("task %s%r failed", name, args)
                _discard_session()
                return exc
        return None

    def _retry(self, name: str, args: tuple, retries: int, exc: Exception) -> None:
        cfg = self.app.config
        if not is_transient(exc) or retries >= cfg["CELERY_MAX_RETRIES"]:
            return
        wait = backoff_s(cfg["CELERY_RETRY_BACKOFF"], retries, cfg["CELERY_RETRY_BACKOFF_MAX"])
        log.warning("task %s%r: retry %d in %.1f s", name, args, retries + 1, wait)
        self.queue.put((name, args, retries + 1), wait)


def _discard_session() -> None:
    """Roll back the failed task's session; when even that fails (database gone), log it and go on."""
    from contest.extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the worker thread must survive)
        log.exception("rolling back after a failed task failed too")


def backoff_s(base_s: float, retries: int, max_s: float) -> float:
    """Seconds to wait before retry number ``retries + 1``: ``base_s`` × 2^``retries``, at most ``max_s``
    (exponential backoff; e.g. 5, 10, 20, 40 … s)."""
    return float(min(max_s, base_s * 2 ** min(retries, 60)))


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` (or an exception it was raised from) says nothing about the video, so a task that
    raised it may pass when run again later: the database is unreachable or locked (SQLAlchemy
    ``OperationalError``), the storage service cannot be reached (botocore connection and HTTP-client errors,
    also when wrapped in a ``StorageError``), the machine failed (``OSError``: disk full —
    :mod:`contest.services.media.renditions` raises ``ENOSPC`` for that reason —, I/O error, refused
    connection, a program that cannot be started), or Celery's soft time limit stopped it
    (:func:`is_time_limit`).
    Content failures (``MediaRejected``, ``MediaProcessingError``) are recorded on the row by the task itself
    and are never transient."""
    kinds = _transient_types()
    while exc is not None:
        if isinstance(exc, kinds):
            return True
        exc = exc.__cause__
    return False


def is_time_limit(exc: BaseException) -> bool:
    """True when ``exc`` is Celery's soft time limit (``SoftTimeLimitExceeded``) stopping a task."""
    try:
        from billiard.exceptions import SoftTimeLimitExceeded
    except ImportError:  # no `celery` extra, so no Celery time limits either
        return False
    return isinstance(exc, SoftTimeLimitExceeded)


def _transient_types() -> tuple[type[BaseException], ...]:
    kinds: tuple[type[BaseException], ...] = (OperationalError, OSError)
    try:
        from billiard.exceptions import SoftTimeLimitExceeded
        kinds += (SoftTimeLimitExceeded,)
    except ImportError:
        pass
    try:
        from botocore.exceptions import ConnectionError as S3ConnectionError
        from botocore.exceptions import HTTPClientError
    except ImportError:  # no `s3` extra, so no S3 storage either
        return kinds
    return (*kinds, S3ConnectionError, HTTPClientError)


def time_limits(config) -> tuple[int, int]:
    """(soft, hard) time limit of one Celery task in seconds.

    Unless ``CELERY_SOFT_TIME_LIMIT`` / ``CELERY_TIME_LIMIT`` are set: soft = 8 × ``FFMPEG_TIMEOUT`` + 10 ×
    ``PROBE_TIMEOUT`` + ``CELERY_TIME_LIMIT_MARGIN`` — the longest :func:`~contest.services.media.jobs.
    process_video` can run when each of its external programs uses all of its own limit (ffmpeg: up to four
    poster attempts, the transcode, up to two preview encodes, the fingerprint; ffprobe: the original's probes
    and tail read, the dark-frame checks of the poster attempts, the outputs' probes), plus slack for storage
    transfers —; hard = soft + ``CELERY_TIME_LIMIT_MARGIN``. Each program is also killed at its own limit, so
    this bound only matters when a job hangs outside them. The soft limit raises inside the running
    program's wait, whose cleanup kills the program's process group (:func:`contest.services.media.probe.run_tool`).
    """
    margin = config["CELERY_TIME_LIMIT_MARGIN"]
    soft = config["CELERY_SOFT_TIME_LIMIT"] or (
        8 * config["FFMPEG_TIMEOUT"] + 10 * config["PROBE_TIMEOUT"] + margin)
    return int(soft), int(config["CELERY_TIME_LIMIT"] or soft + margin)


def broker_transport_options(config) -> dict:
    """Kombu Redis transport options: ``CELERY_BROKER_TRANSPORT_OPTIONS`` over a default visibility timeout of
    the hard time limit + ``CELERY_RETRY_BACKOFF_MAX`` seconds. An unacknowledged message (its task still
    running, waiting for a retry, or its worker dead) is handed out again only after that many seconds, so it
    must exceed the longest run plus the longest retry wait."""
    visibility = time_limits(config)[1] + config["CELERY_RETRY_BACKOFF_MAX"]
    return {"visibility_timeout": visibility, **config["CELERY_BROKER_TRANSPORT_OPTIONS"]}


def make_celery(app: Flask):
    """The Celery app of ``app`` (Flask docs, "Background Tasks with Celery"): each task runs inside an app
    context of ``app``; every registered task ``name`` becomes the Celery task ``contest.<name>``.

    Delivery: no result backend (tasks record their state on their rows). ``acks_late`` +
    ``reject_on_worker_lost``: a message is acknowledged only once its task has returned, so a worker that
    dies mid-task loses nothing — the message is queued again at once when a pool process dies (crash, hard
    time limit), and after the visibility timeout (:func:`broker_transport_options`) when the whole worker
    died. Prefetch 1: a worker process reserves one message at a time. Retries: errors that
    :func:`is_transient` accepts and the soft time limit are retried up to ``CELERY_MAX_RETRIES`` times after
    a random wait of up to ``CELERY_RETRY_BACKOFF`` × 2^n seconds (n = retries so far, capped at
    ``CELERY_RETRY_BACKOFF_MAX``); any other error fails the task. Repeated runs of a video end when
    ``MEDIA_MAX_ATTEMPTS`` is used up (the row is then failed with a readable reason). Time limits:
    :func:`time_limits`.
    """
    from celery import Celery, Task

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    cfg = app.config
    soft, hard = time_limits(cfg)
    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=cfg["CELERY_BROKER_URL"], broker_connection_retry_on_startup=True,
        broker_transport_options=broker_transport_options(cfg),
        result_backend=None, task_ignore_result=True, task_default_queue=cfg["CELERY_QUEUE"],
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_soft_time_limit=soft, task_time_limit=hard,
        # A hard time limit re-queues the message (instead of dropping it), so the attempt count decides.
        task_acks_on_failure_or_timeout=False,
        # Broker connection lost: stop running tasks; their messages are handed out again.
        worker_cancel_long_running_tasks_on_connection_loss=True,
    )
    for name, fn in TASKS.items():
        _bind(celery, name, fn, cfg)
    return celery


def _bind(celery, name: str, fn: Callable, cfg) -> None:
    """Register ``fn`` as the Celery task ``contest.<name>``, retried after a transient error or the soft time
    limit (see :func:`make_celery`)."""
    from celery.utils.time import get_exponential_backoff_interval

    # shared=False: the task belongs to this Celery app only (not to every Celery app created later).
    @celery.task(name=f"contest.{name}", bind=True, shared=False, max_retries=cfg["CELERY_MAX_RETRIES"])
    def run(self, *args):
        try:
            return fn(*args)
        except Exception as exc:
            if not is_transient(exc):
                raise
            wait = get_exponential_backoff_interval(int(cfg["CELERY_RETRY_BACKOFF"]), self.request.retries,
                                                    int(cfg["CELERY_RETRY_BACKOFF_MAX"]), full_jitter=True)
            raise self.retry(exc=exc, countdown=wait)


class CeleryRunner:
    """Sends tasks to the broker; ``celery -A contest.worker worker`` processes run them
    (:func:`make_celery`). There is nothing to start or wait for in this process."""

    def __init__(self, app: Flask):
        self.app = app
        self.celery = make_celery(app)
        app.extensions["celery"] = self.celery

    def enqueue(self, name: str, *args, delay_s: float = 0.0) -> None:
        """Publish ``contest.<name>(*args)``, to run after ``delay_s`` seconds (a countdown). When the broker
        cannot be reached (after Celery's publish retries) the error is logged, not raised: the caller has
        committed, the row stays pending and ``flask media recover`` / ``flask exports recover`` queues it
        later."""
        from kombu.exceptions import OperationalError as BrokerError

        if name not in TASKS:
            raise KeyError(f"unknown task {name!r}")
        try:
            # No time limits in the message: a worker applies those of its own configuration (time_limits),
            # which match the ffmpeg limits it runs with.
            self.celery.tasks[f"contest.{name}"].apply_async(args=args, countdown=delay_s or None,
                                                              time_limit=None, soft_time_limit=None)
        except BrokerError:
            log.exception("could not queue task %s%r; `flask media recover` / `flask exports recover` will "
                          "queue it", name, args)

    def start(self) -> None:
        pass


BACKENDS = {"eager": EagerRunner, "thread": ThreadRunner, "celery": CeleryRunner}


def init_app(app: Flask) -> None:
    """Bind the runner chosen by ``TASK_BACKEND`` to ``app``. The modules defining tasks (``@task``) must be
    imported before (:func:`contest.create_app` imports them in ``register_tasks``)."""
    name = app.config["TASK_BACKEND"]
    if name not in BACKENDS:
        raise RuntimeError(f"unknown TASK_BACKEND {name!r}; choose one of {sorted(BACKENDS)}")
    runner = BACKENDS[name](app)
    app.extensions["tasks"] = runner
    if name == "thread":
        # Start on the first request (not in the factory: CLI commands such as `flask db upgrade` must not
        # start workers). The runner's start hooks re-queue unfinished work.
        app.before_request(lambda: runner.start())


def get_runner():
    return current_app.extensions["tasks"]


def enqueue(name: str, *args, delay_s: float = 0.0) -> None:
    """Queue task ``name`` with id arguments, to run after ``delay_s`` seconds (the eager runner runs it at
    once). Call after committing the rows the task will read."""
    get_runner().enqueue(name, *args, delay_s=delay_s)
