"""How far the judges of one round agree: the spread of each entry's totals (disagreement) and each judge's
deviation from the rest of the panel. Pure Python over plain values: no database, no Flask.

Input: an iterable of ``(entry_id, judge_id, review_id, total)`` for one round, ``total`` in points out of 100
(see :mod:`contest.services.results.scores`). Points are given out as Decimals rounded half-up to 3 decimals;
correlations as Decimals rounded half-up to 3 decimals. The thresholds are set per round
(:class:`DisagreementLimits`, :class:`DeviationLimits`): a spread or offset that reaches its limit is flagged,
a correlation below its limit is.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from contest.services.results.scores import (
    Grouped,
    ReviewRow,
    float_points,
    gc_paused,
    group_by_entry,
    points,
    to_thousandths,
    total_of,
)


@dataclass(frozen=True, slots=True)
class DisagreementLimits:
    """When an entry's judges disagree strongly: ``max − min ≥ range`` points, or population ``std ≥ std``
    points. Defaults 20 and 10 points out of 100 (a fifth / a tenth of the scale)."""

    range: Decimal = Decimal(20)
    std: Decimal = Decimal(10)


@dataclass(slots=True)
class Disagreement:
    """The spread of one entry's totals: ``count`` reviews, population ``std`` and ``range`` (max − min) in
    points (3 dp; both 0 for one review, None for none); ``strong`` as :class:`DisagreementLimits` says."""

    count: int
    std: Decimal | None
    range: Decimal | None
    strong: bool


def disagreement(totals: Iterable[Decimal | float], *,
                 limits: DisagreementLimits = DisagreementLimits()) -> Disagreement:
    """The spread of one entry's totals (points out of 100): population standard deviation
    ``sqrt(Σ (x − x̄)² / n)`` and range ``max − min``, both rounded half-up to 3 decimals, and ``strong`` when
    the rounded range or std reaches its limit. Population (not sample) std: the panel is all the judges the
    entry had, not a sample of them. Example: 70, 80, 90 → std 8.165, range 20.000, strong (range ≥ 20)."""
    return spread_of([to_thousandths(t) for t in totals], limits)


def spread_of(millis: list[int], limits: DisagreementLimits) -> Disagreement:
    """:func:`disagreement` of totals in thousandths of a point."""
    n = len(millis)
    if not n:
        return Disagreement(0, None, None, False)
    total = sum(millis)
    variance_n2 = n * sum(m * m for m in millis) - total * total  # n² × variance, exact
    std = float_points(math.sqrt(variance_n2) / n / 1000)
    spread = points(max(millis) - min(millis))
    return Disagreement(n, std, spread, spread >= limits.range or std >= limits.std)


@gc_paused()
def round_disagreements(reviews: Iterable[ReviewRow], *,
                        limits: DisagreementLimits = DisagreementLimits()) -> dict[int, Disagreement]:
    """Entry id → :func:`disagreement` of its totals over one round's reviews."""
    return disagreements_grouped(group_by_entry(reviews), limits)


def disagreements_grouped(groups: Grouped, limits: DisagreementLimits) -> dict[int, Disagreement]:
    """:func:`round_disagreements` of reviews already grouped by entry."""
    return {entry_id: spread_of(list(map(total_of, rows)), limits) for entry_id, rows in groups.items()}


@dataclass(frozen=True, slots=True)
class DeviationLimits:
    """When a judge stands apart from the panel: ``|offset| ≥ offset`` points, or a correlation below
    ``correlation``. Defaults 10 points and 0.3 (below 0.3 a correlation is commonly called weak)."""

    offset: Decimal = Decimal(10)
    correlation: Decimal = Decimal("0.3")


@dataclass(slots=True)
class JudgeDeviation:
    """One judge against the rest of the panel in a round (see :func:`judge_deviations`). ``reviews``: the
    judge's reviews; ``shared``: those of entries that other judges reviewed too; ``offset`` in points (3 dp,
    None when nothing is shared); ``correlation`` (3 dp, None when fewer than 3 shared or no variance);
    ``offset_flag`` / ``correlation_flag``: the limit is reached."""

    judge_id: int
    reviews: int
    shared: int
    offset: Decimal | None
    correlation: Decimal | None
    offset_flag: bool
    correlation_flag: bool

    @property
    def flagged(self) -> bool:
        return self.offset_flag or self.correlation_flag


#: Fewest shared entries a correlation is computed on.
MIN_SHARED_FOR_CORRELATION = 3


@gc_paused()
def judge_deviations(reviews: Iterable[ReviewRow], *,
                     limits: DeviationLimits = DeviationLimits()) -> dict[int, JudgeDeviation]:
    """Judge id → how the judge's totals deviate from the other judges' on the same entries, in one round.

    For every review ``x`` of judge ``j`` on an entry that ``m ≥ 1`` other judges reviewed, ``y`` = the mean
    of those others' totals. Then, over the judge's ``shared`` such reviews:

    * ``offset = mean(x − y)`` in points (positive: the judge scores higher than the others), rounded half-up
      to 3 decimals; flagged when ``|offset| ≥ limits.offset``;
    * ``correlation`` = Pearson's r of (x, y) — ``Σ(x − x̄)(y − ȳ) / sqrt(Σ(x − x̄)² Σ(y − ȳ)²)`` — rounded to
      3 decimals; None with fewer than 3 shared entries or when x or y does not vary; flagged when below
      ``limits.correlation``. A None offset or correlation is never flagged.

    Float arithmetic, two passes (centred sums, no cancellation). Source: the usual leave-one-out check of
    rater agreement (each rater against the mean of the others); the limits are the round's settings.
    """
    return deviations_grouped(group_by_entry(reviews), limits)


def deviations_grouped(groups: Grouped, limits: DeviationLimits) -> dict[int, JudgeDeviation]:
    """:func:`judge_deviations` of reviews already grouped by entry."""
    pairs: dict[int, list[tuple[float, float]]] = {}  # judge id → (x, y) in thousandths
    counts: dict[int, int] = {}
    for rows in groups.values():
        n = len(rows)
        total = sum(map(total_of, rows))
        for milli, _, judge_id in rows:
            counts[judge_id] = counts.get(judge_id, 0) + 1
            if n > 1:
                pairs.setdefault(judge_id, []).append((milli, (total - milli) / (n - 1)))
    result = {}
    for judge_id, count in counts.items():
        shared = pairs.get(judge_id, [])
        offset = correlation = None
        if shared:
            offset = float_points(sum(x - y for x, y in shared) / len(shared) / 1000)
            correlation = pearson(shared)
        result[judge_id] = JudgeDeviation(
            judge_id, count, len(shared), offset, correlation,
            offset is not None and abs(offset) >= limits.offset,
            correlation is not None and correlation < limits.correlation)
    return result


def pearson(pairs: list[tuple[float, float]]) -> Decimal | None:
    """Pearson's r of ``(x, y)`` pairs rounded half-up to 3 decimals; None for fewer than
    :data:`MIN_SHARED_FOR_CORRELATION` pairs or when x or y is constant (to 1e-9 of a thousandth)."""
    n = len(pairs)
    if n < MIN_SHARED_FOR_CORRELATION:
        return None
    x_mean = sum(x for x, _ in pairs) / n
    y_mean = sum(y for _, y in pairs) / n
    sxx = syy = sxy = 0.0
    for x, y in pairs:
        dx, dy = x - x_mean, y - y_mean
        sxx += dx * dx
        syy += dy * dy
        sxy += dx * dy
    if sxx <= 1e-18 * n or syy <= 1e-18 * n:
        return None
    r = max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))
    return float_points(r)
