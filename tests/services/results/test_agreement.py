"""How far judges agree (contest/services/results/agreement.py): values computed by hand."""
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from contest.services.results.agreement import (
    DeviationLimits,
    DisagreementLimits,
    disagreement,
    judge_deviations,
    round_disagreements,
)

D = Decimal
#: Hypothesis without its per-example deadline: tests are not timed (a loaded CI machine is slow).
untimed = settings(deadline=None)


# -- disagreement per entry ----------------------------------------------------------------------------------

def test_population_std_and_range_by_hand():
    spread = disagreement([70, 80, 90])  # std √(200/3) = 8.1650
    assert (spread.count, spread.std, spread.range, spread.strong) == (3, D("8.165"), D("20.000"), True)
    calm = disagreement([75, D("85.125")])  # std = range / 2 = 5.0625
    assert (calm.std, calm.range, calm.strong) == (D("5.063"), D("10.125"), False)


def test_the_limits_are_the_rounds():
    assert not disagreement([70, 80, 90], limits=DisagreementLimits(range=D(25))).strong
    assert disagreement([70, 80, 90], limits=DisagreementLimits(range=D(100), std=D(8))).strong
    assert disagreement([70, 80, 90], limits=DisagreementLimits(range=D(100), std=D("8.165"))).strong
    assert not disagreement([70, 80, 90], limits=DisagreementLimits(range=D(100), std=D("8.166"))).strong


def test_one_review_has_no_spread_and_none_has_no_numbers():
    one = disagreement([D("66.5")])
    assert (one.count, one.std, one.range, one.strong) == (1, D("0.000"), D("0.000"), False)
    none = disagreement([])
    assert (none.count, none.std, none.range, none.strong) == (0, None, None, False)


def test_round_disagreements_per_entry():
    spreads = round_disagreements([(1, 1, 1, 70), (1, 2, 2, 90), (2, 1, 3, 50), (2, 2, 4, 55)])
    assert {e: (s.std, s.range, s.strong) for e, s in spreads.items()} == {
        1: (D("10.000"), D("20.000"), True), 2: (D("2.500"), D("5.000"), False)}


@untimed
@given(st.lists(st.decimals(min_value=0, max_value=100, places=3), min_size=1, max_size=12))
def test_std_is_at_most_half_the_range(values):
    spread = disagreement(values)
    assert D(0) <= spread.std <= spread.range / 2 + D("0.001")
    assert spread.range == max(values) - min(values)


# -- judge deviation from the panel --------------------------------------------------------------------------

# Three judges on three entries; judge 1 always 15 above the mean of the other two, judge 3 always 15 below.
PANEL = [
    (1, 1, 1, 80), (1, 2, 2, 70), (1, 3, 3, 60),
    (2, 1, 4, 90), (2, 2, 5, 80), (2, 3, 6, 70),
    (3, 1, 7, 70), (3, 2, 8, 60), (3, 3, 9, 50),
]


def test_offset_and_correlation_by_hand():
    deviations = judge_deviations(PANEL)
    assert {j: (d.reviews, d.shared, d.offset, d.correlation, d.offset_flag, d.correlation_flag)
            for j, d in deviations.items()} == {
        1: (3, 3, D("15.000"), D("1.000"), True, False),
        2: (3, 3, D("0.000"), D("1.000"), False, False),
        3: (3, 3, D("-15.000"), D("1.000"), True, False),
    }
    assert deviations[1].flagged and not deviations[2].flagged


def test_a_judge_against_the_panel_is_flagged_by_correlation():
    opposite = [(1, 1, 1, 80), (1, 2, 2, 60), (2, 1, 3, 70), (2, 2, 4, 70), (3, 1, 5, 60), (3, 2, 6, 80)]
    deviations = judge_deviations(opposite)
    assert (deviations[1].offset, deviations[1].correlation) == (D("0.000"), D("-1.000"))
    assert deviations[1].correlation_flag and not deviations[1].offset_flag


def test_offset_against_the_mean_of_the_others_with_decimals():
    deviations = judge_deviations([(1, 1, 1, D("85.125")), (1, 2, 2, 80), (1, 3, 3, 70)])
    assert deviations[1].offset == D("10.125")  # 85.125 − (80 + 70) / 2
    assert deviations[3].offset == D("-12.563")  # 70 − 82.5625
    assert deviations[1].correlation is None  # fewer than 3 shared entries


def test_no_correlation_without_variance_and_nothing_shared_nothing_flagged():
    flat = [(1, 1, 1, 80), (1, 2, 2, 70), (2, 1, 3, 60), (2, 2, 4, 70), (3, 1, 5, 90), (3, 2, 6, 70),
            (4, 3, 7, 0)]
    deviations = judge_deviations(flat)
    assert deviations[1].correlation is None and deviations[2].correlation is None  # judge 2 always 70
    alone = deviations[3]
    assert (alone.reviews, alone.shared, alone.offset, alone.correlation, alone.flagged) == (
        1, 0, None, None, False)


def test_deviation_limits_are_the_rounds():
    deviations = judge_deviations(PANEL, limits=DeviationLimits(offset=D(16), correlation=D("1.5")))
    assert not deviations[1].offset_flag and deviations[1].correlation_flag
