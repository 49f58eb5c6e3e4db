"""contest.services.media.jobs and .failures: a job that fails for a reason other than the video — ffmpeg
missing, a full disk, storage down, a bug — never leaves the video processing: it is tried again after a
growing wait, then failed with a readable (Chinese) reason, keeping the original for the organizer's
re-run."""
import errno
import os
import subprocess
import sys
import time

import pytest

from contest.extensions import db
from contest.infra import tasks
from contest.infra.storage import StorageError
from contest.models import Video, VideoState, utcnow
from contest.services.media import actions, renditions
from contest.services.media import probe as media
from contest.services.media.jobs import recover_unfinished
from tests.conftest import REPO_ROOT, stored_keys
from tests.conftest import media as sample
from tests.services.media.test_jobs import make_video, process, rendition  # noqa: F401  (fixture)
from tests.people import Role

pytestmark = pytest.mark.slow

CLIP = "webm_vp9_opus_320x180.webm"
FAST = {"RENDITION_SHORT_SIDE": 360, "MEDIA_RETRY_BASE_S": 0.2, "MEDIA_RETRY_MAX_S": 1}
MISSING = {"FFMPEG_BINARY": "/nonexistent/ffmpeg", "FFPROBE_BINARY": "/nonexistent/ffprobe"}
GAVE_UP = "服务器暂时无法处理视频（{}），我们已停止尝试，请联系主办方或稍后重新上传。"


@pytest.fixture
def app_overrides():
    return FAST


class BrokenStorage:
    """The test app's storage with some methods replaced by ones that raise ``error``."""

    def __init__(self, inner, error: Exception, methods: tuple[str, ...]):
        self.inner, self.error, self.methods = inner, error, methods

    def __getattr__(self, name):
        if name in self.methods:
            def fail(*args, **kwargs):
                raise self.error
            return fail
        return getattr(self.inner, name)


@pytest.fixture
def break_storage(app):
    """``break_storage(error, *methods)`` makes those storage methods raise ``error``; returns a function
    that repairs the storage."""
    inner = app.extensions["storage"]

    def breaks(error: Exception, *methods: str):
        app.extensions["storage"] = BrokenStorage(inner, error, methods)
        return lambda: app.extensions.__setitem__("storage", inner)

    yield breaks
    app.extensions["storage"] = inner


def rerun(video: Video) -> Video:
    assert actions.can_rerun(video)
    actions.rerun_processing(video=video)
    db.session.commit()
    return process(video)


@pytest.mark.parametrize("app_overrides", [{**FAST, **MISSING}])
def test_missing_ffmpeg_fails_the_video_with_a_reason_after_the_attempts_and_a_rerun_works_once_it_is_back(
        app, client, login, make_user, make_video):
    video = process(make_video(sample(CLIP)))

    assert (video.state, video.attempts) == (VideoState.FAILED, 3)
    assert video.error == GAVE_UP.format("视频转换程序无法启动")
    assert video.error_detail.startswith("attempt 3 of 3: ToolUnavailable: /nonexistent/ffprobe cannot "
                                         "be run")
    assert video.next_attempt_at is None and stored_keys(app) == [video.original_key]
    login(video.entry.creator)
    assert GAVE_UP.format("视频转换程序无法启动") in client.get(f"/my/entries/{video.entry_id}").get_data(as_text=True)

    app.config.update(FFMPEG_BINARY="ffmpeg", FFPROBE_BINARY="ffprobe")  # installed again
    login(make_user(Role.ORGANIZER))
    organizer_page = client.get(f"/organizer/entries/{video.entry_id}").get_data(as_text=True)
    assert "重新处理" in organizer_page and "ToolUnavailable" in organizer_page
    assert client.post(f"/organizer/entries/{video.entry_id}/reprocess").status_code == 302
    db.session.expire_all()
    rendition(app, db.session.get(Video, video.id))


def test_a_full_disk_while_storing_the_outputs_fails_the_video_with_a_reason_and_leaves_no_file(
        app, make_video, break_storage):
    video = make_video(sample(CLIP))
    repair = break_storage(OSError(errno.ENOSPC, "No space left on device"), "put_file")
    video = process(video)

    assert (video.state, video.attempts) == (VideoState.FAILED, 3)
    assert video.error == GAVE_UP.format("存储空间不足")
    assert "OSError: [Errno 28] No space left on device" in video.error_detail
    assert stored_keys(app) == [video.original_key]  # outputs made before the error are not kept

    repair()
    rendition(app, rerun(video))


def test_storage_errors_are_retried_then_fail_the_video_with_a_reason(app, make_video, break_storage):
    video = make_video(sample(CLIP))
    repair = break_storage(StorageError("head originals/ab/x: could not connect"), "exists", "local_path")
    video = process(video)

    assert (video.state, video.attempts) == (VideoState.FAILED, 3)
    assert video.error == GAVE_UP.format("文件存储服务无法连接")
    assert video.error_detail == "attempt 3 of 3: StorageError: head originals/ab/x: could not connect"

    repair()
    rendition(app, rerun(video))


