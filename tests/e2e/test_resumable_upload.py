"""The entry page's resumable upload (static/js/upload.js, Uppy) in chromium on a phone-sized page, against
the real server: tus on local storage (interrupted, page reloaded, same file chosen again, continued from the
server's offset), refusals before and after the upload, Cancel, and direct-to-bucket multipart on S3 (moto).

Uploads are slowed to a phone's pace with Chromium's network emulation, so that progress, speed and time left
can be seen; an interruption is a ``page.route`` that aborts the PATCH requests."""
import hashlib
import re
import subprocess

import pytest
from sqlalchemy import func, select

from contest.extensions import db
from contest.models import Video, VideoState
from contest.services.uploads import tus as resumable
from tests.conftest import media, stored_keys
from tests.e2e.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SAMPLE = "mpegts_h264_720p60_aac.ts"  # 1.9 MB, 10 s
CHUNK_BYTES = 128 * 1024
UPLOAD_BYTES_PER_S = 300 * 1024


@pytest.fixture
def app_overrides():
    # tus is the upload of the local backend: local even in the suite's S3 pass (CONTEST_TEST_STORAGE=s3).
    return {"TASK_BACKEND": "thread", "WTF_CSRF_ENABLED": True, "STORAGE_BACKEND": "local",
            "TUS_CHUNK_BYTES": CHUNK_BYTES}


@pytest.fixture
def creator(make_user):
    return make_user(display_name="小杭")


@pytest.fixture
def entry_page(live_server, page, creator, make_contest, make_entry):
    """``entry_page(**contest_fields)`` logs ``creator`` in and opens a draft entry of theirs in a new
    contest; returns the entry. The test fails if a script on the page throws."""
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(error))

    def open_entry(**contest_fields):
        entry = make_entry(contest=make_contest(**contest_fields), creator=creator, title="老街的烟火气")
        log_in(page, live_server, creator)
        page.goto(f"{live_server}/my/entries/{entry.id}")
        return entry

    yield open_entry
    assert script_errors == []


def throttle(page, bytes_per_s: int = UPLOAD_BYTES_PER_S) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20, "downloadThroughput": -1,
                                                  "uploadThroughput": bytes_per_s})


def tus_requests(page) -> list:
    """(method, headers) of every request to /uploads/tus/ the page sends from now on."""
    seen = []
    page.on("request", lambda r: "/uploads/tus/" in r.url and seen.append((r.method, r.headers)))
    return seen


def choose_and_upload(page, path) -> None:
    page.set_input_files("#upload-form input[type=file]", str(path))
    page.click("#upload-form button[type=submit]")


def test_an_interrupted_upload_continues_after_a_reload_and_the_video_becomes_ready(page, entry_page,
                                                                                   creator):
    sample = media(SAMPLE)
    entry = entry_page()
    throttle(page)
    blocked = {"on": False}
    page.route("**/uploads/tus/**", lambda route: route.abort("internetdisconnected")
               if blocked["on"] and route.request.method == "PATCH" else route.continue_())

    choose_and_upload(page, sample)
    page.wait_for_function("() => document.querySelector('[data-upload-speed]').textContent.includes('MB/s')")
    screenshot(page, "upload-progress")
    stats = page.inner_text("[data-upload-progress-area]")
    assert re.search(r"\d+%", stats) and re.search(r"\d+\.\d\d MB/s", stats), stats
    assert re.search(r"剩余约 (\d+ 分 )?\d+ 秒", stats), stats
    page.wait_for_function(
        "() => parseInt(document.querySelector('[data-upload-percent]').textContent) >= 50")
    with page.expect_event("requestfailed", lambda r: r.method == "PATCH"):
        blocked["on"] = True  # the connection drops after half the file: the next PATCH fails
    (sidecar,) = resumable.tus_root().glob("*.json")
    offset = resumable.load_upload(upload_id=sidecar.stem, user=creator).offset  # what the server holds
    assert sample.stat().st_size / 2 <= offset < sample.stat().st_size

    page.reload()
    blocked["on"] = False
    assert "重新选择同一个文件" in page.inner_text("[data-upload-pending]")  # the page remembers the upload
    seen = tus_requests(page)
    choose_and_upload(page, sample)
    page.wait_for_function("() => document.querySelector('[data-upload-status]').textContent.includes('继续')")
    assert page.is_hidden("[data-upload-pending]")
    assert f"（已完成 {offset * 100 // sample.stat().st_size}%）" in page.inner_text("[data-upload-status]")
    screenshot(page, "upload-resumed")

    # Back on the entry page once the server has the whole file: processing, then the player.
    page.wait_for_selector("#entry-status[data-video-state=pending], "
                           "#entry-status[data-video-state=processing]")
    screenshot(page, "upload-resumed-processing")
    page.wait_for_selector("#entry-status video", timeout=120_000)
    methods = [method for method, _headers in seen]
    assert methods[0] == "HEAD" and "POST" not in methods  # asked for the offset, created nothing new
    patches = [headers for method, headers in seen if method == "PATCH"]
    assert int(patches[0]["upload-offset"]) == offset
    db.session.expire_all()
    video = db.session.scalar(select(Video).where(Video.entry_id == entry.id))
    assert video.state == VideoState.READY and video.original_name == SAMPLE
    assert video.sha256 == hashlib.sha256(sample.read_bytes()).hexdigest()
    assert list(resumable.tus_root().iterdir()) == []
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('tus::'))") == []


