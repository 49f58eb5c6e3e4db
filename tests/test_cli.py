import io

import openpyxl

from tests.services.results.test_exports import EXPECTED_RESULTS, scored_contest  # noqa: F401  (fixture)
from tests.people import Role


def export(runner, code: str, fmt: str, output):
    return runner.invoke(args=["export-results", "--contest", code, "--format", fmt, "--output", str(output)])


def download(client, login, make_user, contest, fmt: str) -> bytes:
    login(make_user(Role.ORGANIZER))
    response = client.get(f"/organizer/contests/{contest.id}/results.{fmt}")
    assert response.status_code == 200
    return response.data


def test_export_results_csv_equals_the_download(runner, client, login, make_user, scored_contest, tmp_path):
    out = tmp_path / "XH2026-results.csv"

    result = export(runner, "XH2026", "csv", out)

    assert result.exit_code == 0, result.output
    assert out.read_bytes() == download(client, login, make_user, scored_contest, "csv")
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_export_results_csv_to_stdout(runner, client, login, make_user, scored_contest):
    result = export(runner, "xh2026", "csv", "-")  # codes match case-insensitively

    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == download(client, login, make_user, scored_contest, "csv")


def test_export_results_xlsx_holds_the_downloaded_values(runner, client, login, make_user, scored_contest,
                                                         tmp_path):
    out = tmp_path / "results.xlsx"

    result = export(runner, "XH2026", "xlsx", out)

    assert result.exit_code == 0, result.output
    written = openpyxl.load_workbook(out)
    served = openpyxl.load_workbook(io.BytesIO(download(client, login, make_user, scored_contest, "xlsx")))
    assert written.sheetnames == served.sheetnames
    for mine, theirs in zip(written.worksheets, served.worksheets):
        assert list(mine.iter_rows(values_only=True)) == list(theirs.iter_rows(values_only=True))
    assert [row[2] for row in written.worksheets[0].iter_rows(min_row=2, values_only=True)] == \
        [row[2] for row in EXPECTED_RESULTS]


def test_export_results_refuses_an_unknown_code(runner, make_contest, tmp_path):
    make_contest(code="XH2026")
    out = tmp_path / "x.csv"

    result = export(runner, "NOPE", "csv", out)

    assert result.exit_code == 1
    assert "no contest with code 'NOPE'" in result.output and "XH2026" in result.output
    assert not out.exists()
