"""Every page of every role in chromium under the site's Content-Security-Policy (contest/security.py): no
page, nor what its scripts do (upload, status refresh, player, confirmations, chart), makes the browser
report a violation — ``securitypolicyviolation`` events and console errors naming the policy are recorded.
Screenshots of the pages whose bars and chart scripts now draw land in ``test-artifacts/csp-*.png``."""
import subprocess
from decimal import Decimal

import pytest

from contest.extensions import db
from contest.models import Assignment, EntryState, Video, VideoState
from contest.services.judging.reviews import save_review
from contest.infra.storage import get_storage, new_key
from tests.conftest import media
from tests.e2e.conftest import log_in, screenshot
from tests.people import Role

pytestmark = pytest.mark.browser

PLAIN = "plain_h264_aac_1280x720_25fps.mp4"
RECORDER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(
  [e.violatedDirective, e.blockedURI, e.sourceFile, e.lineNumber, e.sample].join(' | ')));
"""


@pytest.fixture
def app_overrides():
    # Media jobs run inside the request that queues them: the fake "processing" video below stays as it is.
    return {"TASK_BACKEND": "eager", "WTF_CSRF_ENABLED": True}


class Recorder:
    """Visits pages of one browser tab and keeps every policy violation it reports, with the page's URL."""

    def __init__(self, page, live_server: str):
        self.page, self.live_server, self.violations = page, live_server, []
        page.add_init_script(RECORDER)
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.violations.append(f"script error: {error}"))

    def on_console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.violations.append(f"console: {message.text}")

    def visit(self, path: str, status: int = 200):
        """Open ``path``, check that it came with the policy, wait for its scripts, collect violations."""
        response = self.page.goto(self.live_server + path)
        assert response.status == status, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        self.page.wait_for_load_state("networkidle")
        self.collect()
        return response

    def collect(self) -> None:
        found = self.page.evaluate("window.__csp.splice(0)")
        self.violations += [f"{self.page.url}: {line}" for line in found]


@pytest.fixture
def recorder(page, live_server):
    recorder = Recorder(page, live_server)
    yield recorder
    assert recorder.violations == []


@pytest.fixture
def world(tmp_path, make_user, make_contest, make_entry):
    """A contest with two submitted entries of the creator, both assigned to the judge: ``ready`` has a
    playable video (the sample stands in for rendition and preview, a real poster) and no review yet;
    ``scored`` has the judge's submitted review. ``draft`` has no video yet; the video of ``busy`` is being
    processed (40 %)."""
    users = {role: make_user(role, display_name=name) for role, name in
             [(Role.CREATOR, "小杭"), (Role.JUDGE, "张评委"), (Role.ORGANIZER, "组委会")]}
    contest = make_contest(title="西湖区“美好生活”短视频大赛", rules="一、原创作品\n二、时长 1 至 60 秒")
    creator, judge = users[Role.CREATOR], users[Role.JUDGE]
    ready = make_entry(contest=contest, creator=creator, state=EntryState.SUBMITTED, title="老街的烟火气",
                       description="清晨的老街。\n第二行说明。")
    scored = make_entry(contest=contest, creator=creator, state=EntryState.SUBMITTED, title="湖边的早晨")
    draft = make_entry(contest=contest, creator=creator, title="待上传的作品")
    busy = make_entry(contest=contest, creator=creator, title="正在处理的作品")
    ready.video = ready_video(tmp_path)
    busy.video = Video(original_name="b.mp4", original_key="originals/bb/y", bytes=1000,
                       state=VideoState.PROCESSING, progress=0.4)
    assignments = [Assignment(entry=entry, judge=judge) for entry in (ready, scored)]
    db.session.add_all(assignments)
    db.session.flush()
    save_review(assignment=assignments[1], scores={c.id: Decimal(8) for c in contest.criteria},
                comment="画面稳定，\n主题清楚。", submit=True)
    db.session.commit()
    return {"users": users, "contest": contest, "ready": ready, "scored": scored, "draft": draft,
            "busy": busy}


def ready_video(tmp_path) -> Video:
    storage = get_storage()
    poster_file = tmp_path / "poster.jpg"
    subprocess.run(["ffmpeg", "-v", "error", "-ss", "1", "-i", str(media(PLAIN)), "-frames:v", "1", "-y",
                    str(poster_file)], check=True, timeout=60)
    rendition = storage.put_file(new_key("renditions", ".mp4"), media(PLAIN))
    poster = storage.put_file(new_key("posters", ".jpg"), poster_file)
    return Video(original_name="老街.mp4", original_key="originals/aa/x", bytes=rendition.bytes,
                 sha256="0" * 64,  # not the sample's: the creator uploads the sample again below
                 state=VideoState.READY, rendition_key=rendition.key,
                 preview_key=rendition.key, poster_key=poster.key, duration_s=10.0, poster_time_s=1.0)


def play(page) -> None:
    """Start the player (the bytes come from media-src) and let it run a moment."""
    page.evaluate("document.querySelector('video').muted = true; document.querySelector('video').play()")
    # A function, not an expression: Playwright evaluates expressions with eval(), which the policy forbids.
    page.wait_for_function("() => document.querySelector('video').currentTime > 0.2", timeout=20_000)


