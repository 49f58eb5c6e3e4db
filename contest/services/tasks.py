"""Background tasks behind one small interface chosen by config (``TASK_BACKEND``).

* ``thread`` (default): one in-process worker thread, started on the app's first request. On start it runs
  the registered start hooks (e.g. re-queue videos left unfinished by a previous process), so nothing stays
  "processing" after a restart. Needs no server; meant for a single web process.
* ``eager``: the task runs at once in the caller (tests, CLI).

Tasks take ids (never ORM objects), reload their rows and must be safe to run twice. Register one with
:func:`task`; queue it with :func:`enqueue` *after* the caller has committed.
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Callable

from flask import Flask, current_app

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
    def __init__(self, app: Flask):
        self.app = app

    def enqueue(self, name: str, *args) -> None:
        TASKS[name](*args)

    def start(self) -> None:
        pass

    def wait_idle(self, timeout: float | None = None) -> bool:
        return True


class ThreadRunner:
    """One daemon thread draining a FIFO queue; each task runs in a fresh app context."""

    def __init__(self, app: Flask):
        self.app = app
        self.queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def enqueue(self, name: str, *args) -> None:
        if name not in TASKS:
            raise KeyError(f"unknown task {name!r}")
        self.start()
        self.queue.put((name, args))

    def start(self) -> None:
        with self._lock:
            if self._thread and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, name="contest-tasks", daemon=True)
            self._thread.start()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every queued task has finished (tests, shutdown). False on timeout."""
        done = threading.Event()
        threading.Thread(target=lambda: (self.queue.join(), done.set()), daemon=True).start()
        return done.wait(timeout)

    def _run(self) -> None:
        for hook in START_HOOKS:
            self._call(hook.__name__, hook, ())
        while True:
            name, args = self.queue.get()
            try:
                self._call(name, TASKS[name], args)
            finally:
                self.queue.task_done()

    def _call(self, name: str, fn: Callable, args: tuple) -> None:
        with self.app.app_context():
            try:
                fn(*args)
            except Exception:  # the task records its own failure on its row; never kill the worker
                log.exception("task %s%r failed", name, args)
                from contest.extensions import db

                db.session.rollback()


BACKENDS = {"eager": EagerRunner, "thread": ThreadRunner}


def init_app(app: Flask) -> None:
    name = app.config["TASK_BACKEND"]
    if name not in BACKENDS:
        raise RuntimeError(f"unknown TASK_BACKEND {name!r}; choose one of {sorted(BACKENDS)}")
    runner = BACKENDS[name](app)
    app.extensions["tasks"] = runner
    if name == "thread":
        # Start on the first request (not in the factory: CLI commands such as `flask db upgrade` must not
        # start workers). The runner's start hooks re-queue unfinished work.
        app.before_request(lambda: runner.start())
    import contest.services.media_jobs  # noqa: F401  (registers the media tasks)


def get_runner():
    return current_app.extensions["tasks"]


def enqueue(name: str, *args) -> None:
    """Queue task ``name`` with id arguments. Call after committing the rows the task will read."""
    get_runner().enqueue(name, *args)
