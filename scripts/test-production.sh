#!/usr/bin/env bash
# Run the test suite on the production stack (CI-ready; .ci/run calls it after the default pass):
#   PostgreSQL  CONTEST_TEST_DATABASE_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/contest_test
#   S3          every test's files in a fresh bucket of moto's standalone S3 server on 127.0.0.1
#               (CONTEST_TEST_STORAGE=s3; the server is started by the test session itself)
#   Redis       the Celery tests start real `celery -A contest.worker worker` processes on Redis
#               (redis://127.0.0.1:6379/15) against the same database and bucket
# Any pytest arguments pass through:  scripts/test-production.sh tests/services
# The database is emptied before every test: never point this at data you want to keep.
set -euo pipefail
cd "$(dirname "$0")/.."
export CONTEST_TEST_STORAGE=s3
exec scripts/test-postgres.sh "$@"
