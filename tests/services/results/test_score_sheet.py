"""The 评分汇总表 of a round: every judge's points and totals, dropped scores marked (CSV marker, XLSX fill),
judges named for organizers and numbered for others in a blind round; per-seat columns for big panels."""
import csv
import io

import openpyxl
import pytest

from contest.services.judging import rounds
from contest.services.results import score_sheet
from contest.services.results.score_sheet import score_sheet_csv, score_sheet_xlsx
from tests.services.results.test_standings import english, scored  # noqa: F401  (fixtures)


def read_csv(chunks) -> list[list[str]]:
    data = b"".join(chunks)
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def test_csv_has_every_judge_and_marks_the_dropped_scores(db, scored):
    contest, a, b, judges, _reviews = scored  # A: 90, 90, 90, 10; B: 80 ×4
    round_ = contest.rounds[0]
    rounds.update_round(round_=round_, aggregation="trimmed_mean", blind=False)
    db.session.commit()
    header, first, second = read_csv(score_sheet_csv(round_, reveal_judges=True))
    assert header[:6] == ["Rank", "Category rank", "Entry number", "Title", "Category", "Creator"]
    assert header[6:10] == ["评委0 · 主题契合", "评委0 · 创意", "评委0 · 制作水平", "评委0 · Total"]
    assert header[-7:] == ["Mean (out of 100)", "Score (out of 100)", "Reviews", "Judges assigned",
                           "Std. dev.", "Max − min", "Flags"]
    assert first[:3] == ["1", "1", a.number] and second[:3] == ["2", "2", b.number]
    totals = [first[header.index(f"评委{i} · Total")] for i in range(4)]
    assert totals.count("90.000") == 2 and "90.000 ↑去" in totals and totals[3] == "10.000 ↓去"
    assert first[header.index("评委3 · 主题契合")] == "1.00"
    assert first[-7:-1] == ["70.000", "90.000", "4", "4", "34.641", "80.000"]
    assert first[-1] == "strong_disagreement" and second[-1] == ""
    assert [second[header.index(f"评委{i} · Total")] for i in range(4)] == ["80.000 ↓去", "80.000", "80.000",
                                                                          "80.000 ↑去"]


def test_blind_round_numbers_the_judges_for_anyone_but_organizers(db, scored):
    contest, a, b, judges, _reviews = scored
    round_ = contest.rounds[0]  # blind by default
    header = read_csv(score_sheet_csv(round_, reveal_judges=False))[0]
    assert "Judge 1 · Total" in header and not any("评委" in cell for cell in header)
    assert "评委0 · Total" in read_csv(score_sheet_csv(round_, reveal_judges=True))[0]


def test_xlsx_highlights_the_dropped_totals(db, scored):
    contest, a, b, judges, _reviews = scored
    round_ = contest.rounds[0]
    rounds.update_round(round_=round_, aggregation="trimmed_mean")
    db.session.commit()
    ws = openpyxl.load_workbook(score_sheet_xlsx(round_, reveal_judges=True)).active
    header = [c.value for c in ws[1]]
    row = {header[i]: cell for i, cell in enumerate(ws[2])}
    assert row["Entry number"].value == a.number and row["评委3 · Total"].value == 10.0
    assert row["评委3 · Total"].fill.start_color.rgb == "FFF4B183"
    filled = [row[f"评委{i} · Total"].fill.fill_type == "solid" for i in range(4)]
    assert filled.count(True) == 2 and filled[3]  # the 10 and one of the 90s
    assert row["Score (out of 100)"].value == 90.0 and row["Mean (out of 100)"].value == 70.0


def test_a_big_panel_gets_one_column_group_per_seat(db, scored, monkeypatch):
    contest, a, b, judges, _reviews = scored
    monkeypatch.setattr(score_sheet, "MAX_JUDGE_GROUPS", 2)
    rows = read_csv(score_sheet_csv(contest.rounds[0], reveal_judges=True))
    header = rows[0]
    assert header[6:11] == ["Judge 1 · Judge", "Judge 1 · 主题契合", "Judge 1 · 创意", "Judge 1 · 制作水平",
                            "Judge 1 · Total"]
    assert header.count("Judge 4 · Judge") == 1 and "Judge 5 · Judge" not in header
    assert rows[1][2] == b.number and rows[1][6] == "评委0" and rows[1][10] == "80.000"  # mean round: B first


def test_the_csv_streams_after_the_view_has_returned_and_its_session_is_gone(db, scored):
    """A streamed response is consumed after the view returns (gunicorn), when the round it was given is no
    longer attached to a session: everything that needs it is read up front."""
    contest = scored[0]
    chunks = score_sheet_csv(contest.rounds[0], reveal_judges=True)
    db.session.remove()
    assert len(read_csv(chunks)) == 3
