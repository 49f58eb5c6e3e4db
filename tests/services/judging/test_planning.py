import itertools
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contest.services.judging.planning import (
    PlanEntry, PlanJudge, PlanningError, plan_assignments, reassign_after_recusal,
)


def entries(n, category_id=None):
    return [PlanEntry(e, category_id=category_id, number=f"XH-{e:04d}") for e in range(1, n + 1)]


def judges(n, **kwargs):
    return [PlanJudge(100 + j, **kwargs) for j in range(n)]


def per_entry_counts(pairs, existing=()):
    return Counter(entry_id for _judge, entry_id in list(pairs) + list(existing))


def test_every_entry_gets_its_judges_and_loads_are_even():
    plan = plan_assignments(entries(6), judges(3), 2, conflicts=[])
    assert per_entry_counts(plan.pairs) == {e: 2 for e in range(1, 7)}
    assert plan.loads == {100: 4, 101: 4, 102: 4}
    assert len(set(plan.pairs)) == 12


def test_existing_assignments_count_for_the_entry_and_the_judge():
    existing = [(100, 1), (100, 2), (101, 1)]
    plan = plan_assignments(entries(3), judges(3), 2, conflicts=[], existing=existing)
    assert per_entry_counts(plan.pairs, existing) == {1: 2, 2: 2, 3: 2}
    assert not set(plan.pairs) & set(existing)
    assert plan.loads == {100: 2, 101: 2, 102: 2}


def test_a_conflicted_judge_never_gets_the_entry():
    conflicts = {(100, 1): (), (101, 2): ()}
    plan = plan_assignments(entries(4), judges(3), 2, conflicts=conflicts)
    assert not set(plan.pairs) & set(conflicts)
    assert (101, 1) in plan.pairs and (102, 1) in plan.pairs
    assert (100, 2) in plan.pairs and (102, 2) in plan.pairs


def test_too_few_eligible_judges_names_the_entries_and_their_count():
    conflicts = [(100, 2), (101, 2), (100, 5)]
    with pytest.raises(PlanningError) as raised:
        plan_assignments(entries(5), judges(4), 3, conflicts=conflicts)
    assert raised.value.entry_ids == [2]
    assert raised.value.message == (
        "1 entry cannot get 3 judges: too few eligible judges after conflicts: XH-0002 (only 2).")


def test_a_long_list_of_entries_is_cut_after_ten_with_the_total():
    with pytest.raises(PlanningError) as raised:
        plan_assignments(entries(12), judges(2), 3, conflicts=[])
    message = raised.value.message
    assert "XH-0010 (only 2)" in message and "XH-0011" not in message
    assert message.endswith("(12 in all).")
    assert raised.value.entry_ids == list(range(1, 13))


def test_counts_in_messages_are_grouped():
    with pytest.raises(PlanningError) as raised:
        plan_assignments(entries(1200), judges(2), 3, conflicts=[])
    assert raised.value.message.startswith("1,200 entries cannot get 3 judges each")
    assert raised.value.message.endswith("(1,200 in all).")


def test_caps_too_small_name_the_entries_and_the_seats():
    with pytest.raises(PlanningError) as raised:
        plan_assignments(entries(5), judges(3, cap=3), 2, conflicts=[])
    assert len(raised.value.entry_ids) == 1
    assert "need 10 seats; the caps of the judges who may take them allow 9" in raised.value.message
    assert f"XH-{raised.value.entry_ids[0]:04d}" in raised.value.message


def test_a_cap_holds_and_the_other_judges_share_the_rest_evenly():
    panel = [PlanJudge(100, cap=1), PlanJudge(101), PlanJudge(102), PlanJudge(103, cap=9)]
    plan = plan_assignments(entries(10), panel, 2, conflicts=[], cap=7)
    assert plan.loads == {100: 1, 101: 7, 102: 6, 103: 6}


def test_categories_restrict_and_balance_within_what_they_allow():
    film, vlog = entries(4, category_id=1), [PlanEntry(e, category_id=2) for e in range(5, 9)]
    panel = [PlanJudge(100, category_ids=frozenset({1})), PlanJudge(101, category_ids=frozenset({1, 2})),
             PlanJudge(102, category_ids=frozenset({2})), PlanJudge(103)]
    plan = plan_assignments(film + vlog, panel, 2, conflicts=[], restrict_by_category=True)
    assert not {(100, e) for e in range(5, 9)} & set(plan.pairs)
    assert not {(102, e) for e in range(1, 5)} & set(plan.pairs)
    assert plan.loads == {100: 4, 101: 4, 102: 4, 103: 4}


def test_a_category_without_judges_is_named():
    panel = [PlanJudge(100, category_ids=frozenset({1})), PlanJudge(101, category_ids=frozenset({1}))]
    with pytest.raises(PlanningError) as raised:
        plan_assignments(entries(2, category_id=1) + [PlanEntry(3, category_id=2, number="VL-0003")],
                         panel, 1, conflicts=[], restrict_by_category=True)
    assert raised.value.entry_ids == [3]
    assert "after conflicts and categories: VL-0003 (only 0)" in raised.value.message


