#!/usr/bin/env bash
# One entry point for newcomers and CI.
#   ./manage.sh start   set up, migrate, fill the demo contest (first time), serve on http://127.0.0.1:5000 with
#                       gunicorn (gunicorn.conf.py: one process × CONTEST_WEB_THREADS threads, access log);
#                       --dev (or CONTEST_DEV_SERVER=1) serves with Flask's development server instead
#   ./manage.sh test    set up (plus test tools and chromium), run the whole test suite in parallel (pytest-xdist,
#                       one process per CPU; CONTEST_TEST_WORKERS=N to choose, 0 for a single process)
#   ./manage.sh setup   set up only
#   ./manage.sh translations   re-extract messages into translations/ (then translate the empty msgstr)
# Set-up is idempotent: a virtualenv in .venv, Debian's ffmpeg (and chromium for tests) installed with apt-get
# when missing and we are root (or have password-less sudo), the Python package with its extras, compiled
# translations and the database schema.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
VENV=.venv
HOST="${CONTEST_HOST:-127.0.0.1}"
PORT="${CONTEST_PORT:-5000}"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31mError:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"
  else return 1; fi
}

APT_UPDATED=
apt_install() {
  command -v apt-get >/dev/null || return 1
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq || return 1; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_python() {
  command -v "$PYTHON" >/dev/null || die "python3 (3.11 or newer) is needed"
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "Python 3.11 or newer is needed"
  if [ ! -x "$VENV/bin/python" ]; then
    say "Creating the virtualenv in $VENV"
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
      rm -rf "$VENV"
      local ver; ver="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
      apt_install "python${ver}-venv" || apt_install python3-venv \
        || die "python3 -m venv failed; install Debian's python3-venv package"
      "$PYTHON" -m venv "$VENV"
    fi
  fi
}

ensure_ffmpeg() {
  # The programs the app will run (CONTEST_FFMPEG_BINARY / CONTEST_FFPROBE_BINARY, default: from PATH).
  local ffmpeg="${CONTEST_FFMPEG_BINARY:-ffmpeg}" ffprobe="${CONTEST_FFPROBE_BINARY:-ffprobe}" tool
  if ! command -v "$ffmpeg" >/dev/null || ! command -v "$ffprobe" >/dev/null; then
    say "Installing Debian's ffmpeg"
    apt_install ffmpeg || die "ffmpeg is missing; install it (Debian: apt-get install ffmpeg)"
  fi
  # Found is not enough: run them (a broken install or a wrong path would leave every video failing).
  for tool in "$ffmpeg" "$ffprobe"; do
    "$tool" -version >/dev/null 2>&1 || die "$tool does not run ('$tool -version' failed), so uploaded \
videos cannot be processed. Install ffmpeg (Debian: apt-get install ffmpeg) or set CONTEST_FFMPEG_BINARY and \
CONTEST_FFPROBE_BINARY to working programs."
  done
}

ensure_chromium() {
  if ! command -v chromium >/dev/null; then
    say "Installing Debian's chromium (browser tests)"
    apt_install chromium fonts-noto-cjk || die "chromium is missing; install it (Debian: apt-get install chromium)"
  fi
}

install_package() {
  local extras="$1" stamp="$VENV/.installed-$1"
  if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ]; then
    say "Installing Python dependencies ($extras)"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".[$extras]"
    touch "$stamp"
  fi
}

compile_translations() {
  "$VENV/bin/pybabel" -q compile -d translations
}

setup() {
  ensure_python
  ensure_ffmpeg
  install_package "${1:-postgres}"
  compile_translations
}

flask() { "$VENV/bin/flask" --app wsgi "$@"; }

cmd_start() {
  local dev="${CONTEST_DEV_SERVER:-}"
  if [ "${1:-}" = "--dev" ]; then dev=1; shift; fi
  [ $# -eq 0 ] || die "usage: $0 start [--dev]"
  setup "postgres,production"
  say "Applying database migrations"
  flask db upgrade
  flask demo --if-empty
  flask media check || die "videos could not be processed (see above); fix ffmpeg, then start again"
  cat <<EOF

  短视频大赛 is running at  http://$HOST:$PORT/
  Log in as organizer  organizer / demo-pass-2026
            judge      judge1 … judge3 / demo-pass-2026
            creator    creator1 … creator4 / demo-pass-2026
  (Ctrl-C stops it.)

EOF
  if [ -n "$dev" ] && [ "$dev" != 0 ]; then
    say "Serving with Flask's development server (not for production)"
    exec "$VENV/bin/flask" --app wsgi run --host "$HOST" --port "$PORT"
  fi
  # One process unless media jobs go to Celery (gunicorn.conf.py); its threads serve pages, uploads and videos.
  local bind="$HOST:$PORT"
  case "$HOST" in *:*) bind="[$HOST]:$PORT" ;; esac
  say "Serving with gunicorn on $bind (access log below)"
  CONTEST_BIND="$bind" CONTEST_WEB_THREADS="${CONTEST_WEB_THREADS:-8}" \
    exec "$VENV/bin/gunicorn" -c gunicorn.conf.py wsgi:app
}

cmd_test() {
  setup "postgres,celery,production,test"
  ensure_chromium
  say "Running the tests"
  # pytest-xdist: one test process per CPU (CONTEST_TEST_WORKERS=N to choose, 0 for one process); worksteal keeps
  # every process busy to the end when a few tests (browser, media) take much longer than the rest.
  exec "$VENV/bin/python" -m pytest -n "${CONTEST_TEST_WORKERS:-auto}" --dist worksteal "$@"
}

cmd_translations() {
  # Re-extract the English msgids from code and templates and merge them into the catalogs.
  "$VENV/bin/pybabel" extract -F babel.cfg -k _l -k lazy_gettext --ignore-dirs ".* __pycache__" \
    --no-location --sort-output --project=shortvideo-contest -o translations/messages.pot .
  "$VENV/bin/pybabel" update -i translations/messages.pot -d translations --no-fuzzy-matching
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  test) shift; cmd_test "$@" ;;
  setup) shift; setup "postgres,celery,production,test" ;;
  translations) shift; cmd_translations ;;
  *) echo "usage: $0 start [--dev] | test [pytest args] | setup | translations" >&2; exit 2 ;;
esac
