"""The public contest page (/contests/<code>): what anyone may read before taking part, and nothing private."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from contest.models import Assignment, EntryState, utcnow
from tests.people import Role


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def contest(db, make_contest, make_user, make_entry):
    """An open contest with rules, technical requirements, a submitted entry by a named creator and a judge
    assigned to it."""
    contest = make_contest(code="XH2026", title="西湖区短视频大赛", theme="美好生活",
                           rules="作品须为原创。\n每人最多 3 件。",
                           opens_at=datetime(2026, 3, 1, 1, 0, tzinfo=timezone.utc),
                           closes_at=utcnow() + timedelta(days=7), max_file_bytes=200 * 1024**2,
                           min_duration_s=3.0, max_duration_s=180.0, allowed_containers="mp4", min_fps=25.0,
                           audio_required=True)
    creator = make_user(Role.CREATOR, display_name="王小明")
    entry = make_entry(contest=contest, creator=creator, title="家乡的河", state=EntryState.SUBMITTED)
    db.session.add(Assignment(entry=entry, judge=make_user(Role.JUDGE, display_name="李评委")))
    db.session.commit()
    return contest


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def join_card(response) -> str:
    """The "How to take part" card (the navigation bar has its own log-in and register links)."""
    return re.search(r'id="join">(.*?)</div></div>', text(response)).group(1)


def test_anonymous_visitor_reads_theme_rules_requirements_categories_dates_and_rubric(client, contest):
    response = client.get("/contests/XH2026")
    page = text(response)
    assert response.status_code == 200
    for shown in ("西湖区短视频大赛", "Theme: 美好生活", "作品须为原创。\n每人最多 3 件。".replace("\n", " "),
                  "Submissions: 2026-03-01 09:00 to", "Video length: 3 s to 3 min 00 s",
                  "File size: up to 200 MB",
                  "Frame rate: at least 25 fps", "File format: MP4 / MOV", "The video must have sound",
                  "微视频组", "Vlog组", "主题契合", "40%", "Open for entries until"):
        assert shown in page, shown
    join = join_card(client.get("/contests/XH2026"))
    assert 'href="/auth/register"' in join and 'href="/auth/login?next=/contests/XH2026"' in join


def test_public_page_shows_no_entries_creators_or_judges(client, contest):
    page = text(client.get("/contests/XH2026"))
    for private in ("家乡的河", "王小明", "李评委", "XH2026-0001"):
        assert private not in page, private


def test_unknown_code_is_404_and_the_code_is_found_in_any_case(client, contest):
    assert client.get("/contests/NOPE2026").status_code == 404
    assert client.get("/contests/xh2026").status_code == 200


def test_home_page_card_links_to_the_public_page(client, contest):
    assert 'href="/contests/XH2026"' in text(client.get("/"))


def test_a_creator_is_offered_a_new_entry_and_their_entries(client, contest, make_user, login):
    login(make_user(Role.CREATOR))
    join = join_card(client.get("/contests/XH2026"))
    assert f'href="/my/contests/{contest.id}/entries/new"' in join and 'href="/my/"' in join
    assert "You have 0 of 3 entries in this contest." in join and 'href="/auth/register"' not in join


def test_after_the_deadline_nobody_is_invited_to_register(client, make_contest):
    make_contest(code="OLD2025", opens_at=utcnow() - timedelta(days=30), closes_at=utcnow() - timedelta(days=1))
    response = client.get("/contests/OLD2025")
    join = join_card(response)
    assert "Submissions closed at" in join and 'href="/auth/register"' not in join
    assert '<span class="badge text-bg-dark" data-state="closed">Closed</span>' in text(response)


def test_a_judge_and_an_organizer_get_their_own_way_in(client, contest, make_user, login):
    login(make_user(Role.JUDGE))
    assert 'href="/judge/"' in join_card(client.get("/contests/XH2026"))
    login(make_user(Role.ORGANIZER))
    assert f'href="/organizer/contests/{contest.id}"' in join_card(client.get("/contests/XH2026"))
