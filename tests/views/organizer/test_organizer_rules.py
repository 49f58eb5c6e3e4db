"""The organizer's contest form: technical requirements (作品技术要求) set, shown again, and refused all at once
with the input kept."""
import html
import re

import pytest
from sqlalchemy import func, select

from contest.models import Contest, Orientation
from tests.views.organizer.test_organizer import contest_form
from tests.people import Role

RULES = {
    "allowed_containers": ["mp4"], "allowed_video_codecs": ["h264", "hevc"], "orientation": "portrait",
    "min_resolution": "1080×1920", "max_resolution": "2160x3840", "min_fps": "25", "max_fps": "60",
    "audio_required": "y", "max_duration_s": "300", "max_file_mb": "200",
}


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def organizer(make_user, login):
    return login(make_user(Role.ORGANIZER, display_name="组委会"))


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def ticked(text: str) -> list[str]:
    """Names and values of the ticked checkboxes."""
    return re.findall(r'<input checked [^>]*name="(\w+)" type="checkbox" value="(\w+)"', text)


def contests(db) -> int:
    return db.session.scalar(select(func.count(Contest.id)))


def test_create_contest_with_a_real_rule_set(client, db, organizer):
    response = client.post("/organizer/contests/new", data=contest_form(**RULES))
    assert response.status_code == 302
    contest = db.session.scalar(select(Contest))
    assert (contest.allowed_containers, contest.allowed_video_codecs) == ("mp4", "h264,hevc")
    assert (contest.min_short_px, contest.min_long_px, contest.max_short_px, contest.max_long_px) == (
        1080, 1920, 2160, 3840)
    assert (contest.min_fps, contest.max_fps, contest.audio_required) == (25.0, 60.0, True)
    assert (contest.orientation, contest.max_duration_s, contest.max_file_bytes) == (
        Orientation.PORTRAIT, 300.0, 200 * 1024 * 1024)


def test_form_without_rule_fields_means_no_limits(client, db, organizer):
    assert client.post("/organizer/contests/new", data=contest_form()).status_code == 302
    contest = db.session.scalar(select(Contest))
    assert contest.allowed_containers == "" and contest.min_short_px is None and contest.min_fps is None
    assert contest.audio_required is False


def test_edit_form_shows_the_rules_and_saves_changes(client, db, organizer, make_contest):
    contest = make_contest(orientation=Orientation.LANDSCAPE, allowed_containers="mp4,ts", min_short_px=720,
                           min_long_px=1280, min_fps=29.97, audio_required=True)
    form = page(client.get(f"/organizer/contests/{contest.id}/edit"))
    assert 'value="1280×720"' in form and 'value="29.97"' in form  # written the landscape way
    assert ticked(form) == [("allowed_containers", "mp4"), ("allowed_containers", "ts"),
                            ("audio_required", "y")]
    assert "Technical requirements" in form

    data = contest_form(code=contest.code, orientation="square", min_resolution="1080p", min_fps="",
                        allowed_containers=["webm"])
    for i, criterion in enumerate(contest.criteria):
        data[f"criteria-{i}-criterion_id"] = str(criterion.id)
    response = client.post(f"/organizer/contests/{contest.id}/edit", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert (contest.orientation, contest.allowed_containers) == (Orientation.SQUARE, "webm")
    assert (contest.min_short_px, contest.min_long_px, contest.min_fps) == (1080, None, None)
    assert contest.audio_required is False  # an unticked box


def test_bad_rules_are_all_reported_at_once_and_the_input_is_kept(client, db, organizer):
    bad = dict(RULES, min_resolution="1080×1920", max_resolution="720×1280", min_fps="60", max_fps="25",
               title="")
    response = client.post("/organizer/contests/new", data=contest_form(**bad))
    text = page(response)
    assert response.status_code == 200
    assert "The highest resolution must be at least the lowest (1080×1920)." in text
    assert "The highest frame rate must be at least the lowest (60 fps)." in text
    assert "This field is required." in text  # the title, found by the form in the same pass
    for kept in ('value="1080×1920"', 'value="720×1280"', 'value="60"', 'value="25"'):
        assert kept in text, kept
    assert ticked(text) == [("allowed_containers", "mp4"), ("allowed_video_codecs", "h264"),
                            ("allowed_video_codecs", "hevc"), ("audio_required", "y")]
    assert contests(db) == 0


def test_unreadable_and_impossible_values_are_named_per_field(client, db, organizer):
    response = client.post("/organizer/contests/new", data=contest_form(
        min_resolution="full HD", max_resolution="0×1920", min_fps="-5", max_fps="fast"))
    text = page(response)
    assert response.status_code == 200
    assert "Write the resolution as width×height, e.g. 1080×1920, or as 1080p." in text
    assert "Each side of the resolution must be between 1 and 16384 pixels." in text
    assert "The frame rate must be above 0 and at most 1000 fps." in text
    assert "Not a valid decimal value." in text
    assert text.count("invalid-feedback") == 4 and 'value="full HD"' in text
    assert contests(db) == 0


def test_form_errors_in_chinese(client, db, organizer):
    client.set_cookie("lang", "zh")
    response = client.post("/organizer/contests/new", data=contest_form(min_fps="60", max_fps="25",
                                                                       min_resolution="宽屏"))
    text = page(response)
    assert "最高帧率不能低于最低帧率（60 帧/秒）。" in text
    assert "请按“宽×高”填写分辨率，例如 1080×1920，或写作 1080p。" in text
    assert "作品技术要求" in text and contests(db) == 0
