import html
import json
import re

import pytest

from tests.services.metrics.test_stats import stats_contest  # noqa: F401  (fixture)
from tests.people import Role


def table(page: bytes, table_id: str) -> list[list[str]]:
    """Cell texts (th and td) of the rows of ``<table id=table_id>``, header row included."""
    body = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', page.decode(), re.S).group(1)
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


@pytest.fixture
def page(client, login, make_user, stats_contest):
    client.set_cookie("lang", "en")
    login(make_user(Role.ORGANIZER))
    response = client.get(f"/organizer/contests/{stats_contest.id}/stats")
    assert response.status_code == 200
    return response.data


def test_stats_tables_by_category_state_and_day(page):
    assert table(page, "by-category")[1:] == [
        ["微视频组", "1", "2", "1", "0", "4"],  # draft, submitted, withdrawn, disqualified, total
        ["Vlog组", "1", "2", "0", "1", "4"],
        ["All categories", "2", "4", "1", "1", "8"],
    ]
    assert table(page, "by-category")[0] == ["Category", "Draft", "Submitted", "Withdrawn", "Disqualified",
                                             "All entries"]
    assert table(page, "by-day")[1:] == [
        ["2026-11-29", "1"], ["2026-11-30", "1"], ["2026-12-01", "1"], ["2026-12-02", "0"],
        ["2026-12-03", "1"],
    ]


def test_stats_plays_and_top_entries(page):
    assert "5,147,483,670" in page.decode()
    assert [[row[1], row[5]] for row in table(page, "top-plays")[1:]] == [
        ["XH2026-0002", "Submitted"], ["XH2026-0001", "Submitted"], ["XH2026-0007", "Withdrawn"],
    ]
    assert [row[6] for row in table(page, "top-plays")[1:]] == ["3,000,000,000", "2,147,483,660", "10"]


def test_stats_judging_progress(page):
    assert [row[1] for row in table(page, "judging")] == ["2", "3", "1", "1", "2"]
    assert 'aria-valuenow="33"' in page.decode()


def test_chart_gets_the_same_numbers_as_the_table_from_vendored_chartjs(page, client):
    data = json.loads(re.search(r"<canvas id=\"by-day-chart\"[^>]*data-chart='(.*?)'", page.decode(),
                                re.S).group(1))
    assert data["labels"] == ["2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03"]
    assert data["counts"] == [1, 1, 1, 0, 1]
    assert 'src="/static/vendor/chartjs/chart.umd.min.js"' in page.decode()
    script = client.get("/static/vendor/chartjs/chart.umd.min.js")
    assert script.status_code == 200 and b"Chart.js v4" in script.data[:200]
    script.close()


def test_empty_contest_page(client, login, make_user, make_contest):
    contest = make_contest()
    login(make_user(Role.ORGANIZER))

    response = client.get(f"/organizer/contests/{contest.id}/stats")

    assert response.status_code == 200
    assert b"by-day-chart" not in response.data and b"chart.umd.min.js" not in response.data


def test_unknown_contest_is_404(client, login, make_user):
    login(make_user(Role.ORGANIZER))
    assert client.get("/organizer/contests/999/stats").status_code == 404


@pytest.mark.parametrize("role", [Role.CREATOR, Role.JUDGE])
def test_creators_and_judges_are_refused(client, login, make_user, make_contest, role):
    contest = make_contest()
    login(make_user(role))

    assert client.get(f"/organizer/contests/{contest.id}/stats").status_code == 403


def test_anonymous_is_sent_to_login(client, make_contest):
    contest = make_contest()

    response = client.get(f"/organizer/contests/{contest.id}/stats")

    assert response.status_code == 302 and response.location.startswith("/auth/login")
