"""contest.infra.tasks with ``TASK_BACKEND=celery``: the configuration (no broker needed), then real
workers (``celery -A contest.worker worker``, prefork pool, concurrency 1) against Redis on 127.0.0.1 that
share the test's database and upload root: a video processed, a worker killed mid-task and its task
redelivered, retries on transient errors only, time limits and terminations that leave no ffmpeg behind, and
``flask media recover``.

Each test gets its own Redis key prefix (queues, unacknowledged messages, bindings), removed afterwards."""
import errno
import json
import os
import signal
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from contest import create_app
from contest.extensions import db
from contest.models import Video, VideoState, utcnow
from contest.infra import tasks
from contest.services.media.probe import MediaProcessingError, MediaRejected, MediaTimeout
from contest.infra.storage import StorageError
from tests.celery_workers import ffmpeg_pids, settled, wait_for
from tests.conftest import stored_copy, stored_keys, unreachable_service
from tests.conftest import media as sample
from tests.services.media.test_probe import ffprobe, synth
from tests.services.media.test_jobs import make_video  # noqa: F401  (a fixture)

FAST = {"RENDITION_SHORT_SIDE": 360, "BABEL_DEFAULT_LOCALE": "en", "CELERY_RETRY_BACKOFF": 1}
#: A transcode that takes far longer than any test waits (x264 veryslow, one thread, 720p).
SLOW = {"FFMPEG_PRESET": "veryslow", "FFMPEG_THREADS": 1, "RENDITION_SHORT_SIDE": 720}
#: Unacknowledged messages are handed out again 2 s after delivery, checked every second.
QUICK_REDELIVERY = {"visibility_timeout": 2, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
INTERRUPTED = "Processing was interrupted too often; please upload the video again."


# --- configuration (no broker) -----------------------------------------------------------------------------

@pytest.fixture
def celery_installed():
    try:
        import celery  # noqa: F401
        import redis  # noqa: F401
    except ImportError as exc:
        unreachable_service(f"the celery extra is not installed ({exc}); pip install -e '.[celery]'")


def celery_app(**config):
    return create_app("testing", DATABASE_URL="sqlite://", TASK_BACKEND="celery", **config)


def test_celery_backend_is_chosen_by_config(celery_installed):
    app = celery_app(CELERY_BROKER_URL="redis://redis.internal:6379/3", CELERY_QUEUE="media")

    runner = app.extensions["tasks"]
    assert isinstance(runner, tasks.CeleryRunner) and app.extensions["celery"] is runner.celery
    conf = runner.celery.conf
    assert (conf.broker_url, conf.task_default_queue) == ("redis://redis.internal:6379/3", "media")
    assert conf.result_backend is None and conf.task_ignore_result is True
    assert conf.worker_prefetch_multiplier == 1
    task = runner.celery.tasks["contest.process_video"]
    assert (task.acks_late, task.reject_on_worker_lost) == (True, True)
    assert task.acks_on_failure_or_timeout is False  # a hard time limit re-queues the message
    assert task.max_retries == 5


def test_other_backends_need_no_celery():
    assert isinstance(create_app("testing").extensions["tasks"], tasks.EagerRunner)
    app = create_app("testing", TASK_BACKEND="thread")
    assert isinstance(app.extensions["tasks"], tasks.ThreadRunner) and "celery" not in app.extensions


def test_unknown_backend_is_refused():
    with pytest.raises(RuntimeError, match="unknown TASK_BACKEND 'rq'"):
        create_app("testing", TASK_BACKEND="rq")


def test_time_limits_cover_every_ffmpeg_and_probe_run_of_a_task(celery_installed):
    app = celery_app(FFMPEG_TIMEOUT=1800, PROBE_TIMEOUT=30, CELERY_TIME_LIMIT_MARGIN=120)
    conf = app.extensions["celery"].conf

    assert conf.task_soft_time_limit == 8 * 1800 + 10 * 30 + 120 == 14820
    assert conf.task_time_limit == 14820 + 120
    assert conf.broker_transport_options == {"visibility_timeout": 14940 + 600}


def test_explicit_time_limits_and_transport_options_win(celery_installed):
    conf = celery_app(CELERY_SOFT_TIME_LIMIT=50, CELERY_TIME_LIMIT=70, CELERY_RETRY_BACKOFF_MAX=30,
                      CELERY_BROKER_TRANSPORT_OPTIONS={"global_keyprefix": "x:"}).extensions["celery"].conf

    assert (conf.task_soft_time_limit, conf.task_time_limit) == (50, 70)
    assert conf.broker_transport_options == {"visibility_timeout": 100, "global_keyprefix": "x:"}


def test_only_errors_unrelated_to_the_video_are_transient():
    from botocore.exceptions import EndpointConnectionError

    def wrapped(cause: Exception) -> StorageError:
        try:
            raise StorageError("get videos/ab/original: cannot reach storage") from cause
        except StorageError as exc:
            return exc

    locked = OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))
    for exc in (locked, OSError(errno.ENOSPC, "No space left on device"), ConnectionRefusedError(),
                wrapped(EndpointConnectionError(endpoint_url="http://127.0.0.1:9"))):
        assert tasks.is_transient(exc), exc
    for exc in (MediaRejected(["This is not a video file we can read."]), MediaProcessingError("damaged"),
                MediaTimeout("took too long"), StorageError("no such key"), wrapped(KeyError("x")),
                ValueError()):
        assert not tasks.is_transient(exc), exc