def test_a_recused_seat_goes_to_the_least_loaded_eligible_judge():
    assignments = [(100, 1), (101, 1), (101, 2), (102, 2), (102, 3), (103, 3), (103, 4)]
    chosen = reassign_after_recusal(PlanEntry(1, number="XH-0001"), 100, judges(5), assignments,
                                    conflicts=[(104, 1)])
    assert chosen == 102  # 103 and 102 carry 2; 104 (1) is conflicted; 101 is on the entry


def test_a_recused_seat_with_no_taker_says_why():
    panel = [PlanJudge(100), PlanJudge(101), PlanJudge(102, cap=1),
             PlanJudge(103, category_ids=frozenset({2})), PlanJudge(104)]
    assignments = [(100, 1), (101, 1), (102, 2)]
    with pytest.raises(PlanningError) as raised:
        reassign_after_recusal(PlanEntry(1, category_id=1, number="XH-0001"), 100, panel, assignments,
                               conflicts=[(104, 1)], restrict_by_category=True)
    assert raised.value.entry_ids == [1]
    assert raised.value.message == (
        "No other judge can take entry XH-0001: of the 4 other judges, 1 are already on it, 1 have a "
        "conflict of interest, 1 judge other categories and 1 are at their cap.")


# --- properties over random instances ------------------------------------------------------------------


def instance(seed, n_entries, n_judges, max_per_entry):
    """A random instance: entries, judges, per_entry, conflicts, existing, cap, restrict."""
    rng = random.Random(seed)
    restrict = rng.random() < 0.5
    cats = [1, 2]
    plan_entries = [PlanEntry(e, category_id=rng.choice(cats), number=f"XH-{e:04d}")
                    for e in range(1, rng.randint(1, n_entries) + 1)]
    panel = [PlanJudge(100 + j, cap=rng.choice([None, None, None, rng.randint(0, n_entries)]),
                       category_ids=rng.choice([None, frozenset({1}), frozenset({2}), frozenset(cats)]))
             for j in range(rng.randint(1, n_judges))]
    pairs = [(judge.judge_id, entry.entry_id) for judge in panel for entry in plan_entries]
    conflicts = set(rng.sample(pairs, int(len(pairs) * rng.random() * 0.15)))
    free = sorted(set(pairs) - conflicts)
    existing = set(rng.sample(free, min(rng.randint(0, 3), len(free))))
    return (plan_entries, panel, rng.randint(1, max_per_entry), conflicts, existing,
            rng.choice([None, rng.randint(1, n_entries)]), restrict)


def may_take(judge, entry, conflicts, existing, restrict):
    return ((judge.judge_id, entry.entry_id) not in conflicts | existing
            and (not restrict or judge.category_ids is None or entry.category_id in judge.category_ids))


def limit(judge, cap):
    return judge.cap if judge.cap is not None else cap


def check_valid(plan, plan_entries, panel, per_entry, conflicts, existing, cap, restrict):
    """The rules: per_entry judges per entry, no conflicted or repeated pair, caps, categories, loads."""
    by_id = {judge.judge_id: judge for judge in panel}
    entry_by_id = {entry.entry_id: entry for entry in plan_entries}
    assert len(set(plan.pairs)) == len(plan.pairs)
    for judge_id, entry_id in plan.pairs:
        assert may_take(by_id[judge_id], entry_by_id[entry_id], conflicts, existing, restrict)
    counts = per_entry_counts(plan.pairs, existing)
    assert all(counts[entry.entry_id] == max(per_entry, counts[entry.entry_id]) for entry in plan_entries)
    assert all(counts[entry.entry_id] == per_entry for entry in plan_entries
               if per_entry_counts(existing)[entry.entry_id] <= per_entry)
    loads = Counter(judge_id for judge_id, _e in list(plan.pairs) + list(existing))
    assert plan.loads == {judge.judge_id: loads[judge.judge_id] for judge in panel}
    for judge in panel:
        if plan.pairs and limit(judge, cap) is not None and any(j == judge.judge_id for j, _e in plan.pairs):
            assert loads[judge.judge_id] <= limit(judge, cap)


