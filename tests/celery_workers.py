"""Real Celery workers for tests: a private broker per test on the local Redis, and ``start_worker`` to run
``celery -A contest.worker worker`` processes on the test's database, storage and broker. Loaded for every
test module by ``pytest_plugins`` in tests/conftest.py."""
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from contest.extensions import db
from contest.models import Video, VideoState
from tests.conftest import REPO_ROOT, unreachable_service

REDIS_URL = "redis://127.0.0.1:6379/15"

#: Settings a worker takes from the test's app (the storage's too: local or the test's S3 bucket).
WORKER_KEYS = ("DATABASE_URL", "UPLOAD_ROOT", "RENDITION_SHORT_SIDE", "BABEL_DEFAULT_LOCALE",
               "CELERY_RETRY_BACKOFF", "CELERY_BROKER_URL", "CELERY_QUEUE", "STORAGE_BACKEND", "S3_ENDPOINT_URL",
               "S3_BUCKET", "S3_PREFIX", "S3_REGION", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY",
               "S3_ADDRESSING_STYLE")


@pytest.fixture(scope="session")
def redis_client():
    try:
        import redis
    except ImportError as exc:
        unreachable_service(f"the celery extra is not installed ({exc}); pip install -e '.[celery]'")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        unreachable_service(f"Redis is not reachable at {REDIS_URL}: {exc}")
    yield client
    client.close()


@pytest.fixture
def broker(redis_client):
    """Broker settings private to this test: its own queue and Redis key prefix (deleted afterwards)."""
    token = uuid.uuid4().hex[:12]
    prefix = f"contest-test-{token}:"
    yield {"CELERY_BROKER_URL": REDIS_URL, "CELERY_QUEUE": f"media-{token}",
           "CELERY_BROKER_TRANSPORT_OPTIONS": {"global_keyprefix": prefix}}
    keys = list(redis_client.scan_iter(match=f"{prefix}*"))
    if keys:
        redis_client.delete(*keys)


class Worker:
    """A ``celery -A contest.worker worker`` process group, its log in ``log_path``."""

    def __init__(self, config: dict, log_path: Path):
        scratch = log_path.with_suffix(".tmp")  # the worker's $TMPDIR: its ffmpeg runs are found by this path
        scratch.mkdir()
        env = {**os.environ, "CONTEST_CONFIG": "testing", "TMPDIR": str(scratch)}
        env.update({f"CONTEST_{key}": value if isinstance(value, str) else json.dumps(value)
                    for key, value in config.items()})
        self.log_path = log_path
        args = [sys.executable, "-m", "celery", "-A", "contest.worker", "worker", "--loglevel=info",
                "--pool=prefork", "--concurrency=1", "--without-mingle", "--without-gossip",
                "--without-heartbeat", "-n", f"{log_path.stem}@%h"]
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: " ready." in self.log() or self.proc.poll() is not None, 30, "the worker to start")
        assert self.proc.poll() is None, self.log()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: nothing gets to clean up or acknowledge."""
        _signal_group(self.proc, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        """Warm shutdown (SIGKILL after 10 s); the log's tail goes to stdout, shown when a test fails."""
        if self.proc.poll() is None:
            _signal_group(self.proc, signal.SIGTERM)  # warm shutdown
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc, signal.SIGKILL)
                self.proc.wait(10)
        print(f"--- {self.log_path.name} ---\n{self.log()[-6000:]}")


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


@pytest.fixture
def start_worker(app, tmp_path):
    """``start_worker(**config)``: a worker on the test's database, upload root and broker settings
    (``config`` overrides them; ``transport=`` adds kombu transport options)."""
    workers = []

    def start(**config) -> Worker:
        options = {**app.config["CELERY_BROKER_TRANSPORT_OPTIONS"], **config.pop("transport", {})}
        settings = {key: app.config[key] for key in WORKER_KEYS if app.config.get(key) is not None}
        worker = Worker({**settings, **config, "CELERY_BROKER_TRANSPORT_OPTIONS": options},
                        tmp_path / f"worker-{len(workers) + 1}.log")
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
    for pid in ffmpeg_pids(app):  # only after a SIGKILLed worker (see the redelivery test)
        os.kill(pid, signal.SIGKILL)


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def settled(video_id: int, timeout: float = 60) -> Video:
    """The video once a worker has made it ready or failed."""

    def done():
        db.session.rollback()
        video = db.session.get(Video, video_id)
        return video if video.state in (VideoState.READY, VideoState.FAILED) else None

    return wait_for(done, timeout, f"video {video_id} to be ready or failed")


def ffmpeg_pids(app, marker: str = "") -> list[int]:
    """Live ffmpeg processes working in this test's folder (its upload root, or a worker's ``$TMPDIR`` beside
    it where originals are downloaded from S3; ``marker``: also in their arguments)."""
    root, pids = str(Path(app.config["UPLOAD_ROOT"]).resolve().parent), []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
            state = (cmdline.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        text = b" ".join(args).decode("utf-8", "replace")
        if args[0].endswith(b"ffmpeg") and root in text and marker in text and state != "Z":
            pids.append(int(cmdline.parent.name))
    return pids


