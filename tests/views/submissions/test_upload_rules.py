"""A contest's technical requirements seen by creators: listed in plain Chinese next to the upload, and a real
file breaking them is refused through the upload view with every reason in Chinese and nothing stored."""
import html

import pytest
from sqlalchemy import func, select

from contest.models import Orientation, Video
from tests.conftest import media, stored_keys
from tests.views.submissions.test_submissions import upload
from tests.people import Role

MIB = 1024 * 1024
#: The example of the issue: vertical 1080×1920 (9:16), 25–60 fps, ≤ 5 min, ≤ 200 MB, H.264 MP4, with sound.
REAL = dict(orientation=Orientation.PORTRAIT, allowed_containers="mp4", allowed_video_codecs="h264",
            min_short_px=1080, min_long_px=1920, min_fps=25.0, max_fps=60.0, min_duration_s=1.0,
            max_duration_s=300.0, max_file_bytes=200 * MIB, audio_required=True)


@pytest.fixture
def creator(make_user, login, client):
    client.set_cookie("lang", "zh")
    return login(make_user(Role.CREATOR, display_name="小明"))


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def videos(db) -> int:
    return db.session.scalar(select(func.count(Video.id)))


def test_creators_see_the_requirements_in_chinese(client, make_contest, creator):
    make_contest(**REAL)
    page = text(client.get("/my/"))
    for line in ("画面方向：仅限竖屏", "分辨率：不低于 1080×1920", "帧率：25 至 60 帧/秒", "文件格式：MP4 / MOV",
                 "视频编码：H.264", "作品须有声音"):
        assert line in page, line


def test_no_requirement_lines_without_rules(client, make_contest, creator):
    make_contest()
    page = text(client.get("/my/"))
    assert "分辨率" not in page and "帧率" not in page and "作品须有声音" not in page


def test_a_file_meeting_the_real_rule_set_is_accepted(app, client, db, make_contest, make_entry, creator):
    entry = make_entry(contest=make_contest(**REAL), creator=creator)
    response = upload(client, entry, media("portrait_h264_1080x1920_30fps.mp4"))
    assert response.status_code == 302
    db.session.expire_all()
    assert entry.video is not None and (entry.video.width, entry.video.height) == (1080, 1920)


def test_a_file_breaking_the_rules_is_refused_with_every_reason_in_chinese(app, client, db, make_contest,
                                                                           make_entry, creator):
    rules = dict(REAL, allowed_containers="webm", allowed_video_codecs="vp9", min_fps=30.0)
    entry = make_entry(contest=make_contest(**rules), creator=creator)
    response = upload(client, entry, media("plain_h264_aac_1280x720_25fps.mp4"))  # 1280×720, 25 fps
    page = text(response)
    assert response.status_code == 200
    for reason in ("文件格式为 MP4 / MOV，本赛事只接受 WebM / MKV。",
                   "视频编码为 H.264，本赛事只接受 VP9。",
                   "本赛事仅接受竖屏视频（高大于宽），该视频画面为 1280×720（横屏）。",
                   "画面分辨率为 1280×720，低于本赛事要求的最低分辨率 1920×1080。",
                   "视频帧率为 25 帧/秒，低于本赛事下限 30 帧/秒。"):
        assert reason in page, reason
    assert stored_keys(app) == [] and videos(db) == 0


def test_a_silent_video_is_refused_when_sound_is_required(app, client, db, make_contest, make_entry, creator):
    entry = make_entry(contest=make_contest(audio_required=True), creator=creator)
    reply = upload(client, entry, media("vfr_h264_3026x1386_noaudio.mp4"),
                   headers={"Accept": "application/json"})
    assert reply.status_code == 422
    assert reply.get_json()["errors"] == ["视频没有声音（无音轨），本赛事要求作品带有声音。"]
    assert stored_keys(app) == [] and videos(db) == 0
