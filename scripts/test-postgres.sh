#!/usr/bin/env bash
# Run the test suite on PostgreSQL instead of per-test SQLite files (CI-ready; .ci/run may call it).
#   scripts/test-postgres.sh                 the whole suite
#   scripts/test-postgres.sh tests/services  any pytest arguments
# The database comes from CONTEST_TEST_DATABASE_URL, default
#   postgresql+psycopg://postgres@127.0.0.1:5432/contest_test
# It is created when missing; tests/conftest.py rebuilds its schema once and empties every table before each
# test, so never point this at a database whose data you want to keep. Needs the `postgres` extra (psycopg 3)
# in .venv, which ./manage.sh setup installs.
set -euo pipefail
cd "$(dirname "$0")/.."

export CONTEST_TEST_DATABASE_URL="${CONTEST_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/contest_test}"
PYTHON="${PYTHON:-.venv/bin/python}"
[ -x "$PYTHON" ] || { echo "Error: $PYTHON missing; run ./manage.sh setup first" >&2; exit 1; }

"$PYTHON" - <<'PY'
import os
import sys

from sqlalchemy.exc import OperationalError

from tests.conftest import ensure_database

url = os.environ["CONTEST_TEST_DATABASE_URL"]
try:
    ensure_database(url)
except OperationalError as exc:
    sys.exit(f"PostgreSQL is unreachable ({url}): {exc.orig}")
PY

# In parallel like ./manage.sh test: one process per CPU (CONTEST_TEST_WORKERS=N, 0 for one), each on a
# database of its own (contest_test_gw0 …, created by tests/conftest.py).
exec "$PYTHON" -m pytest -p no:cacheprovider -n "${CONTEST_TEST_WORKERS:-auto}" --dist worksteal "$@"
