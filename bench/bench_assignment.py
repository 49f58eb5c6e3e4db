"""Planning a round at province scale: 100,000 entries × 5 judges among 1,000 judges, and the same at 10,000.

    .venv/bin/python bench/bench_assignment.py [--entries 100000 10000] [--judges 1000] [--per-entry 5]
                                               [--repeat 3] [--no-memory] [--seed 2026]

For each size, a seeded instance: judges in 50 units (单位) and 30 MCNs, each entry's creator in one of the same
50 units (so ~2 % of judge × entry pairs share a unit) with an MCN one time in ten, 1 % of entries made by a
judge, 200 declared recusals; per-judge caps of 0.8, 1.0 or 1.2 × the mean load, or none, in equal shares
(400, 500, 600 at 100,000 entries: enough seats in all, but the caps bind). Timed, each on its own
(time.perf_counter, no tracing; the best of ``--repeat`` runs, as the machine is shared):

* build — making the input lists (JudgeTies / EntryTies / PlanEntry / PlanJudge): the baseline;
* conflicts — :func:`derive_conflicts` over them;
* round-robin — each entry takes the next judges in a fixed cycle, skipping conflicted ones (no caps, no
  balance): the cheapest plan that reads the same data, a second baseline;
* plan — :func:`plan_assignments` with caps, then the rules checked (per entry, conflicts, caps) outside the
  timing;
* plan by category — the same with ``restrict_by_category``: each judge judges one or two of the 3 categories
  (组别), a seeded choice; checked likewise, categories too.

Then, unless ``--no-memory``, the same steps again under tracemalloc for each step's peak of Python
allocations (tracing slows them, so those times are not printed), and the process's peak RSS (``ru_maxrss``).
Prints seconds, MiB and the ratios to build and round-robin measured in the same run. The goal: plan ≤ 30 s at
100,000 entries on the 2-core machine. Needs only the package; not part of the test suite.
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contest.services.judging.conflicts import (  # noqa: E402
    DeclaredRecusal, EntryTies, JudgeTies, derive_conflicts,
)
from contest.services.judging.planning import PlanEntry, PlanJudge, plan_assignments  # noqa: E402

UNITS, MCNS = 50, 30
#: Per-judge caps as shares of the mean load (entries × per entry ÷ judges): 400, 500, 600 or none at 100,000.
CAP_SHARES = (0.8, 1.0, 1.2, None)
CATEGORY_SETS = tuple(frozenset(s) for s in ({1}, {2}, {3}, {1, 2}, {2, 3}, {1, 3}))
SUFFIXES = ("有限公司", "有限责任公司", "（有限公司）", " 股份有限公司", "")


def caps(n_entries: int, n_judges: int, per_entry: int) -> list[int | None]:
    mean = n_entries * per_entry / n_judges
    return [None if share is None else round(share * mean) for share in CAP_SHARES]


def build(n_entries: int, n_judges: int, per_entry: int, seed: int) -> dict:
    """The instance's input lists (see the module docstring)."""
    rng = random.Random(seed)
    units = [f"第{u}文化传媒" for u in range(UNITS)]
    mcns = [f"星光{m}号MCN" for m in range(MCNS)]
    judge_ties = [JudgeTies(j, unit=units[j % UNITS] + rng.choice(SUFFIXES),
                            mcn=rng.choice(mcns) if rng.random() < 0.2 else None, user_id=10_000_000 + j)
                  for j in range(1, n_judges + 1)]
    entry_ties = [EntryTies(e, creator_user_ids=(10_000_000 + rng.randint(1, n_judges),)
                            if rng.random() < 0.01 else (20_000_000 + e,),
                            creator_units=(rng.choice(units) + rng.choice(SUFFIXES),),
                            creator_mcns=(rng.choice(mcns),) if rng.random() < 0.1 else (),
                            category_id=1 + e % 3)
                  for e in range(1, n_entries + 1)]
    declared = [DeclaredRecusal(rng.randint(1, n_judges), rng.randint(1, n_entries), "亲属参赛")
                for _ in range(200)]
    plan_entries = [PlanEntry(t.entry_id, category_id=t.category_id, number=f"BENCH-{t.entry_id:06d}")
                    for t in entry_ties]
    shares = caps(n_entries, n_judges, per_entry)
    plan_judges = [PlanJudge(t.judge_id, cap=shares[t.judge_id % len(shares)]) for t in judge_ties]
    category_judges = [PlanJudge(judge.judge_id, cap=judge.cap, category_ids=rng.choice(CATEGORY_SETS))
                       for judge in plan_judges]
    return dict(judge_ties=judge_ties, entry_ties=entry_ties, declared=declared, plan_entries=plan_entries,
                plan_judges=plan_judges, category_judges=category_judges)


def round_robin(plan_entries, plan_judges, per_entry, conflicts) -> list[tuple[int, int]]:
    """Each entry takes the next ``per_entry`` judges of a fixed cycle that are not conflicted with it."""
    ids = [judge.judge_id for judge in plan_judges]
    blocked: dict[int, set[int]] = {}
    for judge_id, entry_id in conflicts:
        blocked.setdefault(entry_id, set()).add(judge_id)
    pairs, at, empty = [], 0, set()
    for entry in plan_entries:
        blk, taken = blocked.get(entry.entry_id, empty), 0
        while taken < per_entry:
            judge_id = ids[at % len(ids)]
            at += 1
            if judge_id not in blk:
                pairs.append((judge_id, entry.entry_id))
                taken += 1
    return pairs


