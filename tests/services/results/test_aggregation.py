"""Aggregation of a round's scores (contest/services/results/aggregation.py): values computed by hand."""
import math
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contest.services.results.aggregation import (
    LARGE_OFFSET,
    LOW_CORRELATION,
    STRONG_DISAGREEMENT,
    TRIM_FELL_BACK,
    ZERO_SPREAD,
    ZERO_SPREAD_JUDGE,
    Scored,
    aggregate_round,
    mean,
    median,
    normalise_round,
    round_means,
    round_medians,
    round_trimmed_means,
    trimmed_mean,
)

D = Decimal
#: Hypothesis without its per-example deadline: tests are not timed (a loaded CI machine is slow).
untimed = settings(deadline=None)


def scored(*totals):
    """Reviews 1, 2, 3 … by judges 11, 12, 13 … with these totals."""
    return [Scored(i, 10 + i, t) for i, t in enumerate(totals, 1)]


# -- mean ----------------------------------------------------------------------------------------------------

def test_mean_is_exact_and_rounded_half_up_to_three_decimals():
    assert mean([80, D("85.125"), 90]) == D("85.042")  # 255.125 / 3 = 85.0416…
    assert mean([D("0.001"), D("0.004")]) == D("0.003")  # 0.0025 rounds up (half-even would give 0.002)
    assert str(mean([80, 90])) == "85.000"  # always 3 decimals (Numeric(7, 3))


def test_mean_of_one_total_and_of_none():
    assert mean([D("77.5")]) == D("77.500")
    assert mean([]) is None


def test_floats_and_decimals_are_read_alike():
    assert mean([85.125, D("85.125")]) == D("85.125")
    assert mean([0.1, 0.2]) == D("0.150")  # 0.1 * 1000 is not exactly 100 in binary
    assert mean([85.1255]) == D("85.126")  # more than 3 decimals: half-up from the shortest repr
    assert mean([D("85.1254")]) == D("85.125")


@pytest.mark.parametrize("total", [None, D("100.001"), -1, float("nan"), float("inf"), "80"])
def test_an_invalid_total_is_refused(total):
    with pytest.raises(ValueError, match="review total"):
        mean([80, total])
    with pytest.raises(ValueError, match="review total"):
        round_means([(1, 1, 1, 80), (1, 2, 2, total)])


# -- median --------------------------------------------------------------------------------------------------

def test_median_odd_even_and_ties():
    assert median([70, 90, 80]) == D("80.000")
    assert median([70, 80, D("85.125"), 90]) == D("82.563")  # (80 + 85.125) / 2 = 82.5625, half-up
    assert median([80, 80, 90, 80]) == D("80.000")
    assert median([55]) == D("55.000")
    assert median([]) is None


# -- trimmed mean --------------------------------------------------------------------------------------------

def test_trimmed_mean_drops_the_highest_and_the_lowest():
    result = trimmed_mean(scored(60, 80, D("85.125"), 90, 99))
    assert result.value == D("85.042")  # (80 + 85.125 + 90) / 3
    assert not result.fell_back
    assert result.dropped_low == (Scored(1, 11, D("60.000")),)
    assert result.dropped_high == (Scored(5, 15, D("99.000")),)
    assert result.dropped_review_ids == (1, 5)


def test_trimmed_mean_drops_exactly_k_among_ties():
    result = trimmed_mean(scored(70, 90, 70, 90, 70))  # reviews 1, 3, 5 gave 70; 2, 4 gave 90
    assert result.dropped_review_ids == (1, 4)  # smallest id among the lowest, largest among the highest
    assert result.value == D("76.667")  # 70, 70, 90 remain
    same = trimmed_mean(scored(80, 80, 80, 80))
    assert (same.value, same.dropped_review_ids) == (D("80.000"), (1, 4))


def test_trimmed_mean_with_k_two():
    result = trimmed_mean(scored(10, 20, 30, 40, 95), k=2)
    assert (result.value, result.dropped_review_ids) == (D("30.000"), (1, 2, 4, 5))