def test_enqueue_with_the_broker_down_logs_and_returns(celery_installed, caplog):
    app = celery_app(CELERY_BROKER_URL="redis://127.0.0.1:1/0")

    with app.app_context():
        tasks.enqueue("process_video", 42)

    assert "could not queue task process_video(42,)" in caplog.text


def test_a_delayed_task_is_published_with_a_countdown(celery_installed, monkeypatch):
    app = celery_app()
    sent = []
    task = app.extensions["celery"].tasks["contest.process_video"]
    monkeypatch.setattr(task, "apply_async", lambda **kwargs: sent.append(kwargs))

    with app.app_context():
        tasks.enqueue("process_video", 42, delay_s=120.0)
        tasks.enqueue("process_video", 43)

    assert [(s["args"], s["countdown"]) for s in sent] == [((42,), 120.0), ((43,), None)]


# --- real workers ------------------------------------------------------------------------------------------

@pytest.fixture
def app_overrides(broker):
    return {**FAST, **broker, "TASK_BACKEND": "celery"}


def transcoding(app) -> list[int]:
    return wait_for(lambda: ffmpeg_pids(app, "rendition.mp4"), 30, "the transcode to start")


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    """20 s of 1280×720 video: minutes of work at the SLOW settings."""
    return synth(tmp_path_factory.mktemp("clips") / "long.mp4", size="1280x720", seconds=20, audio=False)


@pytest.mark.redis
@pytest.mark.slow
def test_worker_makes_the_poster_and_rendition_of_an_uploaded_video(app, make_video, start_worker):
    video = make_video(sample("plain_h264_aac_1280x720_25fps.mp4"))
    tasks.enqueue("process_video", video.id)  # queued before any worker runs: the broker keeps it

    worker = start_worker()
    video = settled(video.id)

    assert video.state == VideoState.READY, video.error
    assert video.attempts == 1 and (video.rendition_width, video.rendition_height) == (640, 360)
    assert stored_copy(app, video.poster_key).read_bytes()[:2] == b"\xff\xd8"
    streams = ffprobe(stored_copy(app, video.rendition_key))["streams"]
    assert [(s["codec_type"], s["codec_name"]) for s in streams] == [("video", "h264"), ("audio", "aac")]
    assert stored_keys(app) == sorted([video.original_key, video.poster_key, video.rendition_key,
                                       video.preview_key])
    assert "contest.process_video" in worker.log() and " succeeded in " in worker.log()


@pytest.mark.redis
@pytest.mark.slow
def test_task_of_a_killed_worker_is_redelivered_and_finishes_with_one_set_of_files(app, make_video,
                                                                                   start_worker, long_clip):
    video = make_video(long_clip)
    crashing = start_worker(**SLOW, transport=QUICK_REDELIVERY)
    tasks.enqueue("process_video", video.id)
    orphans = transcoding(app)
    db.session.rollback()
    assert db.session.get(Video, video.id).state == VideoState.PROCESSING

    crashing.kill()
    # SIGKILL gives the worker no chance to clean up; the kernel kills its ffmpeg (PR_SET_PDEATHSIG in run_tool).
    deadline = time.monotonic() + 10
    while set(orphans) & set(ffmpeg_pids(app)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not set(orphans) & set(ffmpeg_pids(app))
    start_worker(transport=QUICK_REDELIVERY)
    video = settled(video.id)

    assert video.state == VideoState.READY, video.error
    assert video.attempts == 2  # the killed run and the redelivered one
    assert stored_keys(app) == sorted([video.original_key, video.poster_key, video.rendition_key,
                                       video.preview_key])
    assert video.rendition_height == 360


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.sqlite  # locks the SQLite file; runs in the SQLite pass only
def test_locked_database_is_a_transient_error_and_the_task_is_retried(app, make_video, start_worker):
    worker = start_worker(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "connect_args": {"timeout": 0.2}},
                          SQLITE_BUSY_TIMEOUT_S=0.2)
    video_id = make_video(sample("plain_h264_aac_1280x720_25fps.mp4")).id
    lock = sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        tasks.enqueue("process_video", video_id)
        wait_for(lambda: worker.log().count("retry: Retry in") >= 2, 30, "two retries")
    finally:
        lock.close()
    video = settled(video_id)

    assert video.state == VideoState.READY, video.error
    assert video.attempts == 1  # the locked tries never reached the claim
    assert "database is locked" in worker.log()


