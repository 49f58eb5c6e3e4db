"""Page speed at province scale: 100,000 entries, 1,000 judges, 500,000 assignments on PostgreSQL.

    .venv/bin/python bench/bench_pages.py [--requests 200] [--clients 4] [--reseed]

Creates the database ``contest_bench`` on 127.0.0.1 (user postgres) when missing and seeds it with COPY
(1–3 min); later runs reuse it as long as the schema the models describe (tables and indexes) and the seed sizes
are those it was seeded with, else it is rebuilt (``--reseed`` forces that). Then it starts gunicorn
(``gunicorn -c gunicorn.conf.py wsgi:app``) on a free port against it, logs in an organizer and a judge, and
sends a fixed number of GET requests per page from a few client threads; the pages that show the kept
judging-progress numbers run for ``PROGRESS_CACHE_S`` seconds at least, so that every worker's recounting is
in the figure as often as it happens in use. The organizer's results page (standings of round 1, computed on
first use and kept per process for ``MAX_AGE_S`` seconds, contest/services/results/standings.py) is timed once
cold, its first request (one worker computes the standings), then measured kept like the other pages.
Every assignment is in the contest's round 1; an entry's first assignment has a submitted review, of the
others 5 % have no review yet, 5 % a draft and 90 % a submitted one (~480,000 reviews, ~460,000 submitted),
with points derived from the ids (entry quality, judge leniency, noise: :func:`review_points`) so that the
standings differ.

Prints requests/s and the median latency of each page and its ratio to the baseline (the login page: the full
Flask stack — session, locale, template — without a database query). The baseline is measured before the first
page and after each page, and each page is compared with the mean of the two measurements around it, so that
the load of a shared machine drifting during the run does not skew the ratios. Also prints the SQL statements
one request runs (counted in-process with a ``before_cursor_execute`` listener, each request in its own app
context and session as under gunicorn; "a (b)": b when the request counts the contest's judging progress and
entries, a while those numbers are kept — see contest/services/progress.py and contests.entry_total), the CPU
time gunicorn and PostgreSQL spend per request, and what counting the judging progress costs.
Stops by itself; not part of the test suite.
"""
import argparse
import hashlib
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import requests
from sqlalchemy import event
from sqlalchemy.schema import CreateIndex, CreateTable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from contest import create_app  # noqa: E402
from contest.extensions import db  # noqa: E402
from contest.models import Category, Contest, Criterion, utcnow  # noqa: E402
from contest.services.accounts.users import create_user  # noqa: E402
from contest.services.judging.progress import count_progress  # noqa: E402

DSN = "postgresql://postgres@127.0.0.1:5432/contest_bench"
URL = "postgresql+psycopg://postgres@127.0.0.1:5432/contest_bench"
ENTRIES, JUDGES, PER_ENTRY, PER_CREATOR = 100_000, 1_000, 5, 3
PASSWORD = "bench password 2026"
#: Threads per gunicorn worker.
THREADS = 4
#: Share of the assignments (after each entry's first) without a review yet, and share that are drafts; the
#: rest are submitted (~460,000 of ~480,000 reviews; every entry has at least one submitted).
MISSING, DRAFTS = 0.05, 0.05
#: Changes whenever what the seed writes changes (part of the fingerprint).
SEED_VERSION = 2


def ensure_database() -> None:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'contest_bench'").fetchone():
            conn.execute("CREATE DATABASE contest_bench")


def fingerprint(app) -> str:
    """Digest of the schema the models describe (every CREATE TABLE and CREATE INDEX) and the seed sizes."""
    with app.app_context():
        dialect = db.engine.dialect
        tables = db.metadata.sorted_tables
        ddl = [str(CreateTable(table).compile(dialect=dialect)) for table in tables]
        ddl += sorted(str(CreateIndex(index).compile(dialect=dialect))
                      for table in tables for index in table.indexes)
    ddl.append(repr((ENTRIES, JUDGES, PER_ENTRY, PER_CREATOR, MISSING, DRAFTS, SEED_VERSION)))
    return hashlib.sha256("\n".join(ddl).encode()).hexdigest()[:16]


def seeded(app) -> bool:
    """True when contest_bench holds the seed made for the current schema and sizes."""
    with psycopg.connect(DSN) as conn:
        try:
            row = conn.execute("SELECT fingerprint FROM bench_seed").fetchone()
        except psycopg.errors.UndefinedTable:
            return False
    return row is not None and row[0] == fingerprint(app)