def steps(n_entries: int, n_judges: int, per_entry: int, seed: int):
    """(name, thunk) for each measured step; later steps use earlier results."""
    box: dict = {}

    def do_build():
        box.update(build(n_entries, n_judges, per_entry, seed))

    def do_conflicts():
        box["conflicts"] = derive_conflicts(box["judge_ties"], box["entry_ties"], box["declared"])

    def do_round_robin():
        box["rr"] = round_robin(box["plan_entries"], box["plan_judges"], per_entry, box["conflicts"])

    def do_plan():
        box["plan"] = plan_assignments(box["plan_entries"], box["plan_judges"], per_entry, box["conflicts"])

    def do_plan_by_category():
        box["plan by category"] = plan_assignments(box["plan_entries"], box["category_judges"], per_entry,
                                                   box["conflicts"], restrict_by_category=True)

    return box, [("build", do_build), ("conflicts", do_conflicts), ("round-robin", do_round_robin),
                 ("plan", do_plan), ("plan by category", do_plan_by_category)]


def timed(n_entries, n_judges, per_entry, seed, repeat) -> tuple[dict, dict]:
    """The last run's results and each step's best time over ``repeat`` runs (the machine is shared: the best
    is the one least slowed by others)."""
    seconds: dict[str, float] = {}
    for _run in range(repeat):
        box, todo = steps(n_entries, n_judges, per_entry, seed)
        for name, thunk in todo:
            gc.collect()
            start = time.perf_counter()
            thunk()
            seconds[name] = min(seconds.get(name, float("inf")), time.perf_counter() - start)
    return box, seconds


def traced(n_entries, n_judges, per_entry, seed) -> dict:
    """Each step's peak of traced Python allocations above what was allocated before it, in bytes."""
    _box, todo = steps(n_entries, n_judges, per_entry, seed)
    peaks = {}
    tracemalloc.start()
    for name, thunk in todo:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        thunk()
        peaks[name] = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return peaks


def check(box, per_entry, name, panel) -> str:
    """The rules of plan ``name`` made for ``panel``, checked outside the timing; a one-line summary."""
    plan, conflicts = box[name], box["conflicts"]
    counts = Counter(entry_id for _j, entry_id in plan.pairs)
    assert len(set(plan.pairs)) == len(plan.pairs)
    assert all(counts[entry.entry_id] == per_entry for entry in box["plan_entries"])
    assert not any(pair in conflicts for pair in plan.pairs)
    cap_of = {judge.judge_id: judge.cap for judge in box[panel]}
    categories = {judge.judge_id: judge.category_ids for judge in box[panel]}
    category_of = {entry.entry_id: entry.category_id for entry in box["plan_entries"]}
    assert all(categories[j] is None or category_of[e] in categories[j] for j, e in plan.pairs)
    assert all(cap_of[j] is None or load <= cap_of[j] for j, load in plan.loads.items())
    by_cap = {cap: sorted(load for j, load in plan.loads.items() if cap_of[j] == cap)
              for cap in set(cap_of.values())}
    spread = ", ".join(f"cap {cap}: {loads[0]}–{loads[-1]}"
                       for cap, loads in sorted(by_cap.items(), key=lambda kv: kv[0] or 1 << 60))
    share = len(conflicts) / (len(box["plan_entries"]) * len(box["plan_judges"]))
    return (f"{name}: {len(plan.pairs):,} pairs, {len(conflicts):,} conflicted pairs ({share:.1%}); "
            f"loads {spread}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, nargs="+", default=[100_000, 10_000])
    parser.add_argument("--judges", type=int, default=1_000)
    parser.add_argument("--per-entry", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; each step's best time counts")
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {args.judges:,} judges, best of "
          f"{args.repeat} runs, "
          f"{args.per_entry} per entry, caps {CAP_SHARES} × the mean load")
    for n_entries in args.entries:
        box, seconds = timed(n_entries, args.judges, args.per_entry, args.seed, args.repeat)
        print(f"\n{n_entries:,} entries")
        print(f"  {check(box, args.per_entry, 'plan', 'plan_judges')}")
        print(f"  {check(box, args.per_entry, 'plan by category', 'category_judges')}")
        del box
        peaks = {} if args.no_memory else traced(n_entries, args.judges, args.per_entry, args.seed)
        for name, value in seconds.items():
            memory = f"   peak {peaks[name] / 2**20:7.1f} MiB" if peaks else ""
            print(f"  {name:<16} {value:7.2f} s   {value / seconds['build']:6.2f}× build   "
                  f"{value / seconds['round-robin']:6.2f}× round-robin{memory}")
        if peaks:
            print(f"  plan peak memory {peaks['plan'] / peaks['build']:.2f}× build's, "
                  f"{peaks['plan'] / peaks['round-robin']:.2f}× round-robin's")
        if n_entries == 100_000:
            worst = max(seconds["plan"], seconds["plan by category"])
            print(f"  goal: plan ≤ 30 s at 100,000 entries — {'met' if worst <= 30 else 'MISSED'} "
                  f"(slower of the two: {worst:.1f} s)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess peak RSS {rss:,.0f} MiB (all runs)")


if __name__ == "__main__":
    main()