def test_the_recorder_sees_inline_script_and_style(recorder, page):
    recorder.visit("/auth/login")
    page.evaluate("""() => {
      const script = document.createElement('script');
      script.textContent = 'window.inline = 1';
      document.body.append(script);
      document.body.insertAdjacentHTML('beforeend', '<p style="color: red">inline</p>');
    }""")
    page.wait_for_function("() => window.__csp.length >= 2")
    recorder.collect()
    events = [line for line in recorder.violations if " | " in line]
    directives = [line.split(": ", 1)[1].split(" | ")[0] for line in events]
    assert directives == ["script-src-elem", "style-src-attr"]
    assert any(line.startswith("console: Executing inline script violates") for line in recorder.violations)
    assert page.evaluate("() => window.inline") is None  # the script did not run
    recorder.violations.clear()


def test_anonymous_pages(recorder, page):
    for path in ["/", "/auth/login", "/auth/register"]:
        recorder.visit(path)
    recorder.visit("/my/")  # sent on to the login page, with the (translated) prompt
    assert page.url.endswith("/auth/login?next=%2Fmy%2F") and "请先登录" in page.content()
    recorder.visit("/no/such/page", status=404)
    page.click("a[data-history-back]")  # "Go back" without javascript: URLs
    page.wait_for_url("**/auth/login?next=%2Fmy%2F")
    recorder.collect()


def test_creator_pages_upload_and_player(recorder, page, live_server, world):
    log_in(page, live_server, world["users"][Role.CREATOR])
    recorder.visit("/my/")
    recorder.visit(f"/my/contests/{world['contest'].id}/entries/new")
    recorder.visit(f"/my/entries/{world['ready'].id}/edit")
    recorder.visit(f"/my/entries/{world['ready'].id}")  # player, poster slider, withdraw (confirmed)
    play(page)
    page.fill("[data-poster-seconds]", "2.5")
    recorder.visit(f"/my/entries/{world['ready'].id}/withdraw")  # the withdraw page asks for a reason
    recorder.collect()

    # the status panel of a video being processed is fetched again every 2 s and replaced, bar included
    recorder.visit(f"/my/entries/{world['busy'].id}")
    with page.expect_response(lambda response: response.url.endswith("/status")):
        pass
    page.wait_for_timeout(300)
    bar = "[data-processing-progress] .progress-bar"
    assert page.eval_on_selector(bar, "bar => bar.style.width") == "40%"
    screenshot(page, "csp-creator-entry-processing")
    recorder.collect()

    # the upload widget: tus through Uppy, then the status panel follows the processing with its bar
    recorder.visit(f"/my/entries/{world['draft'].id}")
    page.set_input_files("#upload-form input[type=file]", str(media(PLAIN)))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#entry-status[data-video-state='ready']", timeout=240_000)
    recorder.collect()
    screenshot(page, "csp-creator-entry-after-upload")
    play(page)
    recorder.collect()
    recorder.visit("/judge/", status=403)


def test_judge_pages_player_and_rubric(recorder, page, live_server, world):
    log_in(page, live_server, world["users"][Role.JUDGE])
    recorder.visit("/judge/")
    assert page.eval_on_selector(".progress-bar", "bar => bar.style.width") == "50%"  # 1 of 2 submitted
    screenshot(page, "csp-judge-queue")
    recorder.visit(f"/judge/entries/{world['scored'].id}")  # the submitted review, its comment kept in lines
    recorder.visit(f"/judge/entries/{world['ready'].id}")
    play(page)
    for field in page.locator("#rubric input[data-weight]").all():
        field.fill("7.5")
    assert page.inner_text("#total-preview") == "75.000"
    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.dismiss()))
    page.click("#rubric [data-confirm]")
    assert messages == ["确定提交最终评分吗？提交后不可修改。"]
    recorder.collect()
    screenshot(page, "csp-judge-entry")


def test_organizer_pages(recorder, page, live_server, world):
    contest, ready = world["contest"], world["ready"]
    log_in(page, live_server, world["users"][Role.ORGANIZER])
    pages = [f"/organizer/contests/{contest.id}/{name}"
             for name in ("edit", "assignments", "progress", "results", "audit", "people", "rounds", "conflicts")]
    for path in ["/organizer/", "/organizer/contests/new", *pages, "/organizer/judges", "/admin/members",
                 "/auth/profile"]:
        recorder.visit(path)
    recorder.visit(f"/organizer/contests/{contest.id}")
    assert page.eval_on_selector(".progress-bar", "bar => bar.style.width") == "50%"
    recorder.visit(f"/organizer/entries/{ready.id}/disqualify")  # the disqualify page asks for a reason
    screenshot(page, "csp-organizer-dashboard")
    recorder.visit(f"/organizer/entries/{ready.id}")
    play(page)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("form[action$='/remove'] button")
    recorder.collect()
    recorder.visit(f"/organizer/contests/{contest.id}/stats")
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length === 1")
    screenshot(page, "csp-organizer-stats")
    recorder.visit("/judge/", status=403)  # an administrator holds no judge grant: the error page