def test_a_file_over_the_limit_is_refused_before_any_byte_is_sent(page, entry_page):
    entry_page(max_file_bytes=1024 * 1024)
    seen = tus_requests(page)

    choose_and_upload(page, media(SAMPLE))

    message = page.inner_text("[data-upload-errors]")
    assert message == "该文件为 1.83 MB，本赛事仅接受不超过 1 MB 的文件。"
    assert seen == [] and page.is_hidden("[data-upload-progress-area]")
    screenshot(page, "upload-too-large")


def test_a_file_the_server_rejects_shows_its_reasons(page, entry_page):
    entry = entry_page()
    choose_and_upload(page, media("fake_text_renamed.webm"))

    page.wait_for_selector("[data-upload-errors]:not(.d-none)")
    assert page.inner_text("[data-upload-errors]") == "无法识别该视频文件。"  # the server's 422 body
    assert page.is_enabled("#upload-form button[type=submit]")
    assert db.session.scalar(select(func.count(Video.id)).where(Video.entry_id == entry.id)) == 0
    screenshot(page, "upload-rejected")


def test_cancel_deletes_the_upload_on_the_server(page, entry_page):
    entry_page()
    throttle(page, 100 * 1024)
    seen = tus_requests(page)

    choose_and_upload(page, media(SAMPLE))
    page.wait_for_function("() => parseInt(document.querySelector('[data-upload-percent]').textContent) >= 5")
    with page.expect_response(lambda r: r.request.method == "DELETE") as deleted:
        page.click("[data-upload-cancel]")

    assert deleted.value.status == 204 and "/uploads/tus/" in deleted.value.url
    assert page.inner_text("[data-upload-status]") == "已取消上传。"
    assert [method for method, _headers in seen][:2] == ["POST", "PATCH"]
    assert list(resumable.tus_root().glob("*")) == []
    assert page.is_enabled("#upload-form button[type=submit]")


def test_a_final_patch_that_failed_on_the_server_is_finished_by_an_empty_patch(page, entry_page, monkeypatch):
    entry = entry_page()
    real_attach, calls = resumable.admission.attach_video_file, []

    def flaky_attach(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OSError("storage unreachable")
        return real_attach(**kwargs)

    monkeypatch.setattr(resumable.admission, "attach_video_file", flaky_attach)
    seen = tus_requests(page)
    sample = media("plain_h264_aac_1280x720_25fps.mp4")
    choose_and_upload(page, sample)

    page.wait_for_selector("#entry-status[data-video-state]:not([data-video-state=''])", timeout=60_000)
    assert len(calls) == 2
    last = [headers for method, headers in seen if method == "PATCH"][-1]
    assert last["upload-offset"] == str(sample.stat().st_size)
    db.session.expire_all()
    video = db.session.scalar(select(Video).where(Video.entry_id == entry.id))
    assert video.sha256 == hashlib.sha256(sample.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def long_video(tmp_path_factory):
    """A 12 s 640×360 clip of about 13 MB (three S3 parts of 5 MiB), made of noise so that it stays big."""
    path = tmp_path_factory.mktemp("media") / "街景.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
                    "-f", "lavfi", "-i", "sine=frequency=440", "-t", "12", "-vf", "noise=alls=60:allf=t",
                    "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "9M", "-maxrate", "9M",
                    "-minrate", "9M", "-bufsize", "2M", "-c:a", "aac", "-shortest", str(path)],
                   check=True, timeout=120)
    return path


class TestStraightToTheBucket:
    """STORAGE_BACKEND = "s3" (moto): the page PUTs the parts to presigned URLs of the bucket (another
    origin: the bucket needs the CORS rule of ``flask storage cors``)."""

    @pytest.fixture
    def app_overrides(self, s3_settings):
        return {"TASK_BACKEND": "thread", "WTF_CSRF_ENABLED": True, "STORAGE_BACKEND": "s3", **s3_settings}

    def test_an_interrupted_upload_sends_only_the_missing_parts_after_a_reload(self, app, live_server, page,
                                                                               entry_page, long_video):
        assert app.test_cli_runner().invoke(args=["storage", "cors", "--origin", live_server]).exit_code == 0
        entry = entry_page()
        throttle(page, 3 * 1024 * 1024)
        blocked = {"on": True}  # the connection drops after the first part
        page.route(re.compile(r".*[?&]partNumber=[2-9]"), lambda route: route.abort("internetdisconnected")
                   if blocked["on"] else route.continue_())
        with page.expect_response(re.compile(r".*[?&]partNumber=1&")) as first:
            choose_and_upload(page, long_video)
        assert first.value.status == 200 and first.value.request.method == "PUT"

        page.reload()
        blocked["on"] = False
        calls = []  # (method, path on the site or whole URL, [part number])
        page.on("request", lambda r: calls.append((r.method, r.url.split("?")[0].removeprefix(live_server),
                                                   re.findall(r"partNumber=(\d+)", r.url))))
        choose_and_upload(page, long_video)
        page.wait_for_function(
            "() => document.querySelector('[data-upload-status]').textContent.includes('继续')")
        screenshot(page, "upload-s3-resumed")
        page.wait_for_selector("#entry-status video", timeout=120_000)

        api = [path for method, path, _part in calls if path.startswith("/uploads/s3/")]
        assert api[0] == "/uploads/s3/multipart/parts" and "/uploads/s3/multipart" not in api
        assert sorted(part[0] for method, _path, part in calls if method == "PUT") == ["2", "3"]
        db.session.expire_all()
        video = db.session.scalar(select(Video).where(Video.entry_id == entry.id))
        assert video.state == VideoState.READY and video.original_name == "街景.mp4"
        assert video.sha256 == hashlib.sha256(long_video.read_bytes()).hexdigest()
        assert video.original_key in stored_keys(app)
        assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('contest-s3::'))") == []
