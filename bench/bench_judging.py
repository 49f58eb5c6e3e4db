"""Judging results at province scale: a round's standings per aggregation method against one SQL
``avg … GROUP BY``, and the 评分汇总表 (score sheet) export's memory and XLSX/CSV time at two sizes.

    .venv/bin/python bench/bench_judging.py [--entries 100000] [--small 10000] [--runs 3] [--profile]

Makes a temporary PostgreSQL database (``contest_bench_judging_<pid>`` on 127.0.0.1, user postgres; dropped at
the end) and seeds it with bench_pages' helpers: 1,000 judges, two contests of ``--entries`` and ``--small``
submitted entries, each entry assigned in round 1 to 5 judges spread evenly, every assignment with a
submitted review (totals derived from the ids: entry quality + judge leniency + noise, weighted 40/30/30), so
500,000 submitted reviews over 100,000 entries by default.

Standings: :func:`contest.services.results.standings.compute` of the big round with ``round.aggregation``
set to each method (not saved), each run in a fresh session as a request would, against the baseline
``SELECT a.entry_id, avg(r.total) … GROUP BY a.entry_id`` over the same submitted reviews, fetched in full. Runs
alternate (baseline, then every method, ``--runs`` times); medians of wall time and of CPU time (this process
plus its PostgreSQL backend, from /proc). Goals: mean and trimmed mean ≤ 3×, z-score ≤ 5×. ``--profile``
prints cProfile's top functions of one compute (mean).

Export, per contest: the round's standings computed first (kept, as the results page leaves them), then
:func:`~contest.services.results.score_sheet.score_sheet_csv` consumed in full and
:func:`~contest.services.results.score_sheet.score_sheet_xlsx` built and read through: their times (no
tracemalloc), then each again under :mod:`tracemalloc` started after the standings are warm, so the peak is
what the export alone adds. Goals: peak ≤ 64 MB and the same at both sizes; XLSX ≤ 10× the CSV's time.
Stops by itself; not part of the test suite.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_aggregation import backend_cpu  # noqa: E402
from bench_audit_export import consume  # noqa: E402
from bench_pages import add_accounts, add_contest, copy_entries, finish_seed  # noqa: E402
from sqlalchemy import text  # noqa: E402

from contest import create_app  # noqa: E402
from contest.extensions import db  # noqa: E402
from contest.models import Aggregation, Round, utcnow  # noqa: E402
from contest.services.results.score_sheet import score_sheet_csv, score_sheet_xlsx  # noqa: E402
from contest.services.results.standings import compute, round_standings  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432/"
JUDGES = 1_000
BASELINE_SQL = text(
    "SELECT a.entry_id, avg(r.total) FROM review r JOIN assignment a ON a.id = r.assignment_id "
    "WHERE a.round_id = :round AND r.state = 'submitted' GROUP BY a.entry_id")
GOALS = {Aggregation.MEAN: 3, Aggregation.TRIMMED_MEAN: 3, Aggregation.ZSCORE: 5}
MB = 1_000_000


def seed(app, dsn: str, big: int, small: int) -> dict[str, int]:
    """Accounts and the two contests; returns the round id of each (``big``, ``small``)."""
    now = utcnow()
    with app.app_context():
        db.create_all()
    accounts = add_accounts(app, dsn, judges=JUDGES, creators=-(-big // 3), now=now)
    rounds = {}
    for label, entries in (("big", big), ("small", small)):
        contest = add_contest(app, code=label.upper(), entries=entries, now=now)
        with psycopg.connect(dsn) as conn:
            copy_entries(conn, contest, accounts, entries=entries, now=now)
            conn.commit()
        rounds[label] = contest["round"]
    with psycopg.connect(dsn, autocommit=True) as conn:
        finish_seed(conn)
    return rounds


def timed(work) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and of the session's PostgreSQL backend) of ``work()``, in
    a fresh session (as each request has)."""
    db.session.remove()
    backend = db.session.connection().connection.dbapi_connection.info.backend_pid
    wall, cpu, server = time.perf_counter(), time.process_time(), backend_cpu(backend)
    work()
    result = time.perf_counter() - wall, time.process_time() - cpu + backend_cpu(backend) - server
    db.session.remove()
    return result


def standings_job(round_id: int, method: Aggregation):
    def job() -> None:
        round_ = db.session.get(Round, round_id)
        with db.session.no_autoflush:  # the method is set for the bench only, never written
            round_.aggregation = method
            compute(round_)
    return job


def bench_standings(round_id: int, runs: int) -> dict[str, list[tuple[float, float]]]:
    work = {"SQL avg … GROUP BY entry_id (baseline)":
            lambda: db.session.execute(BASELINE_SQL, {"round": round_id}).all()}
    work |= {f"compute(round_), {method.value}": standings_job(round_id, method) for method in Aggregation}
    for job in work.values():  # warm up: caches, prepared statements
        timed(job)
    times: dict[str, list[tuple[float, float]]] = {label: [] for label in work}
    for _ in range(runs):
        for label, job in work.items():
            times[label].append(timed(job))
    return times