def improving_chain(plan, plan_entries, panel, conflicts, existing, cap, restrict):
    """A (from judge, to judge) pair joined by a chain of seat moves with loads ℓ and ≤ ℓ − 2, else None:
    reachability in the graph "x holds a new seat on e that y may take"."""
    entry_by_id = {entry.entry_id: entry for entry in plan_entries}
    holders = {}
    for judge_id, entry_id in plan.pairs:
        holders.setdefault(entry_id, set()).add(judge_id)
    edges = {judge.judge_id: set() for judge in panel}
    for entry_id, held_by in holders.items():
        for taker in panel:
            if taker.judge_id not in held_by and may_take(taker, entry_by_id[entry_id], conflicts, existing,
                                                          restrict):
                for giver in held_by:
                    edges[giver].add(taker.judge_id)
    by_id = {judge.judge_id: judge for judge in panel}
    for start in edges:
        seen, stack = {start}, [start]
        while stack:
            for nxt in edges[stack.pop()] - seen:
                seen.add(nxt)
                stack.append(nxt)
                below_cap = limit(by_id[nxt], cap) is None or plan.loads[nxt] < limit(by_id[nxt], cap)
                if below_cap and plan.loads[nxt] <= plan.loads[start] - 2:
                    return start, nxt
    return None


def best_loads(plan_entries, panel, per_entry, conflicts, existing, cap, restrict):
    """By brute force: the lexicographically smallest load vector (sorted largest first) over every valid
    plan, or None when there is none."""
    have = per_entry_counts(existing)
    base = Counter(judge_id for judge_id, _e in existing)
    choices = [list(itertools.combinations(
        [j.judge_id for j in panel if may_take(j, entry, conflicts, existing, restrict)],
        max(per_entry - have[entry.entry_id], 0))) for entry in plan_entries]
    best = None
    for combo in itertools.product(*choices):
        loads = base.copy()
        for chosen in combo:
            loads.update(chosen)
        if any(limit(j, cap) is not None and loads[j.judge_id] > limit(j, cap) and
               loads[j.judge_id] > base[j.judge_id] for j in panel):
            continue
        vector = sorted((loads[j.judge_id] for j in panel), reverse=True)
        if best is None or vector < best:
            best = vector
    return best


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_small_instances_give_the_best_balance_or_name_the_entries(seed):
    args = instance(seed, n_entries=5, n_judges=4, max_per_entry=3)
    best = best_loads(*args)
    if best is None:
        with pytest.raises(PlanningError) as raised:
            plan_assignments(*args[:5], cap=args[5], restrict_by_category=args[6])
        named = {entry.entry_id: entry.number for entry in args[0]}
        assert raised.value.entry_ids and set(raised.value.entry_ids) <= set(named)
        assert named[raised.value.entry_ids[0]] in raised.value.message
        return
    plan = plan_assignments(*args[:5], cap=args[5], restrict_by_category=args[6])
    check_valid(plan, *args)
    assert sorted(plan.loads.values(), reverse=True) == best


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_larger_instances_keep_the_rules_and_leave_no_improving_chain(seed):
    args = instance(seed, n_entries=60, n_judges=12, max_per_entry=4)
    try:
        plan = plan_assignments(*args[:5], cap=args[5], restrict_by_category=args[6])
    except PlanningError as error:
        named = {entry.entry_id: entry.number for entry in args[0]}
        assert error.entry_ids and set(error.entry_ids) <= set(named)
        assert named[error.entry_ids[0]] in error.message
        return
    check_valid(plan, *args)
    assert improving_chain(plan, *args[:2], *args[3:]) is None


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 300), st.integers(1, 40), st.integers(1, 6))
def test_without_conflicts_categories_or_caps_loads_are_within_one(n_entries, n_judges, per_entry):
    per_entry = min(per_entry, n_judges)
    plan = plan_assignments(entries(n_entries), judges(n_judges), per_entry, conflicts=[])
    assert max(plan.loads.values()) - min(plan.loads.values()) <= 1
    assert sum(plan.loads.values()) == n_entries * per_entry


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_a_recused_seat_goes_to_an_eligible_judge_with_the_least_load_or_says_why(seed):
    plan_entries, panel, per_entry, conflicts, existing, cap, restrict = instance(seed, 30, 10, 3)
    try:
        plan = plan_assignments(plan_entries, panel, per_entry, conflicts, existing, cap=cap,
                                restrict_by_category=restrict)
    except PlanningError:
        return
    assignments = plan.pairs + sorted(existing)
    judge_id, entry_id = random.Random(seed).choice(assignments)
    entry = next(entry for entry in plan_entries if entry.entry_id == entry_id)
    others = [(j, e) for j, e in assignments if (j, e) != (judge_id, entry_id)]
    loads = Counter(j for j, _e in others)
    on_entry = {j for j, e in others if e == entry_id}
    takers = [judge for judge in panel if judge.judge_id != judge_id and judge.judge_id not in on_entry
              and may_take(judge, entry, conflicts, set(), restrict)
              and (limit(judge, cap) is None or loads[judge.judge_id] < limit(judge, cap))]
    try:
        chosen = reassign_after_recusal(entry, judge_id, panel, assignments, conflicts, cap=cap,
                                        restrict_by_category=restrict)
    except PlanningError as error:
        assert not takers and error.entry_ids == [entry_id] and entry.number in error.message
        return
    assert chosen in {judge.judge_id for judge in takers}
    assert loads[chosen] == min(loads[judge.judge_id] for judge in takers)
