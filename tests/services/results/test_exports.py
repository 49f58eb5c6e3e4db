import csv
import io
from datetime import datetime, timezone
from decimal import Decimal

import openpyxl
import pytest
from flask_babel import force_locale

from sqlalchemy import select

from contest.models import Assignment, DeclarationKey, Entry, EntryState
from contest.services.results.exports import results_csv, results_xlsx
from contest.services.judging.reviews import save_review
from contest.services.results.exports import results_csv, results_xlsx
from contest.services.submissions.declarations import DeclarationAnswers, accept_declarations
from tests.people import Role

UTC = timezone.utc
HYPERLINK = '=HYPERLINK("http://evil.example","点我")'

# Worked out by hand. Weights 40/30/30, every criterion out of 10; total = Σ points/10 × weight.
#   0003 "-老街记忆":  A 10/7/7 → 82            → total 82.000, means 10 / 7 / 7
#   0001 "家乡的河":   A 8/7/9 → 80, B 9/8/8 → 84 → total 82.000, means 8.5 / 7.5 / 8.5
#   0002 HYPERLINK:    A 10/6/6 → 76, B 7/9/9.5 → 83.5 → total 79.750, means 8.5 / 7.5 / 7.75
#   0004 (no review) unranked; 0005 draft and 0006 withdrawn are left out.
# 0003 and 0001 tie on 82.000; 0003 wins on the heaviest criterion (主题契合 10 > 8.5).
DONE, NOT_DONE = "Fully reviewed", "Not fully reviewed"
EXPECTED_RESULTS = [
    # rank, category rank, number, title, category, creator, 主题契合, 创意, 制作水平, total, reviews, judges
    # assigned, review status, AIGC
    (1, 1, "XH2026-0003", "-老街记忆", "微视频组", "+86 小张", "10.000", "7.000", "7.000", "82.000", 1, 1, DONE,
     None),
    (2, 2, "XH2026-0001", "家乡的河", "微视频组", "王小明", "8.500", "7.500", "8.500", "82.000", 2, 2, DONE,
     "Partly made with generative AI: 即梦, 可灵"),
    (3, 1, "XH2026-0002", HYPERLINK, "Vlog组", "李华", "8.500", "7.500", "7.750", "79.750", 2, 2, DONE,
     "No generative AI used"),
    (None, None, "XH2026-0004", "还没人评", "Vlog组", "王小明", None, None, None, None, 0, 1, NOT_DONE, None),
]
EXPECTED_HEADER = ["Rank", "Category rank", "Entry number", "Title", "Category", "Creator",
                   "主题契合", "创意", "制作水平", "Total (out of 100)", "Reviews", "Judges assigned",
                   "Review status", "AIGC"]
FIRST_REVIEW_AT = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 2026-12-01 00:30 in Beijing
OTHER_REVIEWS_AT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 2026-12-02 10:00 in Beijing
EXPECTED_BY_JUDGE = [
    ["XH2026-0001", "家乡的河", "A评委", 8, 7, 9, 80, "画面稳定", datetime(2026, 12, 1, 0, 30)],
    ["XH2026-0001", "家乡的河", "B评委", 9, 8, 8, 84, "=1+1", datetime(2026, 12, 2, 10, 0)],
    ["XH2026-0002", HYPERLINK, "A评委", 10, 6, 6, 76, None, datetime(2026, 12, 2, 10, 0)],
    ["XH2026-0002", HYPERLINK, "B评委", 7, 9, 9.5, 83.5, None, datetime(2026, 12, 2, 10, 0)],
    ["XH2026-0003", "-老街记忆", "A评委", 10, 7, 7, 82, None, datetime(2026, 12, 2, 10, 0)],
]