def test_trimmed_mean_of_exactly_2k_plus_1_keeps_the_middle_one():
    result = trimmed_mean(scored(90, 10, 50))
    assert (result.value, result.fell_back, result.dropped_review_ids) == (D("50.000"), False, (2, 1))


@pytest.mark.parametrize("totals, k, value", [
    ((80, 90), 1, D("85.000")),
    ((70, 80, D("85.125")), 2, D("78.375")),
    ((88,), 1, D("88.000")),  # a single judge
])
def test_too_few_reviews_fall_back_to_the_mean_and_say_so(totals, k, value):
    result = trimmed_mean(scored(*totals), k=k)
    assert (result.value, result.fell_back, result.dropped_review_ids) == (value, True, ())
    assert (result.dropped_low, result.dropped_high) == ((), ())


def test_trimmed_mean_with_k_zero_is_the_mean_and_with_no_review_is_none():
    result = trimmed_mean(scored(60, 80, 99), k=0)
    assert (result.value, result.fell_back, result.dropped_review_ids) == (D("79.667"), False, ())
    empty = trimmed_mean([])
    assert (empty.value, empty.fell_back, empty.dropped_review_ids) == (None, False, ())


@pytest.mark.parametrize("k", [-1, 1.5, True])
def test_a_k_that_is_not_a_whole_number_from_zero_up_is_refused(k):
    with pytest.raises(ValueError, match="k must be"):
        trimmed_mean(scored(60, 80, 99), k=k)
    with pytest.raises(ValueError, match="k must be"):
        round_trimmed_means([], k=k)
    with pytest.raises(ValueError, match="k must be"):
        aggregate_round([], k=k)


# -- a whole round -------------------------------------------------------------------------------------------

ROUND = [  # (entry, judge, review, total)
    (1, 1, 1, 80), (1, 2, 2, 70), (1, 3, 3, 90),
    (2, 1, 4, 60), (2, 2, 5, 65), (2, 3, 6, 0),
    (3, 1, 7, D("85.125")), (3, 2, 8, 88),
    (4, 3, 9, 50),
]


def test_round_functions_give_each_entry_its_value():
    assert round_means(ROUND) == {1: D("80.000"), 2: D("41.667"), 3: D("86.563"), 4: D("50.000")}
    assert round_medians(ROUND) == {1: D("80.000"), 2: D("60.000"), 3: D("86.563"), 4: D("50.000")}
    trimmed = round_trimmed_means(ROUND, k=1)
    assert {e: (t.value, t.fell_back, t.dropped_review_ids) for e, t in trimmed.items()} == {
        1: (D("80.000"), False, (2, 3)),
        2: (D("60.000"), False, (6, 5)),
        3: (D("86.563"), True, ()),
        4: (D("50.000"), True, ()),
    }
    assert trimmed[2].dropped_low == (Scored(6, 3, D("0.000")),)


def test_a_round_without_reviews_gives_nothing():
    assert round_means([]) == {} and round_trimmed_means([]) == {} and round_medians([]) == {}
    normalised = normalise_round([])
    assert (normalised.adjusted, normalised.judges, normalised.z) == ({}, {}, {})
    result = aggregate_round([])
    assert (result.entries, result.judges, result.z) == ({}, {}, {})


# -- z-score normalisation -----------------------------------------------------------------------------------

# Judge 1 scored entries 1, 2, 3: 80, 60, 70 (mean 70, std √(200/3) = 8.165); judge 2 scored entries 1, 2:
# 50, 30 (mean 40, std 10). z: judge 1 ±1.2247 and 0, judge 2 ±1. Entry means of z: N1 = 1.1124,
# N2 = −1.1124, N3 = 0; raw means S1 = 65, S2 = 45, S3 = 70. Fit to [45, 70]: 70, 45 and 45 + 25 / 2.
SEVERE_AND_LENIENT = [(1, 1, 1, 80), (2, 1, 2, 60), (3, 1, 3, 70), (1, 2, 4, 50), (2, 2, 5, 30)]