def test_an_unexpected_error_fails_the_video_at_once_with_a_reason_and_the_detail(app, make_video,
                                                                                  monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the transcode")

    transcode = renditions.transcode
    monkeypatch.setattr(renditions, "transcode", broken)
    video = process(make_video(sample(CLIP)))

    assert (video.state, video.attempts) == (VideoState.FAILED, 1)  # a bug does not pass by waiting
    assert video.error == "处理视频时发生意外错误，已停止处理。主办方可以查看详情并重新处理，请联系主办方。"
    assert video.error_detail.startswith("attempt 1 of 3: ") and "in broken" in video.error_detail
    assert video.error_detail.endswith("RuntimeError: a bug in the transcode")
    assert stored_keys(app) == [video.original_key]

    monkeypatch.setattr(renditions, "transcode", transcode)
    rendition(app, rerun(video))


@pytest.mark.parametrize("app_overrides", [{**FAST, **MISSING, "TASK_BACKEND": "thread",
                                            "MEDIA_RETRY_BASE_S": 0.3}])
def test_the_thread_runner_retries_after_a_growing_wait(app, make_video, monkeypatch):
    tried = []
    probe = media.probe

    def timed(*args, **kwargs):
        tried.append(time.monotonic())
        return probe(*args, **kwargs)

    monkeypatch.setattr(media, "probe", timed)
    runner = tasks.get_runner()
    runner.start()
    assert runner.wait_idle(timeout=30)  # its start hooks have run: the video below is queued once
    video = make_video(sample(CLIP))
    tasks.enqueue("process_video", video.id)
    assert runner.wait_idle(timeout=30)
    db.session.expire_all()
    video = db.session.get(Video, video.id)

    assert (video.state, video.attempts) == (VideoState.FAILED, 3)
    assert len(tried) == 3
    first_wait, second_wait = tried[1] - tried[0], tried[2] - tried[1]
    assert 0.3 <= first_wait < 0.6 + 0.5 and 0.6 <= second_wait < 0.6 + 0.5


@pytest.mark.parametrize("app_overrides", [{**FAST, **MISSING, "TASK_BACKEND": "thread",
                                            "MEDIA_RETRY_BASE_S": 600, "MEDIA_RETRY_MAX_S": 3600}])
def test_a_waiting_retry_is_on_the_row_and_survives_a_restart(app, make_video):
    runner = tasks.get_runner()
    runner.start()
    assert runner.wait_idle(timeout=30)
    video = make_video(sample(CLIP))
    tasks.enqueue("process_video", video.id)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        db.session.rollback()
        video = db.session.get(Video, video.id, populate_existing=True)
        if video.attempts == 1 and video.state == VideoState.PENDING:
            break
        time.sleep(0.05)

    assert (video.state, video.attempts) == (VideoState.PENDING, 1)
    assert (video.next_attempt_at - utcnow()).total_seconds() == pytest.approx(600, abs=30)
    assert video.error_detail.startswith("attempt 1 of 3, next in 600 s: ToolUnavailable:")
    assert len(runner.queue) == 1  # the retry waits in the runner's queue

    queued = []
    runner.enqueue = lambda name, *args, delay_s=0.0: queued.append((name, args, delay_s))
    recover_unfinished()  # what a restarted process does
    [(name, args, delay)] = queued
    assert (name, args) == ("process_video", (video.id,)) and delay == pytest.approx(600, abs=30)


# --- start-up checks ----------------------------------------------------------------------------------------

def test_media_check_prints_the_versions(runner):
    result = runner.invoke(args=["media", "check"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("ffmpeg: ffmpeg version ")
    assert "\nffprobe: ffprobe version " in result.output


@pytest.mark.parametrize("app_overrides", [MISSING])
def test_media_check_says_what_is_missing_and_fails(runner):
    result = runner.invoke(args=["media", "check"])

    assert result.exit_code == 1
    assert result.output == (
        "Error: videos cannot be processed: ffmpeg (FFMPEG_BINARY='/nonexistent/ffmpeg') cannot be run: No such "
        "file or directory. Install ffmpeg (Debian: apt-get install ffmpeg) or set CONTEST_FFMPEG_BINARY / "
        "CONTEST_FFPROBE_BINARY to the programs' paths.\n")


@pytest.mark.parametrize("app_overrides", [{**MISSING, "TASK_BACKEND": "thread"}])
def test_the_web_process_logs_missing_ffmpeg_at_its_first_request(app, client, caplog):
    assert client.get("/").status_code == 200
    assert tasks.get_runner().wait_idle(timeout=30)

    [record] = [r for r in caplog.records if r.name == "contest.services.media.failures"]
    assert record.levelname == "ERROR"
    assert record.getMessage().startswith("videos cannot be processed: ffmpeg "
                                          "(FFMPEG_BINARY='/nonexistent/ffmpeg') cannot be run")


def test_a_celery_worker_refuses_to_start_without_ffmpeg(app, tmp_path):
    env = {**os.environ, "CONTEST_CONFIG": "testing", "CONTEST_FFPROBE_BINARY": "/nonexistent/ffprobe",
           "CONTEST_DATABASE_URL": app.config["DATABASE_URL"],
           "CONTEST_CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}
    done = subprocess.run([sys.executable, "-m", "celery", "-A", "contest.worker", "worker", "--pool=solo",
                           "--without-mingle", "--without-gossip", "--without-heartbeat"],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 1
    assert ("the worker cannot process videos and will not start: ffprobe "
            "(FFPROBE_BINARY='/nonexistent/ffprobe') cannot be run: No such file or directory") in done.stderr