@pytest.fixture
def scored_contest(db, make_contest, make_user, make_entry):
    """Contest XH2026 with the reviews of :data:`EXPECTED_RESULTS` / :data:`EXPECTED_BY_JUDGE`, plus a draft
    review (does not count) and a submitted review of an entry withdrawn afterwards (does not count)."""
    contest = make_contest(code="XH2026", title="西湖区短视频大赛")
    micro, vlog = contest.categories
    judge_a = make_user(Role.JUDGE, display_name="A评委")
    judge_b = make_user(Role.JUDGE, display_name="B评委")
    wang, li, zhang = (make_user(display_name=name) for name in ("王小明", "李华", "+86 小张"))

    def entry(creator, category, title, state=EntryState.SUBMITTED):
        return make_entry(contest=contest, creator=creator, category=category, title=title, state=state)

    def review(judge, entry, points, comment="", *, submit=True, at=OTHER_REVIEWS_AT):
        assignment = Assignment(judge=judge, entry=entry)
        db.session.add(assignment)
        db.session.flush()
        scores = {c.id: Decimal(str(p)) for c, p in zip(contest.criteria, points)}
        saved = save_review(assignment=assignment, scores=scores, comment=comment, submit=submit)
        if submit:
            saved.submitted_at = at

    river = entry(wang, micro, "家乡的河")
    link = entry(li, vlog, HYPERLINK)
    street = entry(zhang, micro, "-老街记忆")
    unreviewed = entry(wang, vlog, "还没人评")
    entry(li, micro, "草稿", EntryState.DRAFT)
    withdrawn = entry(li, vlog, "已撤回")
    review(judge_a, river, (8, 7, 9), "画面稳定", at=FIRST_REVIEW_AT)
    review(judge_b, river, (9, 8, 8), "=1+1")
    review(judge_a, link, (10, 6, 6))
    review(judge_b, link, (7, 9, 9.5))
    review(judge_a, street, (10, 7, 7))
    review(judge_b, unreviewed, (5,), "未完成", submit=False)
    review(judge_b, withdrawn, (9, 9, 9))
    withdrawn.state = EntryState.WITHDRAWN
    every = frozenset(key.value for key in DeclarationKey)
    accept_declarations(entry=river, answers=DeclarationAnswers(every, "partly", "即梦, 可灵"),
                        at=OTHER_REVIEWS_AT)
    accept_declarations(entry=link, answers=DeclarationAnswers(every, "none"), at=OTHER_REVIEWS_AT)
    db.session.commit()
    return contest


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def expected_csv_row(row) -> list[str]:
    """The CSV text of an expected row: empty for None, a ``'`` before text starting with = + - @."""
    cells = []
    for value in row:
        text = "" if value is None else str(value)
        if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
            text = "'" + text
        cells.append(text)
    return cells


def test_csv_has_bom_header_and_every_number(scored_contest):
    with force_locale("en"):
        data = results_csv(contest=scored_contest)

    assert data[:3] == b"\xef\xbb\xbf" and b"\r\n" in data
    header, *rows = csv_rows(data)
    assert header == EXPECTED_HEADER
    assert rows == [expected_csv_row(row) for row in EXPECTED_RESULTS]
    assert rows[0][3] == "'-老街记忆" and rows[0][5] == "'+86 小张"
    assert rows[2][3] == "'" + HYPERLINK


def test_csv_neutralises_every_formula_trigger_but_not_numbers(db, make_contest, make_user, make_entry):
    contest = make_contest(code="INJ")
    creator = make_user(display_name="@作者")
    titles = ["=1+1", "+1", "-1", "@SUM(A1)", "\tTAB", "普通 = 标题"]
    for title in titles:
        make_entry(contest=contest, creator=creator, title=title, state=EntryState.SUBMITTED)

    with force_locale("en"):
        _, *rows = csv_rows(results_csv(contest=contest))

    assert [row[3] for row in rows] == ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tTAB", "普通 = 标题"]
    assert {row[5] for row in rows} == {"'@作者"}
    assert {tuple(row[10:]) for row in rows} == {("0", "0", NOT_DONE, "")}  # numbers untouched


def test_headers_follow_the_locale(scored_contest, app):
    with force_locale("en"):
        english = csv_rows(results_csv(contest=scored_contest))[0]
    with app.test_request_context("/", headers={"Cookie": "lang=zh"}):
        from flask_babel import gettext as _

        chinese = csv_rows(results_csv(contest=scored_contest))[0]
        assert chinese[:2] == [_("Rank"), _("Category rank")]

    assert english[0] == "Rank"
    assert chinese[6:9] == ["主题契合", "创意", "制作水平"]  # criterion names are data, never translated