@pytest.mark.redis
@pytest.mark.slow
def test_content_error_fails_the_row_without_a_retry(app, make_video, start_worker, tmp_path):
    worker = start_worker()
    junk = tmp_path / "holiday.mp4"
    junk.write_bytes(b"this is a shopping list, not a video\n" * 200)
    video = make_video(junk)

    tasks.enqueue("process_video", video.id)
    video = settled(video.id)

    assert video.state == VideoState.FAILED
    assert video.error == "This is not a video file we can read." and video.attempts == 1
    assert stored_keys(app) == []  # the unreadable original is deleted
    wait_for(lambda: " succeeded in " in worker.log(), 10, "the task to end")
    assert "retry:" not in worker.log()


@pytest.mark.redis
@pytest.mark.slow
def test_soft_time_limit_kills_ffmpeg_and_the_job_fails_the_row_readably(app, make_video, start_worker,
                                                                         long_clip):
    # 20 s: long enough for the probe and the poster before the transcode on a busy machine, far too short
    # for the SLOW transcode.
    worker = start_worker(**SLOW, MEDIA_MAX_ATTEMPTS=1, CELERY_SOFT_TIME_LIMIT=20, CELERY_TIME_LIMIT=90)
    video = make_video(long_clip)

    tasks.enqueue("process_video", video.id)
    transcode = transcoding(app)
    video = settled(video.id)

    assert (video.state, video.attempts) == (VideoState.FAILED, 1)  # its one attempt is used: no retry
    assert video.error == ("The server could not process the video for a while (processing took too long), "
                           "so we stopped trying. Please contact the organizers or upload the video again "
                           "later.")
    assert video.error_detail.startswith("attempt 1 of 1: SoftTimeLimitExceeded")
    assert "retry: Retry in" not in worker.log()
    assert not set(transcode) & set(ffmpeg_pids(app))  # killed by run_tool's cleanup, not by this test
    assert stored_keys(app) == [video.original_key]


@pytest.mark.redis
@pytest.mark.slow
def test_terminated_pool_process_kills_ffmpeg_and_the_redelivery_settles_the_row(app, make_video,
                                                                                  start_worker, long_clip):
    """SIGTERM to the pool process is what the hard time limit (after the soft one),
    ``revoke(terminate=True)`` and a cold shutdown send first."""
    worker = start_worker(**SLOW, MEDIA_MAX_ATTEMPTS=1)
    video = make_video(long_clip)

    tasks.enqueue("process_video", video.id)
    transcode = transcoding(app)
    pool_process = parent_pid(transcode[0])
    os.kill(pool_process, signal.SIGTERM)
    video = settled(video.id)

    assert (video.state, video.error, video.attempts) == (VideoState.FAILED, INTERRUPTED, 2)
    assert "WorkerLostError" in worker.log()
    assert not set(transcode) & set(ffmpeg_pids(app))  # killed by run_tool's cleanup, not by this test
    assert stored_keys(app) == [video.original_key]


def parent_pid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


# --- flask media recover -----------------------------------------------------------------------------------

def queued_video_ids(redis_client, app) -> list[int]:
    """Video ids of the process_video messages waiting in this test's queue, in queue order."""
    prefix = app.config["CELERY_BROKER_TRANSPORT_OPTIONS"]["global_keyprefix"]
    messages = [json.loads(raw) for raw in redis_client.lrange(prefix + app.config["CELERY_QUEUE"], 0, -1)]
    assert {m["headers"]["task"] for m in messages} <= {"contest.process_video"}
    return [int(m["headers"]["argsrepr"].strip("(,)")) for m in reversed(messages)]


@pytest.mark.redis
def test_media_recover_queues_pending_and_abandoned_videos(app, runner, make_video, redis_client, tmp_path):
    original = tmp_path / "clip.mp4"
    original.write_bytes(b"\0" * 1024)
    long_ago, just_now = utcnow() - timedelta(hours=3), utcnow() - timedelta(seconds=5)
    pending = make_video(original)
    abandoned = make_video(original, state=VideoState.PROCESSING, processing_started_at=long_ago)
    running = make_video(original, state=VideoState.PROCESSING, processing_started_at=just_now)
    make_video(original, state=VideoState.READY)
    make_video(original, state=VideoState.FAILED, error="damaged")

    result = runner.invoke(args=["media", "recover"])

    assert result.exit_code == 0, result.output
    assert result.output == f"queued 2 video(s) for processing (celery): {pending.id}, {abandoned.id}\n"
    assert queued_video_ids(redis_client, app) == [pending.id, abandoned.id]
    db.session.rollback()
    states = {v.id: v.state for v in db.session.query(Video)}
    assert (states[abandoned.id], states[running.id]) == (VideoState.PENDING, VideoState.PROCESSING)

    result = runner.invoke(args=["media", "recover", "--stale-after", "1"])

    assert result.output == (f"queued 3 video(s) for processing (celery): "
                             f"{pending.id}, {abandoned.id}, {running.id}\n")


@pytest.mark.parametrize("app_overrides", [{"TASK_BACKEND": "thread"}])
def test_media_recover_leaves_the_thread_runner_to_itself(runner):
    result = runner.invoke(args=["media", "recover"])

    assert result.exit_code == 1
    assert "TASK_BACKEND=thread recovers unfinished videos by itself" in result.output
