"""A burst of log-ins: argon2id at the app's parameters against argon2-cffi's old default, in the same run.

    .venv/bin/python bench/bench_login.py [--logins 200] [--threads 8] [--rounds 2]

For each parameter set — "old default" (argon2-cffi's ``PasswordHasher()``: 64 MiB, 3 passes, 4 lanes, what
every hash was made with before) and "chosen" (``ARGON2_MEMORY_KIB`` / ``ARGON2_TIME_COST`` /
``ARGON2_PARALLELISM`` of config.py: 19 MiB, 2, 1) — an app on a temporary SQLite file gets 8 judges whose hashes
use that set, then ``--threads`` threads send ``--logins`` real log-ins (``POST /auth/login`` through the Flask
test client, one client per thread, rate limits off) as fast as they can, and then the same number of bare
``verify`` calls. Sets alternate (old, chosen, old, chosen …) for ``--rounds`` rounds. Printed: p50 / p95 of
each log-in and of each verify (ms, all rounds together), log-ins per second, and the ratios chosen / old
default. Needs nothing but the package (no PostgreSQL, Redis or gunicorn). Not part of the test suite.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import Config
from contest import create_app
from contest.extensions import db
from contest.models import User
from contest.services.accounts.passwords import hasher

PASSWORD = "a judge's pass phrase 2026"
SETS = {
    "old default": {"ARGON2_MEMORY_KIB": 65536, "ARGON2_TIME_COST": 3, "ARGON2_PARALLELISM": 4},
    "chosen": {"ARGON2_MEMORY_KIB": Config.ARGON2_MEMORY_KIB, "ARGON2_TIME_COST": Config.ARGON2_TIME_COST,
               "ARGON2_PARALLELISM": Config.ARGON2_PARALLELISM},
}


def make_app(folder: Path, params: dict):
    app = create_app("testing", DATABASE_URL=f"sqlite:///{folder / 'bench.db'}", RATELIMIT_ENABLED=False,
                     UPLOAD_ROOT=str(folder / "uploads"), **params)
    with app.app_context():
        db.create_all()
        stored = hasher().hash(PASSWORD)
        db.session.add_all(User(username=f"judge{n}", display_name=f"评委{n}",
                                password_hash=stored) for n in range(8))
        db.session.commit()
    return app


def burst(count: int, threads: int, work) -> tuple[list[float], float]:
    """``work(i)`` ``count`` times from ``threads`` threads: each call's seconds, and the wall seconds."""
    def timed(i):
        start = time.perf_counter()
        work(i)
        return time.perf_counter() - start

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        times = list(pool.map(timed, range(count)))
    return times, time.perf_counter() - start


def run_set(params: dict, logins: int, threads: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-login-") as tmp:
        app = make_app(Path(tmp), params)
        local = threading.local()

        def log_in(i):
            if not hasattr(local, "client"):
                local.client = app.test_client()
            response = local.client.post("/auth/login", data={"username": f"judge{i % 8}", "password": PASSWORD})
            assert response.status_code == 302, response.status_code

        with app.app_context():
            stored = db.session.scalar(db.select(User.password_hash).limit(1))
            the_hasher = hasher()
        login_times, wall = burst(logins, threads, log_in)
        verify_times, _ = burst(logins, threads, lambda i: the_hasher.verify(stored, PASSWORD))
    return {"login": login_times, "verify": verify_times, "rate": logins / wall}


def quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"{args.logins} log-ins from {args.threads} threads, {args.rounds} round(s); {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    results = {name: {"login": [], "verify": [], "rate": []} for name in SETS}
    for _round in range(args.rounds):
        for name, params in SETS.items():
            run = run_set(params, args.logins, args.threads)
            for key in ("login", "verify"):
                results[name][key] += run[key]
            results[name]["rate"].append(run["rate"])
    rows = {}
    print(f"{'parameters':<40} {'log-in p50':>10} {'p95':>8} {'verify p50':>11} {'p95':>8} {'log-ins/s':>10}")
    for name, params in SETS.items():
        r = results[name]
        rows[name] = (quantile(r["login"], .5), quantile(r["login"], .95), quantile(r["verify"], .5),
                      quantile(r["verify"], .95), statistics.median(r["rate"]))
        label = (f"{name} (m={params['ARGON2_MEMORY_KIB'] // 1024} MiB, t={params['ARGON2_TIME_COST']}, "
                 f"p={params['ARGON2_PARALLELISM']})")
        p50, p95, v50, v95, rate = rows[name]
        print(f"{label:<40} {p50 * 1000:>8.0f}ms {p95 * 1000:>6.0f}ms {v50 * 1000:>9.0f}ms {v95 * 1000:>6.0f}ms "
              f"{rate:>10.1f}")
    old, new = rows["old default"], rows["chosen"]
    print(f"chosen / old default: log-in p50 {new[0] / old[0]:.2f}×, p95 {new[1] / old[1]:.2f}×; verify p50 "
          f"{new[2] / old[2]:.2f}×, p95 {new[3] / old[3]:.2f}×; log-ins per second {new[4] / old[4]:.2f}×")


if __name__ == "__main__":
    main()
