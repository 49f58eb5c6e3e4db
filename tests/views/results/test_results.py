import html
import io
import re

import openpyxl
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from contest.models import Assignment, Entry
from contest.services.judging import rounds
from tests.people import Role
from contest.services.results.exports import results_csv, results_xlsx
from tests.people import Role
from tests.services.results.test_exports import (  # noqa: F401  (scored_contest: fixture)
    DONE,
    EXPECTED_RESULTS,
    scored_contest,
)
from tests.services.results.test_standings import scored  # noqa: F401  (fixture)

URLS = ["/organizer/contests/{id}/results", "/organizer/contests/{id}/results.csv",
        "/organizer/contests/{id}/results.xlsx"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_rows(page: bytes) -> list[list[str]]:
    """The text of every cell of the results table, row by row (tags such as badges removed)."""
    text = page.decode()
    rows = re.findall(r'<tr data-entry="[^"]*"[^>]*>(.*?)</tr>', text, re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


#: Standard deviation and max − min of each entry's review totals (by hand: 0001 80/84, 0002 76/83.5).
SPREAD = {"XH2026-0001": ("2.000", "4.000"), "XH2026-0002": ("3.750", "7.500"),
          "XH2026-0003": ("0.000", "0.000"), "XH2026-0004": ("—", "—")}


def shown(row) -> list[str]:
    """A row of EXPECTED_RESULTS as the page shows it: "—" for nothing, the mean then the round's score (the
    mean in a mean round), coverage "2/2" with a badge when an entry is not fully reviewed, the spread, no
    flags."""
    *cells, reviews, assigned, status, _aigc = row  # the page shows no AIGC column
    coverage = f"{reviews}/{assigned}" + ("" if status == DONE else " Not fully reviewed")
    text = ["—" if value is None else str(value) for value in cells]
    return text + [text[-1], coverage, *SPREAD[row[2]], ""]


@pytest.fixture
def organizer(make_user, login):
    return login(make_user(Role.ORGANIZER))


def test_results_page_shows_ranks_means_totals_and_rule(client, login, make_user, scored_contest):
    client.set_cookie("lang", "en")  # before any page: the locale is cached for the test's app context
    login(make_user(Role.ORGANIZER))
    response = client.get(f"/organizer/contests/{scored_contest.id}/results")

    assert response.status_code == 200
    assert table_rows(response.data) == [shown(row) for row in EXPECTED_RESULTS]
    page = response.data.decode()
    assert "share a rank" in page  # TIE_BREAK_RULE, stated on the page
    assert f'href="/organizer/contests/{scored_contest.id}/results.csv"' in page
    assert f'href="/organizer/contests/{scored_contest.id}/results.xlsx"' in page


def test_results_page_filters_by_category(client, organizer, scored_contest):
    vlog = scored_contest.categories[1]
    response = client.get(f"/organizer/contests/{scored_contest.id}/results?category={vlog.id}")

    assert response.status_code == 200
    rows = table_rows(response.data)
    assert [row[2] for row in rows] == ["XH2026-0002", "XH2026-0004"]
    assert rows[0][:2] == ["3", "1"]  # overall rank kept, category rank 1


def test_results_page_marks_coverage_and_ranks_only_fully_reviewed_entries_when_asked(
        client, login, make_user, db, scored_contest):
    client.set_cookie("lang", "en")
    login(make_user(Role.ORGANIZER))
    street = db.session.scalar(select(Entry).where(Entry.number == "XH2026-0003"))
    db.session.add(Assignment(judge=make_user(Role.JUDGE), entry=street))
    db.session.commit()
    url = f"/organizer/contests/{scored_contest.id}/results"

    everything = table_rows(client.get(url).data)
    response = client.get(url, query_string={"fully_reviewed": "1"})
    restricted, page = table_rows(response.data), response.data.decode()

    assert [(row[0], row[2], row[11]) for row in everything] == [
        ("1", "XH2026-0003", "1/2 Not fully reviewed"), ("2", "XH2026-0001", "2/2"), ("3", "XH2026-0002", "2/2"),
        ("—", "XH2026-0004", "0/1 Not fully reviewed")]
    assert [(row[0], row[2], row[9], row[11]) for row in restricted] == [
        ("1", "XH2026-0001", "82.000", "2/2"), ("2", "XH2026-0002", "79.750", "2/2"),
        ("—", "XH2026-0003", "82.000", "1/2 Not fully reviewed"), ("—", "XH2026-0004", "—", "0/1 Not fully reviewed")]
    assert 'name="fully_reviewed" value="1" id="fully-reviewed"\n           checked' in page
    assert "2 entries are not fully reviewed." in page
    assert f'href="/organizer/contests/{scored_contest.id}/results.csv?fully_reviewed=1"' in page
    csv_text = client.get(f"{url}.csv?fully_reviewed=1").data.decode("utf-8-sig")
    assert csv_text.splitlines()[1].startswith("1,1,XH2026-0001,")


def test_results_page_in_chinese_marks_entries_not_fully_reviewed(client, organizer, scored_contest):
    page = client.get(f"/organizer/contests/{scored_contest.id}/results").data.decode()
    assert '0/1 <span class="badge text-bg-warning">未评完</span>' in page


def test_unknown_category_shows_every_entry(client, organizer, scored_contest):
    response = client.get(f"/organizer/contests/{scored_contest.id}/results?category=999")

    assert len(table_rows(response.data)) == len(EXPECTED_RESULTS)


def test_csv_download(client, organizer, scored_contest, app):
    response = client.get(f"/organizer/contests/{scored_contest.id}/results.csv")

    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == "attachment; filename=XH2026-results.csv"
    assert response.headers["Cache-Control"] == "no-store"
    with force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        assert response.data == results_csv(contest=scored_contest)
    assert response.data.startswith(b"\xef\xbb\xbf")


def test_xlsx_download(client, organizer, scored_contest):
    response = client.get(f"/organizer/contests/{scored_contest.id}/results.xlsx")

    assert response.status_code == 200
    assert response.content_type == XLSX
    assert response.headers["Content-Disposition"] == "attachment; filename=XH2026-results.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(response.data))
    ranks = [row[:3] for row in wb.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert ranks == [row[:3] for row in EXPECTED_RESULTS]
    assert wb.worksheets[1].max_row == 1 + 5


def test_download_name_with_chinese_code_is_encoded(client, organizer, make_contest):
    contest = make_contest(code="西湖2026")

    disposition = client.get(f"/organizer/contests/{contest.id}/results.csv").headers["Content-Disposition"]

    assert disposition.isascii()
    assert "filename*=UTF-8''%E8%A5%BF%E6%B9%962026-results.csv" in disposition


@pytest.mark.parametrize("url", URLS)
def test_unknown_contest_is_404(client, organizer, url):
    assert client.get(url.format(id=999)).status_code == 404


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("role", [Role.CREATOR, Role.JUDGE])
def test_creators_and_judges_are_refused(client, login, make_user, make_contest, url, role):
    contest = make_contest()
    login(make_user(role))

    assert client.get(url.format(id=contest.id)).status_code == 403


@pytest.mark.parametrize("url", URLS)
def test_anonymous_is_sent_to_login(client, make_contest, url):
    contest = make_contest()

    response = client.get(url.format(id=contest.id))

    assert response.status_code == 302
    assert response.location.startswith("/auth/login")


def test_xlsx_download_matches_the_service(client, organizer, scored_contest, app):
    response = client.get(f"/organizer/contests/{scored_contest.id}/results.xlsx")
    with force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        expected = openpyxl.load_workbook(io.BytesIO(results_xlsx(contest=scored_contest)))
    got = openpyxl.load_workbook(io.BytesIO(response.data))

    assert got.sheetnames == expected.sheetnames
    for mine, theirs in zip(got.worksheets, expected.worksheets):
        assert list(mine.iter_rows(values_only=True)) == list(theirs.iter_rows(values_only=True))


def test_a_trimmed_round_shows_its_score_beside_the_mean_with_flags_and_judges(client, organizer, db, scored):
    contest, a, b, judges, _reviews = scored  # A: 90, 90, 90, 10; B: 80 ×4
    rounds.update_round(round_=contest.rounds[0], aggregation="trimmed_mean")
    db.session.commit()
    client.set_cookie("lang", "en")
    url = f"/organizer/contests/{contest.id}/results"
    page = client.get(url).get_data(as_text=True)
    rows = table_rows(page.encode())
    assert [(r[2], r[9], r[10]) for r in rows] == [(a.number, "70.000", "90.000"), (b.number, "80.000", "80.000")]
    assert "Trimmed mean" in page and "Judges disagree strongly" in page and 'id="judge-deviation"' in page
    assert "-40.000" in page  # 评委3's offset from the panel
    flagged = table_rows(client.get(url, query_string={"flagged": "1"}).data)
    assert [r[2] for r in flagged] == [a.number]


def test_score_sheet_downloads_for_the_organizer_only(client, organizer, db, scored, make_user, login):
    contest, a, b, judges, _reviews = scored
    round_id = contest.rounds[0].id
    data = client.get(f"/organizer/rounds/{round_id}/score-sheet.csv")
    assert data.status_code == 200 and data.headers["Cache-Control"] == "no-store"
    assert "attachment" in data.headers["Content-Disposition"] and data.data.startswith(b"\xef\xbb\xbf")
    assert b.number in data.data.decode("utf-8-sig")
    xlsx = client.get(f"/organizer/rounds/{round_id}/score-sheet.xlsx")
    assert xlsx.status_code == 200 and openpyxl.load_workbook(io.BytesIO(xlsx.data)).active.max_row == 3
    login(judges[0])
    assert client.get(f"/organizer/rounds/{round_id}/score-sheet.csv").status_code == 403
