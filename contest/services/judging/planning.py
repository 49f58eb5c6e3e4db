"""Planning a round's assignments: which judges judge which entries, before anything is written.

Pure Python over plain dataclasses and ids (no ORM): the caller passes the entries, the panel of judges, the
conflicted pairs (:func:`contest.services.judging.conflicts.derive_conflicts`) and the round's existing
assignments, and writes the returned pairs itself.

Balanced, precisely: a judge's *load* is their number of assignments in the round, existing ones included.
Only the new seats of the plan can move. A plan is balanced when no chain of moves "judge a hands entry e₁ to
b₁, b₁ hands e₂ to b₂, …, to bₖ" (each taker eligible for the entry it takes: not conflicted, not already on
it, in its category when categories restrict) goes from a judge with load ℓ to a judge bₖ below their cap
with load ≤ ℓ − 2. Such a chain is a negative cycle of the flow "entries → judges" with cost Σ load², so its
absence means that sum is least; and on these load vectors (an M-convex set) least Σ load² is the same as the
sorted loads being lexicographically smallest — the largest load as small as it can be, then the next …
(Harvey, Ladner, Lovász & Tamir, "Semi-matchings for bipartite graphs and load balancing", J. Algorithms 59,
2006, for one judge per entry; Frank & Murota, "Discrete decreasing minimization", Math. Programming, 2022,
in general). Consequence: two judges who could
each take the other's entries and are both below their cap differ by at most one — so with no categories, no
caps reached and few conflicts, all loads are within one of each other; a judge kept lower by conflicts,
categories or a full cap is lower only because no move can raise them.
"""
from __future__ import annotations

import heapq
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext

from contest.errors import DomainError
from contest.formatting import format_number

#: How many entries an error message names before "… (n in all)".
NAMED_ENTRIES = 10
UNLIMITED = 1 << 60
#: An entry whose spare eligible judges are fewer than this many times its empty seats is placed first.
TIGHT = 2


@dataclass(frozen=True)
class PlanEntry:
    """An entry to be judged: ``entry_id``, ``category_id`` (组别) and ``number`` (e.g. ``XH2026-0001``, used in
    messages; the id when missing)."""

    entry_id: int
    category_id: int | None = None
    number: str | None = None

    @property
    def label(self) -> str:
        return self.number or f"#{self.entry_id}"


@dataclass(frozen=True)
class PlanJudge:
    """A judge of the panel: ``cap``, the most assignments they take in the round (existing ones included;
    ``None``: the plan's default cap), and ``category_ids`` they judge when categories restrict (``None``:
    all; an empty set: none)."""

    judge_id: int
    cap: int | None = None
    category_ids: frozenset[int] | None = None


@dataclass(frozen=True)
class Plan:
    """``pairs``: the new ``(judge_id, entry_id)`` assignments, by entry then judge; ``loads``: each panel
    judge's load after the plan (``{judge_id: assignments}``, existing ones included)."""

    pairs: list[tuple[int, int]]
    loads: dict[int, int]


class PlanningError(DomainError):
    """No plan meets the rules. ``entry_ids``: every entry the reasons are about (the message names the first
    :data:`NAMED_ENTRIES`)."""

    def __init__(self, reasons, entry_ids: Sequence[int] = ()):
        super().__init__(reasons)
        self.entry_ids = list(entry_ids)


