"""Aggregating a province-scale round in Python: each method's time as a ratio to one SQL ``avg … GROUP BY``.

    .venv/bin/python bench/bench_aggregation.py [--reviews 500000] [--entries 100000] [--judges 1000]
                                                [--runs 5]

Creates a temporary PostgreSQL database (``contest_bench_agg_<pid>`` on 127.0.0.1, user postgres; dropped
at the end) with one table ``review_total (entry_id, judge_id, review_id, total numeric(7, 3))`` and fills it
with COPY: ``--reviews`` reviews spread evenly over ``--entries`` entries (5 distinct judges per entry by
default, drawn from ``--judges``), totals = an entry's quality + a judge's bias (some judges severe, some
lenient, a few scoring everything 0) + noise, clamped to 0..100 and rounded to 3 decimals (fixed seed).

Baseline: ``SELECT entry_id, avg(total) FROM review_total GROUP BY entry_id`` fetched in full. Each method:
``SELECT entry_id, judge_id, review_id, total FROM review_total`` fetched in full (psycopg makes Decimals, as
the app's query would) and then the function of ``contest/services/results/aggregation.py`` /
``agreement.py`` over the rows; the ratio includes the fetch. Each job, the baseline too, runs with the
cyclic garbage collector paused (``scores.gc_paused``, as a caller fetching a round's rows should: otherwise
the 500,000 fetched tuples alone trigger hundreds of collections). Runs alternate (baseline, then every
method, ``--runs`` times) and each figure is the median of its runs, so the drift of a shared machine's load
hits all of them alike. Prints wall time and CPU time (this process plus its PostgreSQL backend, read from
/proc; medians, and the ratio of the least CPU of any run, the run least disturbed by other programs), and
the fetch alone. Goals: mean and trimmed mean ≤ 3×, z-score ≤ 5×.
Stops by itself; not part of the test suite.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contest.services.results.aggregation import (  # noqa: E402
    aggregate_round,
    normalise_round,
    round_means,
    round_medians,
    round_trimmed_means,
)
from contest.services.results.agreement import judge_deviations, round_disagreements  # noqa: E402
from contest.services.results.scores import gc_paused  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432/"
BASELINE_SQL = "SELECT entry_id, avg(total) FROM review_total GROUP BY entry_id"
ROWS_SQL = "SELECT entry_id, judge_id, review_id, total FROM review_total"
METHODS = {
    "mean": round_means,
    "trimmed mean (k=1)": round_trimmed_means,
    "median": round_medians,
    "z-score (normalise_round)": normalise_round,
    "disagreement": round_disagreements,
    "judge deviation": judge_deviations,
    "everything (aggregate_round)": aggregate_round,
}
GOALS = {"mean": 3, "trimmed mean (k=1)": 3, "z-score (normalise_round)": 5}


def seed(conn: psycopg.Connection, reviews: int, entries: int, judges: int) -> None:
    rng = random.Random(2026)
    bias = [rng.gauss(0, 8) for _ in range(judges)]
    flat = set(rng.sample(range(judges), max(1, judges // 200)))  # judges scoring everything 0
    per_entry = -(-reviews // entries)
    conn.execute("CREATE TABLE review_total (entry_id int NOT NULL, judge_id int NOT NULL, "
                 "review_id int NOT NULL, total numeric(7, 3) NOT NULL)")
    with conn.cursor() as cur, cur.copy("COPY review_total FROM STDIN") as copy:
        review_id = 0
        for entry_id in range(1, entries + 1):
            quality = rng.uniform(50, 90)
            for judge in rng.sample(range(judges), per_entry):
                review_id += 1
                if review_id > reviews:
                    break
                noisy = quality + bias[judge] + rng.gauss(0, 6)
                score = 0.0 if judge in flat else min(100.0, max(0.0, noisy))
                copy.write_row((entry_id, judge + 1, review_id, Decimal(f"{score:.3f}")))
    conn.execute("ANALYZE review_total")
    conn.commit()


def backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by the PostgreSQL backend ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(conn: psycopg.Connection, backend: int, work) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and of the backend) of ``work(conn)``."""
    wall, cpu, server = time.perf_counter(), time.process_time(), backend_cpu(backend)
    with gc_paused():  # as a caller fetching a round should (see contest/services/results/scores.py)
        work(conn)
    return (time.perf_counter() - wall,
            time.process_time() - cpu + backend_cpu(backend) - server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=500_000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--judges", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each (default 5; medians)")
    args = parser.parse_args()

    name = f"contest_bench_agg_{os.getpid()}"
    with psycopg.connect(SERVER + "postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with psycopg.connect(SERVER + name) as conn:
            started = time.perf_counter()
            seed(conn, args.reviews, args.entries, args.judges)
            print(f"seeded {args.reviews:,} reviews of {args.entries:,} entries by {args.judges:,} judges "
                  f"in {time.perf_counter() - started:.0f} s (PostgreSQL, temporary database {name})")
            work = {"SQL avg … GROUP BY entry_id (baseline)": lambda c: c.execute(BASELINE_SQL).fetchall(),
                    "fetch the rows only": lambda c: c.execute(ROWS_SQL).fetchall()}
            work |= {label: (lambda c, f=f: f(c.execute(ROWS_SQL).fetchall()))
                     for label, f in METHODS.items()}
            backend = conn.info.backend_pid
            for job in work.values():  # warm up: caches, prepared statements
                timed(conn, backend, job)
            times: dict[str, list[tuple[float, float]]] = {label: [] for label in work}
            for _ in range(args.runs):
                for label, job in work.items():
                    times[label].append(timed(conn, backend, job))
    finally:
        with psycopg.connect(SERVER + "postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")

    baseline = next(iter(times.values()))
    base_wall, base_cpu = (statistics.median(t[i] for t in baseline) for i in (0, 1))
    base_best = min(t[1] for t in baseline)
    print(f"\n{'method':<40} {'wall s':>7} {'vs SQL':>7} {'CPU s':>7} {'vs SQL':>7} {'best':>6} {'goal':>5}"
          "   (wall of the runs: min–max s)")
    for label, values in times.items():
        wall, cpu = (statistics.median(t[i] for t in values) for i in (0, 1))
        best = min(t[1] for t in values) / base_best
        goal = f"≤{GOALS[label]}×" if label in GOALS else ""
        walls = [t[0] for t in values]
        print(f"{label:<40} {wall:>7.3f} {wall / base_wall:>6.2f}× {cpu:>7.3f} {cpu / base_cpu:>6.2f}× "
              f"{best:>5.2f}× {goal:>5}   ({min(walls):.3f}–{max(walls):.3f})")
    print("\nEach method includes fetching the 4 columns of every review (psycopg, Decimal totals). CPU: "
          "this process plus the PostgreSQL backend serving it, which the load of other programs on a shared "
          "machine moves less than wall time; best: the least CPU of any run against the baseline's least "
          "(the runs least disturbed by other programs).")


if __name__ == "__main__":
    main()