def print_standings(times: dict[str, list[tuple[float, float]]], entries: int, reviews: int) -> None:
    print(f"\nStandings of a round: {reviews:,} submitted reviews of {entries:,} entries by {JUDGES:,} "
          f"judges (medians of {len(next(iter(times.values())))} alternating runs)\n")
    print(f"{'job':<44} {'wall s':>7} {'vs SQL':>7} {'CPU s':>7} {'vs SQL':>7} {'goal':>5}"
          "   (wall min–max s)")
    base_wall, base_cpu = (statistics.median(t[i] for t in next(iter(times.values()))) for i in (0, 1))
    goals = {f"compute(round_), {method.value}": goal for method, goal in GOALS.items()}
    for label, values in times.items():
        wall, cpu = (statistics.median(t[i] for t in values) for i in (0, 1))
        goal = f"≤{goals[label]}×" if label in goals else ""
        walls = [t[0] for t in values]
        print(f"{label:<44} {wall:>7.3f} {wall / base_wall:>6.2f}× {cpu:>7.3f} {cpu / base_cpu:>6.2f}× "
              f"{goal:>5}   ({min(walls):.3f}–{max(walls):.3f})")


def profile_standings(round_id: int) -> None:
    db.session.remove()
    profiler = cProfile.Profile()
    profiler.runcall(standings_job(round_id, Aggregation.MEAN))
    db.session.remove()
    print("\ncProfile of one compute(round_), mean (top 25 by cumulative time):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)


def bench_export(app, round_id: int) -> dict[str, tuple[float, float]]:
    """Format → (seconds, peak MB under tracemalloc) of the round's score sheet, standings kept beforehand."""
    results = {}
    with app.test_request_context():  # header labels in the request's locale (Chinese)
        round_ = db.session.get(Round, round_id)
        exports = {"csv": lambda: score_sheet_csv(round_, reveal_judges=True),
                   "xlsx": lambda: score_sheet_xlsx(round_, reveal_judges=True)}
        seconds = {}
        for name, export in exports.items():
            round_standings(round_)  # kept (computed at most once per MAX_AGE_S): not part of the export
            started = time.perf_counter()
            consume(export)
            seconds[name] = time.perf_counter() - started
        for name, export in exports.items():
            round_standings(round_)
            tracemalloc.start()
            consume(export)
            peak = tracemalloc.get_traced_memory()[1] / MB
            tracemalloc.stop()
            results[name] = seconds[name], peak
    db.session.remove()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000, help="entries of the big round")
    parser.add_argument("--small", type=int, default=10_000, help="entries of the small round")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each standings job (default 3)")
    parser.add_argument("--profile", action="store_true", help="cProfile one standings compute")
    parser.add_argument("--skip-export", action="store_true")
    args = parser.parse_args()

    name = f"contest_bench_judging_{os.getpid()}"
    dsn = SERVER + name
    with psycopg.connect(SERVER + "postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        app = create_app("development", DATABASE_URL=dsn.replace("postgresql:", "postgresql+psycopg:"),
                         SECRET_KEY="bench-not-secret", TASK_BACKEND="eager")
        started = time.perf_counter()
        rounds = seed(app, dsn, args.entries, args.small)
        print(f"seeded {args.entries:,} + {args.small:,} entries, 5 submitted reviews each, in "
              f"{time.perf_counter() - started:.0f} s (temporary database {name}); load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        with app.app_context():
            times = bench_standings(rounds["big"], args.runs)
            if args.profile:
                profile_standings(rounds["big"])
        print_standings(times, args.entries, args.entries * 5)
        if not args.skip_export:
            print("\n评分汇总表 export (reveal_judges=True; standings kept beforehand)\n")
            print(f"{'entries':>8} {'CSV s':>7} {'XLSX s':>7} {'XLSX/CSV':>9} {'CSV peak MB':>12} "
                  f"{'XLSX peak MB':>13}")
            for label, entries in (("small", args.small), ("big", args.entries)):
                with app.app_context():
                    result = bench_export(app, rounds[label])
                (csv_s, csv_mb), (xlsx_s, xlsx_mb) = result["csv"], result["xlsx"]
                print(f"{entries:>8,} {csv_s:>7.2f} {xlsx_s:>7.2f} {xlsx_s / csv_s:>8.2f}× {csv_mb:>12.1f} "
                      f"{xlsx_mb:>13.1f}", flush=True)
            print("\ngoals: peak ≤ 64 MB and the same at both sizes; XLSX ≤ 10× CSV. Times without "
                  "tracemalloc.")
        print(f"\nload average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        with psycopg.connect(SERVER + "postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # the app's pooled connections too


if __name__ == "__main__":
    main()