def test_normalisation_follows_evalato_by_hand():
    result = normalise_round(SEVERE_AND_LENIENT)
    assert result.adjusted == {1: D("70.000"), 2: D("45.000"), 3: D("57.500")}
    assert result.z[1] == pytest.approx(math.sqrt(1.5)) and result.z[3] == 0
    assert result.z[4] == pytest.approx(1) and result.z[5] == pytest.approx(-1)
    first, second = result.judges[1], result.judges[2]
    assert (first.reviews, first.mean, first.std, first.zero_spread) == (3, D("70.000"), D("8.165"), False)
    assert (second.reviews, second.mean, second.std, second.zero_spread) == (
        2, D("40.000"), D("10.000"), False)


def test_a_judge_who_scores_everything_zero_gets_z_zero_and_is_flagged():
    rows = [(1, 1, 1, 80), (2, 1, 2, 60), (3, 1, 3, 70), (1, 9, 4, 0), (2, 9, 5, 0), (3, 9, 6, 0)]
    result = normalise_round(rows)
    assert (result.z[4], result.z[5], result.z[6]) == (0, 0, 0)
    assert result.judges[9].zero_spread and result.judges[9].std == D("0.000")
    assert not result.judges[1].zero_spread
    # N = 0.6124, −0.6124, 0; S = 40, 30, 35 → fit to [30, 40]
    assert result.adjusted == {1: D("40.000"), 2: D("30.000"), 3: D("35.000")}
    flagged = aggregate_round(rows).entries
    assert all(ZERO_SPREAD_JUDGE in entry.flags for entry in flagged.values())


def test_a_single_judge_keeps_the_raw_scores():
    rows = [(1, 1, 1, D("85.125")), (2, 1, 2, 60), (3, 1, 3, 70)]
    assert normalise_round(rows).adjusted == {1: D("85.125"), 2: D("60.000"), 3: D("70.000")}


def test_when_every_entry_normalises_alike_all_get_the_middle_of_the_raw_means():
    one_review_each = [(1, 1, 1, 90), (2, 2, 2, 40)]  # each judge has one review: zero spread, z = 0
    result = normalise_round(one_review_each)
    assert result.adjusted == {1: D("65.000"), 2: D("65.000")}
    assert result.judges[1].zero_spread and result.judges[2].zero_spread


# -- everything at once --------------------------------------------------------------------------------------

def test_aggregate_round_by_hand():
    result = aggregate_round(ROUND, k=1)
    first = result.entries[1]
    assert (first.count, first.mean, first.median, first.trimmed.value, first.std, first.range) == (
        3, D("80.000"), D("80.000"), D("80.000"), D("8.165"), D("20.000"))
    assert first.trimmed.dropped_review_ids == (2, 3)
    assert first.flags == {STRONG_DISAGREEMENT}  # range 20 ≥ 20
    third = result.entries[3]
    assert (third.count, third.mean, third.std, third.range) == (2, D("86.563"), D("1.438"), D("2.875"))
    assert third.flags == {TRIM_FELL_BACK}
    assert result.entries[4].flags == {TRIM_FELL_BACK}
    assert set(result.judges) == {1, 2, 3}
    third_judge = result.judges[3]  # 90, 0, 50 against the others' 75, 62.5, (none)
    assert (third_judge.spread.mean, third_judge.deviation.shared, third_judge.deviation.offset) == (
        D("46.667"), 2, D("-23.750"))
    assert third_judge.flags == {LARGE_OFFSET}  # 2 shared entries: no correlation
    first_judge = result.judges[1]  # 80, 60, 85.125 against 80, 32.5, 88
    assert (first_judge.deviation.offset, first_judge.deviation.correlation, first_judge.flags) == (
        D("8.208"), D("0.998"), frozenset())