def seed(app) -> None:
    """Schema from the models, accounts and the contest through the ORM, the bulk rows through COPY."""
    started = time.perf_counter()
    with app.app_context():
        db.drop_all()
        db.create_all()
    now = utcnow()
    accounts = add_accounts(app, DSN, judges=JUDGES, creators=-(-ENTRIES // PER_CREATOR), now=now)
    contest = add_contest(app, code="BENCH", entries=ENTRIES, now=now)
    grant_judges(DSN, contest, accounts, now)
    with psycopg.connect(DSN) as conn:
        copy_entries(conn, contest, accounts, entries=ENTRIES, now=now, missing=MISSING, drafts=DRAFTS)
        conn.commit()
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_seed")
        conn.execute("CREATE TABLE bench_seed (fingerprint text NOT NULL)")
        conn.execute("INSERT INTO bench_seed VALUES (%s)", (fingerprint(app),))
        finish_seed(conn)
    print(f"seeded in {time.perf_counter() - started:.0f} s")


def finish_seed(conn) -> None:
    """Sequences past the copied ids, then VACUUM ANALYZE (``conn`` in autocommit)."""
    for table in ("user", "entry", "video", "assignment", "review", "criterion_score"):
        conn.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                     f"(SELECT max(id) FROM \"{table}\"))")
    conn.execute("VACUUM ANALYZE")


def add_accounts(app, dsn: str, *, judges: int, creators: int, now) -> dict:
    """Every account of a seed, in this one function: ``organizer``, ``judge1`` and ``creator1`` through
    :func:`create_user` (they log in), then ``judges - 1`` more judges and ``creators - 1`` more creators
    through COPY with judge1's password hash. Returns ``organizer`` (id), ``judges`` and ``creators`` (ids,
    the ORM-made account first)."""
    with app.app_context():
        organizer = create_user(username="organizer", password=PASSWORD, is_admin=True)
        judge = create_user(username="judge1", password=PASSWORD)
        creator = create_user(username="creator1", password=PASSWORD)
        db.session.commit()
        ids, password_hash = (organizer.id, judge.id, creator.id), judge.password_hash
    first_judge = max(ids) + 1
    first_creator = first_judge + judges - 1
    more_judges = range(first_judge, first_creator)
    more_creators = range(first_creator, first_creator + creators - 1)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        with cur.copy('COPY "user" (id, username, display_name, password_hash, active, created_at) '
                      "FROM STDIN") as copy:
            for uid in more_judges:
                copy.write_row((uid, f"judge{uid}", f"评委{uid}", password_hash, True, now))
            for uid in more_creators:
                copy.write_row((uid, f"creator{uid}", f"创作者{uid}", password_hash, True, now))
        cur.execute("SELECT setval(pg_get_serial_sequence('\"user\"', 'id'), (SELECT max(id) FROM \"user\"))")
    return dict(organizer=ids[0], judges=[ids[1], *more_judges], creators=[ids[2], *more_creators])


def grant_judges(dsn: str, contest: dict, accounts: dict, now) -> None:
    """The judge grant of ``contest`` to every judge account of the seed (through COPY)."""
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        with cur.copy("COPY contest_role (contest_id, user_id, role, granted_at) FROM STDIN") as copy:
            for uid in accounts["judges"]:
                copy.write_row((contest["contest"], uid, "judge", now))


def add_contest(app, *, code: str, entries: int, now) -> dict:
    """A contest open for 30 more days with two categories, three criteria (weights 40/30/30, 10 points each)
    and its round 1 (made with it); ``entry_seq`` already at ``entries``. Returns the ids."""
    with app.app_context():
        contest = Contest(code=code, title=f"全省短视频大赛 {code}", opens_at=now - timedelta(days=30),
                          closes_at=now + timedelta(days=30), entry_seq=entries)
        contest.categories = [Category(name=name, position=i) for i, name in enumerate(["微视频组", "Vlog组"])]
        contest.criteria = [Criterion(name=n, max_points=10, weight=w, position=i)
                            for i, (n, w) in enumerate([("主题契合", 40), ("创意", 30), ("制作水平", 30)])]
        db.session.add(contest)
        db.session.commit()
        return dict(code=code, contest=contest.id, round=contest.rounds[0].id,
                    categories=[c.id for c in contest.categories], criteria=[c.id for c in contest.criteria])


def review_points(entry: int, judge: int) -> tuple[Decimal, Decimal, Decimal]:
    """Points (0..10, 2 dp) a judge gives an entry on each criterion, derived from the ids: the entry's
    quality (4–8) plus the judge's leniency (−1.5…+1.5) plus noise (0–1.99), so standings differ."""
    quality = 400 + (entry * 2654435761) % 401
    leniency = (judge * 40503) % 301 - 150
    return tuple(Decimal(min(1000, max(0, quality + leniency + (entry * 7919 + judge * 104729 * c) % 200)))
                 .scaleb(-2) for c in (1, 2, 3))


def copy_entries(conn, contest: dict, accounts: dict, *, entries: int, now, missing: float = 0,
                 drafts: float = 0) -> None:
    """``entries`` submitted entries of ``contest`` (a ready video each, ``PER_CREATOR`` per creator), each
    assigned in round 1 to ``PER_ENTRY`` judges spread evenly (judge i, i + J/5, … mod J), through COPY; ids
    follow the tables' largest. Every assignment has a review with its criterion scores and the weighted
    total (40/30/30), except a ``missing`` share (none yet); a ``drafts`` share of the reviews is a draft, the
    rest submitted; an entry's first assignment always has a submitted review."""
    first = {t: conn.execute(f'SELECT coalesce(max(id), 0) FROM "{t}"').fetchone()[0] + 1
             for t in ("entry", "assignment", "review", "criterion_score")}
    judges, creators, code = accounts["judges"], accounts["creators"], contest["code"]
    entry_ids = range(first["entry"], first["entry"] + entries)
    with conn.cursor() as cur:
        with cur.copy("COPY entry (id, contest_id, category_id, creator_id, number, title, description, "
                      "state, submitted_at, created_at, updated_at) FROM STDIN") as copy:
            for n, i in enumerate(entry_ids):
                creator = creators[n // PER_CREATOR % len(creators)]
                copy.write_row((i, contest["contest"], contest["categories"][i % 2], creator,
                                f"{code}-{n + 1:06d}", f"作品 {n + 1}", "", "submitted", now, now, now))
        with cur.copy("COPY video (id, entry_id, original_name, original_key, poster_key, state, attempts, "
                      "rotation, bytes, sha256, created_at) FROM STDIN") as copy:
            for i in entry_ids:
                copy.write_row((i, i, f"v{i}.mp4", f"originals/{i}", f"posters/{i}.jpg", "ready", 1, 0,
                                50_000_000, f"{i:064x}", now))
        reviews = []  # (review id, assignment id, entry id, judge id, submitted)
        with cur.copy("COPY assignment (id, round_id, judge_id, entry_id, created_at) FROM STDIN") as copy:
            aid, rid = first["assignment"] - 1, first["review"] - 1
            for i in entry_ids:
                for k in range(PER_ENTRY):  # judges i, i+200, i+400 … (mod 1000): 500 assignments each
                    aid += 1
                    judge = judges[(i + k * (len(judges) // PER_ENTRY)) % len(judges)]
                    copy.write_row((aid, contest["round"], judge, i, now))
                    draw = (aid * 7919) % 1000 / 1000
                    if k and draw < missing:
                        continue
                    rid += 1
                    reviews.append((rid, aid, i, judge, not k or draw >= missing + drafts))
        with cur.copy("COPY review (id, assignment_id, state, comment, total, submitted_at, updated_at) "
                      "FROM STDIN") as copy:
            for rid, aid, entry, judge, submitted in reviews:
                p1, p2, p3 = review_points(entry, judge)
                copy.write_row((rid, aid, "submitted" if submitted else "draft", "", 4 * p1 + 3 * p2 + 3 * p3,
                                now if submitted else None, now))
        with cur.copy("COPY criterion_score (id, review_id, criterion_id, points) FROM STDIN") as copy:
            sid = first["criterion_score"] - 1
            for rid, _aid, entry, judge, _submitted in reviews:
                for criterion_id, value in zip(contest["criteria"], review_points(entry, judge)):
                    sid += 1
                    copy.write_row((sid, rid, criterion_id, value))


def cpu_seconds(server: subprocess.Popen) -> float:
    """CPU seconds used so far by gunicorn (master and workers) and by the PostgreSQL backends serving
    contest_bench (Linux /proc; PostgreSQL's short-lived parallel workers are not included)."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ours = int(pid) == server.pid or int(stat[1]) == server.pid
            ours = ours or "contest_bench" in Path(f"/proc/{pid}/cmdline").read_text()
        except OSError:  # gone meanwhile
            continue
        if ours:
            total += (int(stat[11]) + int(stat[12])) / tick
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ, CONTEST_DATABASE_URL=URL, CONTEST_SECRET_KEY="bench-not-secret",
               CONTEST_CONFIG="development", CONTEST_TASK_BACKEND="eager", CONTEST_BIND=f"127.0.0.1:{port}",
               CONTEST_WEB_WORKERS=str(workers), CONTEST_WEB_THREADS=str(THREADS))
    gunicorn = Path(sys.executable).with_name("gunicorn")  # of the virtualenv running this
    proc = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py", "wsgi:app"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/auth/login", timeout=10).status_code == 200:
                return proc
        except requests.RequestException:  # not listening yet, or a worker still importing the app
            time.sleep(0.2)
    proc.terminate()
    proc.wait(timeout=30)
    raise SystemExit("gunicorn did not start within 60 s")


def logged_in(base: str, username: str) -> dict:
    """Cookies of a session logged in through the real form (CSRF token from the login page)."""
    session = requests.Session()
    page = session.get(f"{base}/auth/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = session.post(f"{base}/auth/login", allow_redirects=False,
                            data={"csrf_token": token, "username": username, "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"login as {username} failed: {response.status_code}")
    return session.cookies.get_dict()


def measure(url: str, cookies: dict, n: int, clients: int,
            min_seconds: float = 0) -> tuple[float, float, int]:
    """(requests per second, median latency in ms, requests sent) over ``n`` GETs shared by ``clients``
    threads, going on until ``min_seconds`` have passed too."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + min_seconds

    def run(count: int) -> None:
        with requests.Session() as session:
            session.cookies.update(cookies)
            sent = 0
            while sent < count or time.perf_counter() < deadline:
                sent += 1
                t0 = time.perf_counter()
                response = session.get(url)
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 200:
                        errors.append(f"{url}: {response.status_code}")

    shares = [n // clients + (1 if i < n % clients else 0) for i in range(clients)]
    threads = [threading.Thread(target=run, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return len(latencies) / wall, 1000 * statistics.median(latencies), len(latencies)


def statements_per_request(app, pages: dict[str, tuple[str, str | None]]) -> dict[str, tuple[int, int]]:
    """SQL statements run by the first and by the second request of each page, in-process against the same
    database; each request has its own app context and session, as under gunicorn. The two differ where the
    first request counts what the second finds kept (the judging progress of a contest)."""
    with app.app_context():
        engine = db.engine
    counts = {}
    for name, (path, user) in pages.items():
        app.extensions.pop("contest.process_cache", None)  # nothing kept from the pages before
        client = app.test_client()
        if user:
            client.post("/auth/login", data={"username": user, "password": PASSWORD})
        runs = []
        for _ in range(2):
            statements = []
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(engine, "before_cursor_execute", listener)
            try:
                status = client.get(path).status_code
            finally:
                event.remove(engine, "before_cursor_execute", listener)
            runs.append(len(statements) if status == 200 else -status)
        counts[name] = tuple(runs)
    return counts


def progress_cost(app, contest_id: int, runs: int = 3) -> float:
    """Median milliseconds to count a contest's judging progress (what the dashboard does every
    PROGRESS_CACHE_S seconds per web process)."""
    times = []
    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        for _ in range(runs):
            started = time.perf_counter()
            count_progress(contest=contest)
            times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per page (default 200)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads (default 4)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (default 3)")
    parser.add_argument("--reseed", action="store_true", help="rebuild contest_bench even if seeded")
    parser.add_argument("--only", default="", help="measure only the pages whose name contains this")
    args = parser.parse_args()

    ensure_database()
    app = create_app("development", DATABASE_URL=URL, SECRET_KEY="bench-not-secret", TASK_BACKEND="eager",
                     WTF_CSRF_ENABLED=False)
    if args.reseed or not seeded(app):
        seed(app)
    with app.app_context():
        contest_id = db.session.scalar(db.text("SELECT id FROM contest WHERE code = 'BENCH'"))
        judge_id = db.session.scalar(db.text("SELECT id FROM \"user\" WHERE username = 'judge1'"))
        entry_id = db.session.scalar(db.text(
            "SELECT min(a.entry_id) FROM assignment a JOIN review r ON r.assignment_id = a.id "
            "WHERE a.judge_id = :j AND r.state = 'submitted'"), {"j": judge_id})  # the page shows the scores
        to_score = db.session.scalar(db.text(
            "SELECT min(a.entry_id) FROM assignment a LEFT JOIN review r ON r.assignment_id = a.id "
            "WHERE a.judge_id = :j AND r.id IS NULL"), {"j": judge_id})  # no review yet: it shows the form
        page_size, keep_s = app.config["PAGE_SIZE"], app.config["PROGRESS_CACHE_S"]
    last_page, last_judges = -(-ENTRIES // page_size), -(-JUDGES // page_size)
    last_queue = -(-ENTRIES * PER_ENTRY // JUDGES // page_size)
    pages = {
        "static app.css": ("/static/css/app.css", None),
        "judge queue": ("/judge/", "judge1"),
        "judge queue, last page": (f"/judge/?page={last_queue}", "judge1"),
        "dashboard, page 1": (f"/organizer/contests/{contest_id}", "organizer"),
        f"dashboard, page {last_page}": (f"/organizer/contests/{contest_id}?page={last_page}", "organizer"),
        "judges' progress, page 1": (f"/organizer/contests/{contest_id}/progress", "organizer"),
        f"judges' progress, page {last_judges}": (
            f"/organizer/contests/{contest_id}/progress?page={last_judges}", "organizer"),
        "judge entry page, scored": (f"/judge/entries/{entry_id}", "judge1"),
        "judge entry page, to score": (f"/judge/entries/{to_score}", "judge1"),
        "organizer entry page": (f"/organizer/entries/{entry_id}", "organizer"),
        "results, page 1": (f"/organizer/contests/{contest_id}/results", "organizer"),
    }
    pages = {name: page for name, page in pages.items() if args.only in name}
    queries = statements_per_request(app, pages)
    counting_ms = progress_cost(app, contest_id)

    port = free_port()
    server = start_gunicorn(port, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        cookies = {None: {}, "judge1": logged_in(base, "judge1"), "organizer": logged_in(base, "organizer")}
        baseline_url = base + "/auth/login"
        cold = {}  # the first request of a page whose numbers are computed on first use (one worker)
        for name, (path, user) in pages.items():
            if path.endswith("/results"):
                started = time.perf_counter()
                requests.get(base + path, cookies=cookies[user]).raise_for_status()
                cold[name] = time.perf_counter() - started
        measure(baseline_url, {}, args.clients * 2, args.clients)
        before = cpu_seconds(server)
        baselines, results = [measure(baseline_url, {}, args.requests, args.clients)], {}
        baseline_cpu = 1000 * (cpu_seconds(server) - before) / baselines[0][2]
        for name, (path, user) in pages.items():
            # warm up: every worker thread's connection has run the page's queries psycopg's 5 times, after
            # which they are prepared statements (as they are after the first minutes in use)
            measure(base + path, cookies[user], args.workers * THREADS * 5, args.clients)
            # pages drawing the kept judging-progress numbers run for PROGRESS_CACHE_S at least, so that each
            # worker's recounting weighs in as often as it happens in use (once per worker and period)
            # (the results page's standings are kept MAX_AGE_S = 60 s: its figure is the kept, warm page)
            window = keep_s if path.startswith("/organizer/contests/") and name not in cold else 0
            before = cpu_seconds(server)
            rps, median, sent = measure(base + path, cookies[user], args.requests, args.clients, window)
            results[name] = rps, median, 1000 * (cpu_seconds(server) - before) / sent
            baselines.append(measure(baseline_url, {}, args.requests, args.clients))
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"\n{ENTRIES:,} entries, {JUDGES:,} judges, {ENTRIES * PER_ENTRY:,} assignments; {args.requests} "
          f"requests per page, {args.clients} clients, gunicorn {args.workers} workers × {THREADS} threads\n")
    print(f"{'page':<28} {'req/s':>8} {'median ms':>10} {'vs baseline':>12} {'SQL/request':>12} "
          f"{'CPU ms/request':>15}")
    rates = [rps for rps, _, _ in baselines]
    print(f"{'baseline: login page':<28} {statistics.median(rates):>8.1f} "
          f"{statistics.median(ms for _, ms, _ in baselines):>10.1f} {'1.00×':>12} {0:>12} "
          f"{baseline_cpu:>15.1f}   (measured {len(rates)} times: {min(rates):.0f}–{max(rates):.0f} req/s)")
    for i, (name, (rps, median, cpu_ms)) in enumerate(results.items()):
        # the ratio to the baseline measured just before and just after this page (the load of a shared
        # machine drifts during a run)
        baseline = (rates[i] + rates[i + 1]) / 2
        first, kept = queries[name]
        sql = f"{kept}" if first == kept else f"{kept} ({first})"
        print(f"{name:<28} {rps:>8.1f} {median:>10.1f} {rps / baseline:>11.2f}× {sql:>12} {cpu_ms:>15.1f}")
    print("\nCPU ms/request: gunicorn and the PostgreSQL backends of contest_bench together (not the "
          "client), which the load of other programs on the machine moves less than req/s.")
    for name, seconds in cold.items():
        print(f"\n{name}: first request (computes the round's standings in one worker) {seconds:.2f} s")
    print(f"\ncounting the judging progress of the contest (every PROGRESS_CACHE_S = {keep_s} s per worker; "
          f"dashboard and progress pages measured over {keep_s} s at least): {counting_ms:.0f} ms")


if __name__ == "__main__":
    main()
