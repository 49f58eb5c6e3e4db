"""Review totals of one judging round as exact integers of thousandths of a point, grouped per entry in one
pass; the rounding every result of :mod:`.aggregation` and :mod:`.agreement` goes through.

Totals are points out of 100 (0..100; see :func:`contest.services.judging.reviews.update_review_total`). Every
point value given out is a :class:`~decimal.Decimal` rounded half-up to exactly 3 decimals (Numeric(7, 3)).
"""
from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from operator import itemgetter

#: Highest total, in thousandths of a point (100 points).
MAX_THOUSANDTHS = 100_000

#: The total (thousandths) of a row of :func:`group_by_entry`.
total_of = itemgetter(0)

#: One round's review as given: (entry_id, judge_id, review_id, total in points out of 100).
ReviewRow = tuple[int, int, int, "Decimal | float"]
#: A round grouped by :func:`group_by_entry`: entry id → [(thousandths, review_id, judge_id), …].
Grouped = dict[int, list[tuple[int, int, int]]]


def to_thousandths(total: Decimal | float) -> int:
    """``total`` (points out of 100) as an int of thousandths of a point, rounded half-up; a float is read
    from its shortest repr (``85.1255`` → 85126). Raises ValueError for anything but an int, float or
    Decimal, for NaN and for a value outside 0..100."""
    if isinstance(total, bool) or not isinstance(total, (Decimal, float, int)):
        raise ValueError(f"评审总分无效 / invalid review total: {total!r}")
    try:
        value = Decimal(repr(total)) if isinstance(total, float) else Decimal(total)
        milli = int((value * 1000).to_integral_value(ROUND_HALF_UP))
    except (TypeError, ValueError, InvalidOperation, OverflowError):
        raise ValueError(f"评审总分无效 / invalid review total: {total!r}") from None
    if not 0 <= milli <= MAX_THOUSANDTHS:
        raise ValueError(f"评审总分应在 0..100 之间 / review total outside 0..100: {total!r}")
    return milli


def points(milli: int) -> Decimal:
    """An int of thousandths of a point as points with exactly 3 decimals (85125 → Decimal('85.125'))."""
    return Decimal(milli).scaleb(-3)


def ratio_points(numerator: int, denominator: int) -> Decimal:
    """``numerator / denominator`` thousandths (both ≥ 0, denominator > 0) as points, rounded half-up to
    3 decimals exactly (no float on the way)."""
    return points((2 * numerator + denominator) // (2 * denominator))


def float_points(value: float) -> Decimal:
    """A float rounded half-up (away from zero) to 3 decimals from its binary value: ``floor(|v| × 1000 +
    0.5)`` thousandths with v's sign (5.0625 → 5.063, −12.5625 → −12.563)."""
    milli = math.floor(abs(value) * 1000 + 0.5)
    return points(milli if value >= 0 else -milli)


def group_by_entry(reviews: Iterable[ReviewRow]) -> Grouped:
    """One pass over the round's reviews: entry id → list of ``(thousandths, review_id, judge_id)`` in input
    order. Raises ValueError for an invalid total (see :func:`to_thousandths`)."""
    entries: Grouped = {}
    for entry_id, judge_id, review_id, total in reviews:
        try:
            scaled = total * 1000
            milli = int(scaled)
            if milli != scaled or not 0 <= milli <= MAX_THOUSANDTHS:
                raise ValueError
        except (TypeError, ValueError, OverflowError):  # more than 3 decimals, or invalid: the slow path
            milli = to_thousandths(total)
        row = (milli, review_id, judge_id)
        group = entries.get(entry_id)
        if group is None:
            entries[entry_id] = [row]
        else:
            group.append(row)
    return entries


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector while a round is grouped and aggregated, then restore it.

    Grouping 500,000 reviews makes ~600,000 small tuples and lists (none in a reference cycle); with the
    collector on, every 700 new ones trigger a scan and the older ones are scanned again and again, which
    doubled the time of grouping in bench/bench_aggregation.py. Reference counting still frees everything
    at once; only the search for cycles waits. If the collector was already off it stays off. The round-level
    functions pause it themselves; a caller should also wrap the query that fetches the rows (500,000 row
    tuples cost as much again): ``with gc_paused(): result = aggregate_round(session.execute(query))``."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