def test_judge_flags_in_aggregate_round():
    zero = aggregate_round([(1, 1, 1, 80), (2, 1, 2, 60), (3, 1, 3, 70),
                            (1, 9, 4, 0), (2, 9, 5, 0), (3, 9, 6, 0)])
    assert zero.judges[9].flags == {ZERO_SPREAD, LARGE_OFFSET}  # offset −70, no correlation (constant)
    assert zero.judges[1].flags == {LARGE_OFFSET}
    opposite = aggregate_round([(1, 1, 1, 80), (1, 2, 2, 60), (2, 1, 3, 70), (2, 2, 4, 70), (3, 1, 5, 60),
                                (3, 2, 6, 80)])
    assert opposite.judges[1].flags == {LOW_CORRELATION}  # r = −1, offset 0
    assert opposite.judges[1].deviation.correlation == D("-1.000")


def test_aggregate_round_agrees_with_each_method():
    result = aggregate_round(SEVERE_AND_LENIENT + [(4, 3, 6, 0), (4, 1, 7, 99)], k=1)
    assert {e: a.adjusted for e, a in result.entries.items()} == normalise_round(
        SEVERE_AND_LENIENT + [(4, 3, 6, 0), (4, 1, 7, 99)]).adjusted
    assert {e: a.mean for e, a in result.entries.items()} == round_means(
        SEVERE_AND_LENIENT + [(4, 3, 6, 0), (4, 1, 7, 99)])


# -- properties ----------------------------------------------------------------------------------------------

totals = st.decimals(min_value=0, max_value=100, places=3, allow_nan=False, allow_infinity=False)
rounds = st.lists(st.tuples(st.integers(1, 6), st.integers(1, 5), totals), max_size=40).map(
    lambda rows: [(entry, judge, i, total) for i, (entry, judge, total) in enumerate(rows, 1)])


@untimed
@given(st.lists(totals, min_size=1, max_size=12), st.integers(0, 4))
def test_trimmed_mean_lies_between_min_and_max(values, k):
    result = trimmed_mean(scored(*values), k=k)
    assert min(values) <= result.value <= max(values)
    assert len(result.dropped_review_ids) == (0 if result.fell_back else 2 * k)
    assert result.fell_back == (len(values) < 2 * k + 1)


@untimed
@given(st.lists(totals, min_size=1, max_size=12))
def test_mean_is_the_exact_mean_rounded_half_up(values):
    assert mean(values) == (sum(values) / len(values)).quantize(D("0.001"), rounding=ROUND_HALF_UP)


@untimed
@given(st.lists(totals, min_size=1, max_size=12), st.randoms())
def test_median_does_not_depend_on_order(values, random):
    shuffled = list(values)
    random.shuffle(shuffled)
    assert median(shuffled) == median(values)
    assert min(values) <= median(values) <= max(values)


@untimed
@given(rounds)
def test_adjusted_scores_stay_within_the_raw_means(rows):
    adjusted = normalise_round(rows).adjusted
    means = round_means(rows)
    assert set(adjusted) == set(means)
    if means:
        low, high = min(means.values()), max(means.values())
        assert all(low - D("0.001") <= value <= high + D("0.001") for value in adjusted.values())
        assert all(D(0) <= value <= D(100) for value in adjusted.values())


@untimed
@given(rounds, st.integers(0, 3))
def test_the_round_functions_agree_with_the_per_entry_ones(rows, k):
    per_entry = {}
    for entry, judge, review, total in rows:
        per_entry.setdefault(entry, []).append(Scored(review, judge, total))
    trimmed = round_trimmed_means(rows, k=k)
    assert round_means(rows) == {e: mean(s.total for s in scores) for e, scores in per_entry.items()}
    assert round_medians(rows) == {e: median(s.total for s in scores) for e, scores in per_entry.items()}
    for entry, scores in per_entry.items():
        alone = trimmed_mean(scores, k=k)
        assert (trimmed[entry].value, trimmed[entry].fell_back, trimmed[entry].dropped_review_ids) == (
            alone.value, alone.fell_back, alone.dropped_review_ids)
