"""The foundation's end-to-end path on the production stack, in chromium: S3 storage (moto's standalone server),
a real ``celery -A contest.worker worker`` process on Redis, CSRF on, and the suite's database (PostgreSQL in
the production pass of ``.ci/run``).

The creator's browser uploads the file straight into the bucket by presigned multipart — the web process never
carries the video bytes; the Celery worker checks and transcodes it; the judge's player fetches the rendition
from the bucket through a short-lived presigned URL with HTTP Range; the judge's scores reach the results."""
import hashlib
import re

import pytest
from sqlalchemy import select

from contest.extensions import db
from contest.models import Assignment, Entry, EntryState, Review, Video, VideoState
from tests.celery_workers import settled
from tests.conftest import media, stored_keys
from tests.e2e.conftest import log_in, screenshot
from tests.people import Role

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.s3, pytest.mark.redis]

SAMPLE = "portrait_h264_1080x1920_30fps.mp4"


@pytest.fixture
def app_overrides(s3_settings, broker):
    return {"STORAGE_BACKEND": "s3", **s3_settings, "TASK_BACKEND": "celery", **broker,
            "WTF_CSRF_ENABLED": True, "RENDITION_SHORT_SIDE": 720}


def test_upload_to_the_bucket_worker_processes_judge_plays_by_range(app, live_server, browser, start_worker,
                                                                    make_user, make_contest, make_entry):
    worker = start_worker()  # live_server gave the bucket the CORS rule of `flask storage cors`
    contest = make_contest(title="西湖区“美好生活”短视频大赛")
    creator, judge = make_user(display_name="小杭"), make_user(Role.JUDGE, username="judge-wang")
    entry = make_entry(contest=contest, creator=creator, title="竖屏夜跑")
    sample = media(SAMPLE)
    bucket = app.config["S3_ENDPOINT_URL"]
    site_bodies = []  # bytes of every request body the web process received
    inner = app.wsgi_app
    app.wsgi_app = lambda environ, start: (site_bodies.append(int(environ.get("CONTENT_LENGTH") or 0)),
                                           inner(environ, start))[1]

    # --- the creator, on a phone: the bytes go to the bucket, never to the site -------------------------
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = phone.new_page()
    page.set_default_timeout(30_000)
    errors, to_site, to_bucket = [], [], []
    page.on("pageerror", lambda error: errors.append(error))
    page.on("request", lambda r: (to_site if r.url.startswith(live_server) else to_bucket).append(r))
    log_in(page, live_server, creator)
    page.goto(f"{live_server}/my/entries/{entry.id}")
    assert page.get_attribute("#upload-form", "data-upload-mode") == "s3"
    page.set_input_files("#upload-form input[type=file]", str(sample))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#entry-status video", timeout=180_000)  # polled: the worker made it ready
    screenshot(page, "production-creator-ready")

    puts = [r for r in to_bucket if r.method == "PUT"]
    assert puts and all(r.url.startswith(bucket) and "partNumber=" in r.url for r in puts)
    assert sum(site_bodies) < 64 * 1024 < sample.stat().st_size  # the site got JSON and forms, not the video
    posted = [r.url.removeprefix(live_server) for r in to_site if r.method == "POST"]
    assert "/uploads/s3/multipart" in posted and "/uploads/s3/multipart/complete" in posted
    assert f"/my/entries/{entry.id}/video" not in posted

    video = settled(db.session.scalar(select(Video.id).where(Video.entry_id == entry.id)))
    assert video.state == VideoState.READY, video.error
    assert video.sha256 == hashlib.sha256(sample.read_bytes()).hexdigest()
    assert (video.rendition_width, video.rendition_height) == (720, 1280)
    assert {video.original_key, video.poster_key, video.rendition_key} <= set(stored_keys(app))
    assert "contest.process_video" in worker.log() and " succeeded in " in worker.log()

    page.click("a:has-text('提交作品')")  # the submit page: the contest's declarations
    for key in ("originality", "rights", "aigc"):
        page.check(f"input[name={key}]")
    page.check("input[name=aigc_use][value=none]")
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=已提交")
    phone.close()
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).state == EntryState.SUBMITTED

    # --- the judge: the player reads the rendition from the bucket by byte range ----------------------------
    db.session.add(Assignment(judge=judge, entry=db.session.get(Entry, entry.id)))
    db.session.commit()
    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = desktop.new_page()
    page.set_default_timeout(30_000)
    page.on("pageerror", lambda error: errors.append(error))
    media_replies = []
    page.on("response", lambda r: r.url.startswith(bucket) and "/renditions/" in r.url
            and media_replies.append((r.status, r.headers.get("content-range", ""))))
    log_in(page, live_server, judge)
    page.goto(f"{live_server}/judge/entries/{entry.id}")
    page.wait_for_function("() => document.querySelector('video').readyState >= 2", timeout=60_000)
    assert page.evaluate("document.querySelector('video').currentSrc") == f"{live_server}/watch/{entry.id}/video"
    # 206 + Content-Range: the player asked the bucket for a byte range (the site only redirected).
    rendition_bytes = db.session.get(Video, video.id).rendition_bytes
    assert any(status == 206 and re.fullmatch(rf"bytes \d+-\d+/{rendition_bytes}", content_range)
               for status, content_range in media_replies), media_replies

    for criterion in contest.criteria:
        page.fill(f"input[name=criterion_{criterion.id}]", str(criterion.max_points - 1))
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[name=submit_final]")
    page.wait_for_load_state()
    screenshot(page, "production-judge-submitted")
    desktop.close()

    review = db.session.scalar(select(Review).join(Assignment).where(Assignment.entry_id == entry.id))
    assert review is not None and review.submitted_at is not None and review.total is not None
    assert errors == []
