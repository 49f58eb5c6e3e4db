"""Browser tests: the real app served on 127.0.0.1 by werkzeug in a thread, driven by Playwright through
Debian's chromium (never a downloaded browser). Screenshots go to ``test-artifacts/``."""
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, REPO_ROOT

CHROMIUM = os.environ.get("CONTEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = REPO_ROOT / "test-artifacts"


@pytest.fixture
def app_overrides():
    # Real background processing, as in production; CSRF on, as in production.
    return {"TASK_BACKEND": "thread", "WTF_CSRF_ENABLED": True}


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    if app.config["STORAGE_BACKEND"] == "s3":  # the browser PUTs parts to the bucket: it needs the CORS rule
        from contest.cli.storage import allow_browser_uploads
        allow_browser_uploads(origins=[url])
    yield url
    server.shutdown()
    runner = app.extensions["tasks"]
    if hasattr(runner, "wait_idle"):  # the in-process runners; Celery's work is in its worker processes
        runner.wait_idle(timeout=60)


@pytest.fixture(scope="session")
def browser():
    """One chromium for the session (per xdist worker); each test gets fresh contexts (``page``)."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("chromium is not installed (./manage.sh test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")  # a phone
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def log_in(page, live_server: str, user, password: str = PASSWORD) -> None:
    """Log ``user`` in through the real form and wait until the app has sent them on."""
    page.goto(f"{live_server}/auth/login")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/auth/login).*$"))


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