def load_xlsx(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def test_xlsx_results_sheet_holds_numbers_as_numbers(scored_contest):
    with force_locale("en"):
        wb = load_xlsx(results_xlsx(contest=scored_contest))

    assert wb.sheetnames == ["Results", "Scores by judge"]
    sheet = wb.worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == EXPECTED_HEADER
    expected = [[float(v) if i in (6, 7, 8, 9) and v is not None else v for i, v in enumerate(row)]
                for row in EXPECTED_RESULTS]
    assert values[1:] == expected
    ranked = values[1]
    assert type(ranked[0]) is int and type(ranked[1]) is int and type(ranked[10]) is int and type(ranked[11]) is int
    assert all(type(v) in (int, float) for v in ranked[6:10])
    assert sheet.cell(row=2, column=10).number_format == "0.000"  # shown as 82.000
    formula_cell = sheet.cell(row=4, column=4)
    assert formula_cell.value == HYPERLINK and formula_cell.data_type == "s"  # text, never a formula


def test_xlsx_scores_by_judge_sheet(scored_contest):
    with force_locale("en"):
        wb = load_xlsx(results_xlsx(contest=scored_contest))

    sheet = wb["Scores by judge"]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == ["Entry number", "Title", "Judge", "主题契合", "创意", "制作水平", "Review total", "Comment",
                      "Submitted at (Beijing time)"]
    assert rows == EXPECTED_BY_JUDGE
    assert all(isinstance(v, (int, float)) for row in rows for v in row[3:7])
    assert all(isinstance(row[8], datetime) and row[8].tzinfo is None for row in rows)
    comment = sheet.cell(row=3, column=8)
    assert comment.value == "=1+1" and comment.data_type == "s"


def test_exports_of_a_contest_without_entries_have_headers_only(make_contest):
    contest = make_contest()
    with force_locale("en"):
        assert len(csv_rows(results_csv(contest=contest))) == 1
        wb = load_xlsx(results_xlsx(contest=contest))
    assert [ws.max_row for ws in wb.worksheets] == [1, 1]


def test_exports_show_review_coverage_and_can_rank_only_fully_reviewed_entries(db, scored_contest, make_user):
    """0003 ranked first on one review; a second judge assigned to it makes it 1/2, not fully reviewed."""
    street = db.session.scalar(select(Entry).where(Entry.number == "XH2026-0003"))
    db.session.add(Assignment(judge=make_user(Role.JUDGE), entry=street))
    db.session.commit()
    with force_locale("en"):
        everything = csv_rows(results_csv(contest=scored_contest))[1:]
        restricted = csv_rows(results_csv(contest=scored_contest, fully_reviewed_only=True))[1:]
        sheet = load_xlsx(results_xlsx(contest=scored_contest, fully_reviewed_only=True)).worksheets[0]

    def coverage(rows):  # rank, number, total, reviews, judges assigned, status
        return [(row[0], row[2], row[9], row[10], row[11], row[12]) for row in rows]

    assert coverage(everything) == [
        ("1", "XH2026-0003", "82.000", "1", "2", NOT_DONE), ("2", "XH2026-0001", "82.000", "2", "2", DONE),
        ("3", "XH2026-0002", "79.750", "2", "2", DONE), ("", "XH2026-0004", "", "0", "1", NOT_DONE)]
    assert coverage(restricted) == [
        ("1", "XH2026-0001", "82.000", "2", "2", DONE), ("2", "XH2026-0002", "79.750", "2", "2", DONE),
        ("", "XH2026-0003", "82.000", "1", "2", NOT_DONE), ("", "XH2026-0004", "", "0", "1", NOT_DONE)]
    xlsx_rows = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert coverage(xlsx_rows) == [
        (1, "XH2026-0001", 82.0, 2, 2, DONE), (2, "XH2026-0002", 79.75, 2, 2, DONE),
        (None, "XH2026-0003", 82.0, 1, 2, NOT_DONE), (None, "XH2026-0004", None, 0, 1, NOT_DONE)]