def plan_assignments(entries: Sequence[PlanEntry], judges: Sequence[PlanJudge], per_entry: int,
                     conflicts: Iterable[tuple[int, int]], existing: Iterable[tuple[int, int]] = (), *,
                     cap: int | None = None, restrict_by_category: bool = False) -> Plan:
    """New ``(judge_id, entry_id)`` pairs giving every entry exactly ``per_entry`` judges of ``judges``.

    ``conflicts``: conflicted ``(judge_id, entry_id)`` pairs (a :data:`~.conflicts.Conflicts` mapping works);
    ``existing``: the round's assignments ``(judge_id, entry_id)``, which count towards their entry's
    ``per_entry`` (whoever the judge) and their judge's load, and are never moved nor checked (remove a
    conflicted one first). ``cap``: the most
    assignments per judge in the round for judges without their own ``PlanJudge.cap`` (``None``: no limit).
    With ``restrict_by_category`` a judge only takes entries of their ``category_ids``.

    The plan never pairs a conflicted judge, never exceeds a cap, and is balanced in the sense of the module
    docstring. Method: entries with few spare eligible judges first, the rest with categories interleaved;
    each seat to the least-loaded eligible judge with room (a heap of loads per category; ties to the lower
    judge id); seats left empty are filled by augmenting paths (a maximum flow); then loads are evened by
    moving seats along improving chains until none is left. Cost: O(seats × log judges) for the greedy pass
    plus O(entries + judges) per repair step; repair steps are few after that start (at most a handful at
    100,000 entries in bench/bench_assignment.py) but an adversarial instance can need many. Raises
    :class:`PlanningError` naming the entries when ``per_entry`` < 1, when an entry has fewer eligible judges
    than ``per_entry``, or when caps leave entries short (with the seats they need and the seats the caps
    allow them).
    """
    if per_entry < 1:
        raise PlanningError(_("Each entry needs at least one judge."))
    state = _State(entries, judges, per_entry, conflicts, existing, cap, restrict_by_category)
    state.check_eligible()
    state.fill_greedily()
    state.fill_by_augmenting()
    state.balance()
    return state.plan()


def reassign_after_recusal(entry: PlanEntry, judge_id: int, judges: Sequence[PlanJudge],
                           assignments: Iterable[tuple[int, int]], conflicts: Iterable[tuple[int, int]], *,
                           cap: int | None = None, restrict_by_category: bool = False) -> int:
    """The judge who takes ``judge_id``'s seat on ``entry`` after that judge recused (回避); returns their id.

    ``assignments``: the round's ``(judge_id, entry_id)`` pairs, the recusing judge's seat included (it is
    treated as gone). The seat goes to the least-loaded judge of ``judges`` who is not on the entry, not
    conflicted with it, of its category when categories restrict, and below their cap (``PlanJudge.cap``, else
    ``cap``); ties to the lower judge id. Other judges' assignments are never moved (they may have started
    reviewing). Raises :class:`PlanningError` naming the entry and counting, among the other panel judges,
    those already on it, conflicted, of other categories and at their cap.
    """
    load: Counter[int] = Counter()
    on_entry: set[int] = set()
    for pair_judge, pair_entry in assignments:
        if pair_judge == judge_id and pair_entry == entry.entry_id:
            continue
        load[pair_judge] += 1
        if pair_entry == entry.entry_id:
            on_entry.add(pair_judge)
    blocked = {j for j, e in conflicts if e == entry.entry_id} | {judge_id}
    counts = Counter()
    candidates = []
    for judge in judges:
        if judge.judge_id == judge_id:
            continue
        limit = judge.cap if judge.cap is not None else cap
        if judge.judge_id in on_entry:
            counts["on"] += 1
        elif judge.judge_id in blocked:
            counts["conflicted"] += 1
        elif restrict_by_category and not _judges_category(judge, entry.category_id):
            counts["category"] += 1
        elif limit is not None and load[judge.judge_id] >= limit:
            counts["full"] += 1
        else:
            candidates.append((load[judge.judge_id], judge.judge_id))
    if not candidates:
        others = sum(1 for judge in judges if judge.judge_id != judge_id)
        raise PlanningError(_(
            "No other judge can take entry %(entry)s: of the %(others)s other judges, %(on)s are already "
            "on it, %(conflicted)s have a conflict of interest, %(category)s judge other categories and "
            "%(full)s are at their cap.", entry=entry.label, others=others, on=counts["on"],
            conflicted=counts["conflicted"], category=counts["category"], full=counts["full"]),
            [entry.entry_id])
    return min(candidates)[1]


def _judges_category(judge: PlanJudge, category_id: int | None) -> bool:
    return judge.category_ids is None or category_id in judge.category_ids


