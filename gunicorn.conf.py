"""Gunicorn settings for the web processes: ``gunicorn -c gunicorn.conf.py wsgi:app`` (see README, Deploying).

Every value comes from the environment so that one file serves every host:

* ``CONTEST_BIND`` — address to listen on (default ``127.0.0.1:8000``: behind a reverse proxy on this host).
* ``CONTEST_WEB_WORKERS`` — processes (default 2 × CPU cores + 1, but 1 with ``CONTEST_TASK_BACKEND=thread``,
  the default, whose in-process media jobs belong in one process); ``CONTEST_WEB_THREADS`` — threads per
  process (default 4). Threads (the ``gthread`` worker) let a process keep serving while some of its threads
  receive slow uploads or stream videos.
* ``CONTEST_WEB_TIMEOUT`` — seconds a worker process may stay silent before it is restarted (default 120).
  With threads this is a liveness check of the process, not a limit on one request, so a long upload is not
  cut by it. ``CONTEST_WEB_GRACEFUL_TIMEOUT`` — seconds a reload or stop waits for running requests, such as
  uploads, to finish (default 600).
* ``CONTEST_FORWARDED_ALLOW_IPS`` — proxies whose ``X-Forwarded-*`` headers are trusted (default
  ``127.0.0.1,::1``); their ``X-Forwarded-Proto: https`` makes Flask build https URLs.

Media jobs must not run inside the web processes when there are several: use ``CONTEST_TASK_BACKEND=celery``
(a warning is logged at start otherwise). ``./manage.sh start`` serves the embedded default with this file.
"""
import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _task_backend() -> str:
    return os.environ.get("CONTEST_TASK_BACKEND", "thread")


bind = os.environ.get("CONTEST_BIND", "127.0.0.1:8000")
workers = _int("CONTEST_WEB_WORKERS", 1 if _task_backend() == "thread" else 2 * multiprocessing.cpu_count() + 1)
threads = _int("CONTEST_WEB_THREADS", 4)
worker_class = "gthread"
timeout = _int("CONTEST_WEB_TIMEOUT", 120)
graceful_timeout = _int("CONTEST_WEB_GRACEFUL_TIMEOUT", 600)
keepalive = 5
forwarded_allow_ips = os.environ.get("CONTEST_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# gunicorn 25+ opens a control socket at one path per user ($HOME/.gunicorn/gunicorn.ctl), which a second
# server on the host (another site, a benchmark's pair) takes over; nothing here uses it.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
# Combined log format with the client address the proxy saw and the time taken (microseconds).
access_log_format = ('%(h)s "%({x-forwarded-for}i)s" %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" '
                     '%(D)s')


def on_starting(server) -> None:
    """Warn when media jobs would run in several web processes (the in-process runner is for one process)."""
    if _task_backend() == "thread" and server.cfg.workers > 1:
        server.log.warning(
            "CONTEST_TASK_BACKEND=thread runs media jobs inside each of the %s web workers, and each one "
            "re-queues the others' unfinished videos when it starts; set CONTEST_TASK_BACKEND=celery and run "
            "a Celery worker (README, Deploying)", server.cfg.workers)
