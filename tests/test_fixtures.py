"""The suite's own machinery: a database per parallel worker."""
from tests.conftest import worker_database_url

URL = "postgresql+psycopg://postgres@127.0.0.1:5432/contest_test"


def test_each_xdist_worker_gets_a_database_of_its_own(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    assert worker_database_url(URL) == "postgresql+psycopg://postgres@127.0.0.1:5432/contest_test_gw1"


def test_without_xdist_the_database_is_the_one_configured(monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert worker_database_url(URL) == URL