def _named(labels: Sequence[str], total: int) -> str:
    shown = "、".join(labels[:NAMED_ENTRIES])
    return shown if total <= NAMED_ENTRIES else _("%(shown)s … (%(total)s in all)", shown=shown,
                                                  total=format_number(total))


class _State:
    """The plan being built, over judge indexes ``j`` (panel order by id) and entry indexes ``e``."""

    def __init__(self, entries, judges, per_entry, conflicts, existing, cap, restrict):
        self.entries = list(entries)
        self.judges = sorted(judges, key=lambda judge: judge.judge_id)
        self.per_entry = per_entry
        self.restrict = restrict
        judge_index = {judge.judge_id: j for j, judge in enumerate(self.judges)}
        entry_index = {entry.entry_id: e for e, entry in enumerate(self.entries)}
        # Groups: the sets of judges an entry may draw from (one group when categories do not restrict).
        keys = sorted({entry.category_id for entry in self.entries} if restrict else {None},
                      key=lambda k: (k is None, k or 0))
        group_of_key = {key: g for g, key in enumerate(keys)}
        self.group = [group_of_key[entry.category_id] if restrict else 0 for entry in self.entries]
        self.members = [[j for j, judge in enumerate(self.judges)
                         if not restrict or _judges_category(judge, key)] for key in keys]
        self.judge_groups: list[list[int]] = [[] for _ in self.judges]
        for g, members in enumerate(self.members):
            for j in members:
                self.judge_groups[j].append(g)
        self.group_entries: list[list[int]] = [[] for _ in keys]
        for e, g in enumerate(self.group):
            self.group_entries[g].append(e)
        # blocked[e]: judges that cannot take a new seat on e (conflicted, or already on it).
        self.blocked: dict[int, set[int]] = {}
        for judge_id, entry_id in conflicts:
            j, e = judge_index.get(judge_id), entry_index.get(entry_id)
            if j is not None and e is not None:
                self.blocked.setdefault(e, set()).add(j)
        self.load = [0] * len(self.judges)
        have = [0] * len(self.entries)
        for judge_id, entry_id in existing:
            j, e = judge_index.get(judge_id), entry_index.get(entry_id)
            if j is not None:
                self.load[j] += 1
            if e is not None:
                have[e] += 1
                if j is not None:
                    self.blocked.setdefault(e, set()).add(j)
        self.need = [max(per_entry - n, 0) for n in have]
        self.room = [max((judge.cap if judge.cap is not None else cap if cap is not None else UNLIMITED)
                         - self.load[j], 0) for j, judge in enumerate(self.judges)]
        self.spare: list[int] = []   # per entry: eligible judges − empty seats (check_eligible)
        self.new_on: list[list[int]] = [[] for _ in self.entries]
        self.held: list[set[int]] = [set() for _ in self.judges]

    # --- rules ---------------------------------------------------------------------------------------

    def eligible(self, e: int) -> int:
        """Judges who may take a new seat on entry ``e`` (caps aside)."""
        blk = self.blocked.get(e)
        members = self.members[self.group[e]]
        if not blk:
            return len(members)
        if not self.restrict:  # every panel judge is a member
            return len(members) - len(blk)
        return len(members) - sum(1 for j in blk if self.group[e] in self.judge_groups[j])

    def check_eligible(self) -> None:
        """Count each entry's eligible judges (kept for :meth:`greedy_order`); refuse entries with too
        few."""
        self.spare = [self.eligible(e) - self.need[e] if self.need[e] else 0
                      for e in range(len(self.entries))]
        short = [e for e, spare in enumerate(self.spare) if spare < 0]
        if not short:
            return
        what = _("conflicts and categories") if self.restrict else _("conflicts")
        labels = [_("%(entry)s (only %(n)s)", entry=self.entries[e].label,
                    n=self.spare[e] + self.per_entry) for e in short]
        raise PlanningError(ngettext(
            "%(count)s entry cannot get %(per_entry)s judges: too few eligible judges after %(what)s: "
            "%(entries)s.",
            "%(count)s entries cannot get %(per_entry)s judges each: too few eligible judges after %(what)s: "
            "%(entries)s.", len(short), count=format_number(len(short)), per_entry=self.per_entry, what=what,
            entries=_named(labels, len(short))), [self.entries[e].entry_id for e in short])

    # --- filling ---------------------------------------------------------------------------------------

    def take(self, j: int, e: int) -> None:
        self.new_on[e].append(j)
        self.held[j].add(e)
        self.load[j] += 1
        self.room[j] -= 1

    def fill_greedily(self) -> None:
        """Most-constrained entries first; each seat to the least-loaded eligible judge with room."""
        heaps = [[(self.load[j], j) for j in members if self.room[j] > 0] for members in self.members]
        for heap in heaps:
            heapq.heapify(heap)
        load, room, empty = self.load, self.room, set()
        for e in self.greedy_order():
            heap, blk, need = heaps[self.group[e]], self.blocked.get(e, empty), self.need[e]
            taken, aside = [], []
            while len(taken) < need and heap:
                item = heapq.heappop(heap)
                j = item[1]
                if item[0] != load[j] or room[j] <= 0:
                    continue
                (aside if j in blk else taken).append(item)
            for item in aside:
                heapq.heappush(heap, item)
            for _load, j in taken:
                self.take(j, e)
                if room[j] > 0:
                    for g in self.judge_groups[j]:
                        heapq.heappush(heaps[g], (load[j], j))

    def greedy_order(self) -> list[int]:
        """Entries with few spare judges (fewer than ``TIGHT`` × the seats they need) first, fewest first;
        then the others with the groups interleaved in proportion to their sizes, so that a judge of several
        categories fills up with all of them at once rather than with the first group handled."""
        tight, loose = [], []
        for e in range(len(self.entries)):
            if self.need[e]:
                spare = self.spare[e]
                (tight if spare < TIGHT * self.need[e] else loose).append((spare, e))
        tight.sort()
        seen, sizes = Counter(), Counter(self.group[e] for _spare, e in loose)
        keyed = []
        for _spare, e in loose:
            g = self.group[e]
            keyed.append(((seen[g] + 0.5) / sizes[g], e))
            seen[g] += 1
        keyed.sort()
        return [e for _spare, e in tight] + [e for _key, e in keyed]

    def short_entries(self) -> list[int]:
        return [e for e in range(len(self.entries)) if len(self.new_on[e]) < self.need[e]]

    def fill_by_augmenting(self) -> None:
        """Fill empty seats along augmenting paths (entry → judge who may take it → an entry that judge holds
        → …, ending at a judge with room); when none is left, the entries still short are named with the
        seats they need and the seats their judges' caps allow them (a minimum cut)."""
        while short := self.short_entries():
            reached = self.augment(short)
            if reached is None:
                continue
            entries, _judges = reached
            need = sum(self.need[e] for e in entries)
            allowed = sum(len(self.new_on[e]) for e in entries)
            short_ids = [self.entries[e].entry_id for e in short]
            raise PlanningError(ngettext(
                "Judges' caps are too small for %(count)s entry: %(entries)s. It and the entries sharing its "
                "judges need %(need)s seats; the caps of the judges who may take them allow "
                "%(allowed)s.",
                "Judges' caps are too small for %(count)s entries: %(entries)s. These and the entries sharing "
                "their judges need %(need)s seats; the caps of the judges who may take them allow "
                "%(allowed)s.",
                len(short), count=format_number(len(short)), entries=_named([self.entries[e].label for e in short], len(short)),
                need=format_number(need), allowed=format_number(allowed)), short_ids)

    def augment(self, sources: list[int]):
        """One augmenting path from any of ``sources``; ``None`` when one was applied, else the entries and
        judges reached (the cut)."""
        visited_e, visited_j = set(sources), set()
        pools = [list(members) for members in self.members]
        came_for: dict[int, int] = {}   # judge → the entry it would take
        given_by: dict[int, int] = {}   # entry → the judge that would give it up
        queue, empty = deque(sources), set()
        while queue:
            e = queue.popleft()
            g, blk, on = self.group[e], self.blocked.get(e, empty), self.new_on[e]
            rest = []
            for j in pools[g]:
                if j in visited_j:
                    continue
                if j in blk or j in on:
                    rest.append(j)
                    continue
                visited_j.add(j)
                came_for[j] = e
                if self.room[j] > 0:
                    self.apply_augment(j, came_for, given_by)
                    return None
                for e2 in self.held[j]:
                    if e2 not in visited_e:
                        visited_e.add(e2)
                        given_by[e2] = j
                        queue.append(e2)
            pools[g] = rest
        return visited_e, visited_j

    def apply_augment(self, j: int, came_for: dict[int, int], given_by: dict[int, int]) -> None:
        self.load[j] += 1
        self.room[j] -= 1
        while True:
            e = came_for[j]
            self.new_on[e].append(j)
            self.held[j].add(e)
            giver = given_by.get(e)
            if giver is None:
                return
            self.new_on[e].remove(giver)
            self.held[giver].discard(e)
            j = giver

    # --- balancing -------------------------------------------------------------------------------------

    def balance(self) -> None:
        """Move seats along improving chains (module docstring) until there is none."""
        while True:
            lows = [self.load[j] for j in range(len(self.judges)) if self.room[j] > 0]
            highs = [self.load[j] for j in range(len(self.judges)) if self.held[j]]
            if not lows or not highs or max(highs) - min(lows) < 2 or not self.improve():
                return

    def improve(self) -> int:
        """Apply improving chains found by one search; returns how many (0: there is none).

        The search runs backwards from the judges with room, lowest load first, each level only after the
        lower ones are exhausted, so every judge reached learns the lowest load a chain from it can end at;
        a judge whose load is 2 or more above that starts a chain. The chains applied share no judge, so each
        stays valid after the others (an entry lies on one chain at most: every chain through it passes the
        one judge it was reached from)."""
        targets = sorted((self.load[j], j) for j in range(len(self.judges)) if self.room[j] > 0)
        end_load: dict[int, int] = {}   # judge → the lowest load a chain from them ends at
        gives_to: dict[int, tuple[int, int]] = {}   # judge c → (entry c hands over, judge who takes it)
        pools = [list(entries) for entries in self.group_entries]
        queue, sources, empty, next_target = deque(), [], set(), 0
        while queue or next_target < len(targets):
            if not queue:
                level, b = targets[next_target]
                next_target += 1
                if b not in end_load:
                    end_load[b] = level
                    queue.append(b)
                continue
            b = queue.popleft()
            for g in self.judge_groups[b]:
                rest = []
                for e in pools[g]:
                    on = self.new_on[e]
                    if not on:
                        continue
                    if b in on or b in self.blocked.get(e, empty):
                        rest.append(e)
                        continue
                    for c in on:
                        if c not in end_load:
                            end_load[c] = end_load[b]
                            gives_to[c] = (e, b)
                            queue.append(c)
                            if self.load[c] >= end_load[c] + 2:
                                sources.append(c)
                pools[g] = rest
        used: set[int] = set()
        applied = 0
        for c in sources:
            chain = [c]
            while chain[-1] in gives_to:
                chain.append(gives_to[chain[-1]][1])
            if used.isdisjoint(chain):
                used.update(chain)
                self.apply_chain(c, gives_to)
                applied += 1
        return applied

    def apply_chain(self, c: int, gives_to: dict[int, tuple[int, int]]) -> None:
        self.load[c] -= 1
        self.room[c] += 1
        while c in gives_to:
            e, b = gives_to[c]
            on = self.new_on[e]
            on[on.index(c)] = b
            self.held[c].discard(e)
            self.held[b].add(e)
            c = b
        self.load[c] += 1
        self.room[c] -= 1

    def plan(self) -> Plan:
        pairs = [(self.judges[j].judge_id, self.entries[e].entry_id)
                 for e in range(len(self.entries)) for j in sorted(self.new_on[e])]
        return Plan(pairs=pairs, loads={judge.judge_id: self.load[j] for j, judge in enumerate(self.judges)})
