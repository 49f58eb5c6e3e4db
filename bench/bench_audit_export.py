"""Memory of the audit trail's exports: the peak Python memory of writing the CSV and the XLSX of N events
against that of N/10 events (the baseline), in the same run.

    .venv/bin/python bench/bench_audit_export.py [--events 50000]

An app on a temporary SQLite file gets ``--events`` audit events of one contest (each with before/after JSON
and a reason); then each export is consumed in full — the CSV's chunks read and dropped, the XLSX file read
through — first over the first tenth of the events (an action filter keeps them), then over all of them,
under :mod:`tracemalloc`. Printed: rows, peak MiB, seconds, and the ratios all / tenth; flat memory shows as a
peak ratio near 1 while the seconds grow about tenfold. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from contest import create_app
from contest.extensions import db
from contest.models import AuditAction, AuditEvent, utcnow
from contest.services.audit.exports import audit_csv, audit_xlsx
from contest.services.audit.queries import AuditFilter


def fill(events: int) -> None:
    """``events`` rows: the first tenth ``review.submitted``, the rest ``review.score_changed``."""
    start = utcnow() - timedelta(days=30)
    rows = [{"at": start + timedelta(seconds=n), "actor_id": None, "actor_ip": "198.51.100.7", "contest_id": 1,
             "entry_id": n % 500, "subject_user_id": n % 40, "reason": "复核后调整",
             "action": AuditAction.REVIEW_SUBMITTED if n < events // 10 else AuditAction.SCORE_CHANGED,
             "before": {"创意": "7.00", "total": "80.000"}, "after": {"创意": "8.50", "total": "84.500"}}
            for n in range(events)]
    for first in range(0, events, 5000):
        db.session.execute(insert(AuditEvent), rows[first:first + 5000])
    db.session.commit()


def consume(export) -> None:
    """Call ``export()`` and read what it gives in full: a file read through and closed, or chunks dropped."""
    result = export()
    if hasattr(result, "read"):
        while result.read(1 << 16):
            pass
        result.close()
    else:
        for _chunk in result:
            pass


def measure(export) -> tuple[float, float]:
    """Peak MiB and seconds of consuming ``export()`` in full."""
    tracemalloc.start()
    started = time.perf_counter()
    consume(export)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1024**2
    tracemalloc.stop()
    return peak, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50000)
    events = parser.parse_args().events
    with tempfile.TemporaryDirectory() as folder:
        app = create_app("testing", DATABASE_URL=f"sqlite:///{Path(folder) / 'bench.db'}",
                         UPLOAD_ROOT=str(Path(folder) / "uploads"))
        with app.app_context(), app.test_request_context():
            db.create_all()
            fill(events)
            tenth = AuditFilter(contest_id=1, action=AuditAction.REVIEW_SUBMITTED)
            every = AuditFilter(contest_id=1)
            for name, export in (("csv", audit_csv), ("xlsx", audit_xlsx)):
                base_peak, base_s = measure(lambda: export(filters=tenth))
                peak, seconds = measure(lambda: export(filters=every))
                print(f"{name:4}  {events // 10:>8} rows: {base_peak:6.1f} MiB {base_s:6.2f} s   "
                      f"{events:>8} rows: {peak:6.1f} MiB {seconds:6.2f} s   "
                      f"ratio all/tenth: memory {peak / base_peak:.2f}, time {seconds / base_s:.1f}")


if __name__ == "__main__":
    main()
