"""The scores of one judging round aggregated per entry: mean, trimmed mean (去掉最高分和最低分), median and the
judge-normalised score (z-scores). Pure Python over plain values: no database, no Flask.

Input of the round-level functions: an iterable of ``(entry_id, judge_id, review_id, total)`` for one round,
``total`` being a review's weighted total in points out of 100 (0..100, Decimal or float; see
:func:`contest.services.judging.reviews.update_review_total`), one review per judge and entry (as assignments
guarantee). The per-entry functions take the totals (or :class:`Scored` rows) of one entry.

Numbers: totals are taken exactly, in thousandths of a point (a Decimal or float with more than 3 decimals is
rounded half-up to 3, a float from its shortest ``repr``). Means, trimmed means, medians and ranges are
computed exactly on those integers; values that need a square root (standard deviations, z-scores and what is
made of them) are computed in float. Every point value returned is a :class:`~decimal.Decimal` rounded
half-up to exactly 3 decimals, fit for a ``Numeric(7, 3)`` column. A total that is missing, not a number or
outside 0..100 raises :class:`ValueError` (totals come from ``update_review_total``; such a value is a bug,
not a user's input).
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from contest.services.results.agreement import (
    DeviationLimits,
    DisagreementLimits,
    JudgeDeviation,
    deviations_grouped,
    disagreements_grouped,
)
from contest.services.results.scores import (
    Grouped,
    ReviewRow,
    float_points,
    gc_paused,
    group_by_entry,
    points,
    ratio_points,
    to_thousandths,
    total_of,
)


class Scored(NamedTuple):
    """One review of an entry: its id, its judge and its total (points out of 100)."""

    review_id: int
    judge_id: int
    total: Decimal | float


# -- one entry -----------------------------------------------------------------------------------------------

def mean(totals: Iterable[Decimal | float]) -> Decimal | None:
    """Arithmetic mean of one entry's totals: ``Σ total / n`` in points out of 100, exact, rounded half-up to
    3 decimals; None when there is no total. Example: 80, 85.125, 90 → 85.042."""
    millis = [to_thousandths(t) for t in totals]
    return ratio_points(sum(millis), len(millis)) if millis else None


def median(totals: Iterable[Decimal | float]) -> Decimal | None:
    """Median of one entry's totals in points out of 100: the middle value of the sorted totals; for an even
    count the mean of the two middle values, rounded half-up to 3 decimals. None when there is no total.
    Examples: 70, 90, 80 → 80.000; 70, 80, 85.125, 90 → 82.563."""
    return median_of(sorted(to_thousandths(t) for t in totals))


def median_of(millis: list[int]) -> Decimal | None:
    """Median of sorted thousandths (see :func:`median`)."""
    n = len(millis)
    if not n:
        return None
    half = n // 2
    return points(millis[half]) if n % 2 else points((millis[half - 1] + millis[half] + 1) // 2)


@dataclass(slots=True)
class TrimmedMean:
    """A trimmed mean. ``value``: points out of 100 (3 dp), None without reviews. ``fell_back``: there were
    fewer than ``2k + 1`` reviews, so ``value`` is the plain mean and nothing was dropped. ``dropped_low`` /
    ``dropped_high``: the reviews left out (:class:`Scored` with the total in points, lowest first), made on
    access from ``rows`` (the entry's ``(thousandths, review_id, judge_id)`` sorted)."""

    value: Decimal | None
    fell_back: bool
    k: int
    rows: list[tuple[int, int, int]] = field(repr=False, compare=False)

    @property
    def trimmed(self) -> bool:
        """Reviews were dropped (k > 0, enough reviews)."""
        return self.k > 0 and not self.fell_back and bool(self.rows)

    @property
    def dropped_low(self) -> tuple[Scored, ...]:
        return tuple(Scored(r, j, points(m)) for m, r, j in self.rows[:self.k]) if self.trimmed else ()

    @property
    def dropped_high(self) -> tuple[Scored, ...]:
        return tuple(Scored(r, j, points(m)) for m, r, j in self.rows[-self.k:]) if self.trimmed else ()

    @property
    def dropped_review_ids(self) -> tuple[int, ...]:
        """Ids of the dropped reviews, the low ones first (what the 评分汇总表 export highlights)."""
        return tuple(s.review_id for s in self.dropped_low + self.dropped_high)


def trimmed_mean(scores: Iterable[Scored], *, k: int = 1) -> TrimmedMean:
    """Trimmed mean of one entry (去掉最高分和最低分): drop the ``k`` highest and the ``k`` lowest totals, then
    the exact mean of the rest, in points out of 100, rounded half-up to 3 decimals.

    The reviews are sorted by (total, review id); the first ``k`` and the last ``k`` are dropped, so exactly
    ``2k`` reviews go even when equal totals remain (among equal lowest totals the smaller review ids go,
    among equal highest the larger). With fewer than ``2k + 1`` reviews nothing is dropped, the value is the
    plain mean and ``fell_back`` is True; no review gives value None (not a fall-back). ``k = 0`` is the
    mean. Example (k = 1): 60, 80, 85.125, 90, 99 → mean of 80, 85.125, 90 = 85.042, 60 and 99 dropped.
    The rule of Chinese contest judging (e.g. 评分规则 "去掉一个最高分和一个最低分后取平均分"); k is set per
    round. Raises ValueError for k < 0 or an invalid total.
    """
    checked_k(k)
    return trim_sorted(sorted((to_thousandths(s.total), s.review_id, s.judge_id) for s in scores), k)


def checked_k(k: int) -> int:
    """``k`` (how many highest and lowest totals a trimmed mean drops) when it is a whole number ≥ 0, else
    ValueError."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ValueError(f"去掉的最高分/最低分个数应为不小于 0 的整数 / k must be a whole number ≥ 0: {k!r}")
    return k


def trim_sorted(rows: list[tuple[int, int, int]], k: int) -> TrimmedMean:
    """:func:`trimmed_mean` of one entry's rows ``(thousandths, review_id, judge_id)``, sorted, with ``k``
    already checked (:func:`checked_k`)."""
    n = len(rows)
    if n == 0:
        return TrimmedMean(None, False, k, rows)
    if n < 2 * k + 1:
        return TrimmedMean(ratio_points(sum(map(total_of, rows)), n), True, k, rows)
    kept = rows[k:n - k]
    return TrimmedMean(ratio_points(sum(map(total_of, kept)), n - 2 * k), False, k, rows)


# -- a whole round -------------------------------------------------------------------------------------------

@gc_paused()
def round_means(reviews: Iterable[ReviewRow]) -> dict[int, Decimal]:
    """Entry id → mean of its totals (see :func:`mean`) over one round's reviews."""
    return {entry_id: ratio_points(sum(map(total_of, rows)), len(rows))
            for entry_id, rows in group_by_entry(reviews).items()}


@gc_paused()
def round_trimmed_means(reviews: Iterable[ReviewRow], *, k: int = 1) -> dict[int, TrimmedMean]:
    """Entry id → trimmed mean of its reviews (see :func:`trimmed_mean`) over one round's reviews."""
    checked_k(k)
    groups = group_by_entry(reviews)
    for rows in groups.values():
        rows.sort()
    return {entry_id: trim_sorted(rows, k) for entry_id, rows in groups.items()}


@gc_paused()
def round_medians(reviews: Iterable[ReviewRow]) -> dict[int, Decimal]:
    """Entry id → median of its totals (see :func:`median`) over one round's reviews."""
    return {entry_id: median_of(sorted(map(total_of, rows)))
            for entry_id, rows in group_by_entry(reviews).items()}


@dataclass(slots=True)
class JudgeSpread:
    """One judge's scores in a round: ``reviews`` (count), ``mean`` and population ``std`` in points (3 dp).
    ``zero_spread``: std is 0 (one review, or the same total everywhere), so every z of the judge is 0."""

    judge_id: int
    reviews: int
    mean: Decimal
    std: Decimal
    zero_spread: bool


@dataclass(slots=True)
class Normalised:
    """Z-score normalisation of a round (see :func:`normalise_round`). ``adjusted``: entry id → adjusted
    score in points (3 dp); ``judges``: judge id → :class:`JudgeSpread`; ``z``: review id → z-score (float,
    unrounded, for exports)."""

    adjusted: dict[int, Decimal] = field(default_factory=dict)
    judges: dict[int, JudgeSpread] = field(default_factory=dict)
    z: dict[int, float] = field(default_factory=dict)


@gc_paused()
def normalise_round(reviews: Iterable[ReviewRow]) -> Normalised:
    """Judge-normalised (z-score) score of every entry of one round — Evalato's "score normalization".

    1. Per judge ``j`` over their reviews in the round: mean ``μ_j`` and population standard deviation
       ``σ_j = sqrt(Σ (x − μ_j)² / n_j)``; each review's ``z = (x − μ_j) / σ_j``. A judge with ``σ_j = 0``
       (one review, or the same total everywhere, e.g. all 0) gets ``z = 0`` on every review and is flagged
       ``zero_spread``: their scores then move no entry relative to another.
    2. Per entry ``e``: ``N_e`` = mean of its reviews' z; ``S_e`` = mean of its raw totals.
    3. Rescaling back to points (Evalato's fit): ``adjusted_e = S_min + (N_e − N_min) × (S_max − S_min) /
       (N_max − N_min)`` with min/max over the round's entries, so adjusted scores keep the order of ``N``
       and span exactly the range of the raw means — within 0..100 with no clipping. When every ``N_e`` is
       equal, ``adjusted_e = (S_min + S_max) / 2`` for all. The fit is affine, so ``adjusted_e`` is also the
       mean of the entry's reviews' z each rescaled by it.

    Units: points out of 100, rounded half-up to 3 decimals (float arithmetic). Source: Evalato, "Score
    normalization explained" (help.evalato.com/en/articles/6484940). This fit was chosen over the T-score
    ``50 + 10·z`` clipped to 0..100 because that one puts every round around 50 instead of on the scale the
    judges used, and its clipping ties entries beyond ±5σ. Its weakness: one extreme raw mean stretches the
    range for everyone (it sets ``S_min``/``S_max``). Empty input gives an empty :class:`Normalised`.
    """
    return normalise_grouped(group_by_entry(reviews))


def normalise_grouped(entries: Grouped) -> Normalised:
    """:func:`normalise_round` of reviews already grouped by entry
    (:func:`~contest.services.results.scores.group_by_entry`)."""
    judges: dict[int, list[int]] = {}  # judge id → [n, Σx, Σx²] in thousandths
    for rows in entries.values():
        for milli, _, judge_id in rows:
            sums = judges.get(judge_id)
            if sums is None:
                judges[judge_id] = [1, milli, milli * milli]
            else:
                sums[0] += 1
                sums[1] += milli
                sums[2] += milli * milli
    spreads, scale = {}, {}
    for judge_id, (n, total, squares) in judges.items():
        variance_n2 = n * squares - total * total  # n² × variance, exact in integers
        std = math.sqrt(variance_n2) / n
        spreads[judge_id] = JudgeSpread(judge_id, n, ratio_points(total, n), float_points(std / 1000),
                                        variance_n2 == 0)
        scale[judge_id] = (total / n, std)
    z: dict[int, float] = {}
    normal: dict[int, float] = {}
    raw: dict[int, float] = {}
    for entry_id, rows in entries.items():
        z_sum = milli_sum = 0
        for milli, review_id, judge_id in rows:
            judge_mean, std = scale[judge_id]
            value = (milli - judge_mean) / std if std else 0.0
            z[review_id] = value
            z_sum += value
            milli_sum += milli
        normal[entry_id] = z_sum / len(rows)
        raw[entry_id] = milli_sum / len(rows) / 1000
    return Normalised(evalato_fit(normal, raw), spreads, z)


def evalato_fit(normal: dict[int, float], raw: dict[int, float]) -> dict[int, Decimal]:
    """Entry id → ``S_min + (N − N_min) × (S_max − S_min) / (N_max − N_min)`` (see :func:`normalise_round`),
    from entry id → N (mean z) and entry id → S (raw mean, points)."""
    if not normal:
        return {}
    n_min, n_max = min(normal.values()), max(normal.values())
    s_min, s_max = min(raw.values()), max(raw.values())
    if n_max == n_min:
        middle = float_points((s_min + s_max) / 2)
        return dict.fromkeys(normal, middle)
    factor = (s_max - s_min) / (n_max - n_min)
    return {entry_id: float_points(min(max(s_min + (value - n_min) * factor, s_min), s_max))
            for entry_id, value in normal.items()}


# -- everything at once --------------------------------------------------------------------------------------

#: Flags an entry can carry (see :class:`EntryAggregate`).
TRIM_FELL_BACK = "trim_fell_back"
STRONG_DISAGREEMENT = "strong_disagreement"
ZERO_SPREAD_JUDGE = "zero_spread_judge"
#: Flags a judge can carry (see :class:`JudgeAggregate`).
ZERO_SPREAD = "zero_spread"
LARGE_OFFSET = "large_offset"
LOW_CORRELATION = "low_correlation"


@dataclass(slots=True)
class EntryAggregate:
    """Everything computed for one entry of a round; points out of 100 with 3 decimals.

    ``mean`` (raw), ``median``, ``trimmed`` (:class:`TrimmedMean`: value, dropped reviews, fall-back),
    ``adjusted`` (z-score normalised, :func:`normalise_round`), ``count`` reviews, ``std`` and ``range`` of
    the totals (:func:`~contest.services.results.agreement.disagreement`), and ``flags``: a subset of
    ``trim_fell_back`` (fewer than 2k + 1 reviews), ``strong_disagreement``, ``zero_spread_judge`` (a judge of
    one of its reviews scored everything the same in the round, so that review carries z = 0)."""

    entry_id: int
    count: int
    mean: Decimal
    median: Decimal
    trimmed: TrimmedMean
    adjusted: Decimal
    std: Decimal
    range: Decimal
    flags: frozenset[str]


@dataclass(slots=True)
class JudgeAggregate:
    """Everything computed for one judge of a round: ``spread`` (:class:`JudgeSpread`: reviews, mean, std),
    ``deviation`` (:class:`~contest.services.results.agreement.JudgeDeviation`: offset from and correlation
    with the rest of the panel) and ``flags``: a subset of ``zero_spread``, ``large_offset`` and
    ``low_correlation``."""

    judge_id: int
    spread: JudgeSpread
    deviation: JudgeDeviation
    flags: frozenset[str]


@dataclass(slots=True)
class RoundAggregate:
    """A round aggregated: ``entries`` (entry id → :class:`EntryAggregate`), ``judges`` (judge id →
    :class:`JudgeAggregate`); ``z``: review id → z-score (float, unrounded)."""

    entries: dict[int, EntryAggregate]
    judges: dict[int, JudgeAggregate]
    z: dict[int, float]


@gc_paused()
def aggregate_round(reviews: Iterable[ReviewRow], *, k: int = 1,
                    disagreement_limits: DisagreementLimits = DisagreementLimits(),
                    deviation_limits: DeviationLimits = DeviationLimits()) -> RoundAggregate:
    """Every method of this module and of :mod:`.agreement` over one round's reviews, grouped once: per entry
    the mean, median, trimmed mean (``k`` highest and lowest dropped), adjusted score, spread and flags; per
    judge the spread, the deviation from the panel and flags. See each function for its formula and source.
    Empty input gives empty dicts. Raises ValueError for an invalid total or k < 0."""
    checked_k(k)
    groups = group_by_entry(reviews)
    normalised = normalise_grouped(groups)
    spreads = disagreements_grouped(groups, disagreement_limits)
    flat = {j for j, spread in normalised.judges.items() if spread.zero_spread}
    entries = {}
    for entry_id, rows in groups.items():
        rows.sort()
        millis = list(map(total_of, rows))
        trimmed = trim_sorted(rows, k)
        spread = spreads[entry_id]
        flags = {TRIM_FELL_BACK} if trimmed.fell_back else set()
        if spread.strong:
            flags.add(STRONG_DISAGREEMENT)
        if flat and any(row[2] in flat for row in rows):
            flags.add(ZERO_SPREAD_JUDGE)
        entries[entry_id] = EntryAggregate(
            entry_id, len(rows), ratio_points(sum(millis), len(millis)), median_of(millis), trimmed,
            normalised.adjusted[entry_id], spread.std, spread.range, frozenset(flags))
    deviations = deviations_grouped(groups, deviation_limits)
    judges = {}
    for judge_id, spread in normalised.judges.items():
        deviation = deviations[judge_id]
        flags = {name for name, on in ((ZERO_SPREAD, spread.zero_spread),
                                       (LARGE_OFFSET, deviation.offset_flag),
                                       (LOW_CORRELATION, deviation.correlation_flag)) if on}
        judges[judge_id] = JudgeAggregate(judge_id, spread, deviation, frozenset(flags))
    return RoundAggregate(entries, judges, normalised.z)
