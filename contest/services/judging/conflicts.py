"""Conflicts of interest (回避): which judge must not judge which entry, and why.

Pure Python over plain dataclasses (no ORM): the caller loads the judges' and the entries' ties and gets back
the conflicted ``(judge_id, entry_id)`` pairs, each with its reasons. Organisation names (单位, company, MCN)
are compared after :func:`normalise_org`, through an index by normalised name, so the work grows with the
number of conflicts found, never with judges × entries.
"""
from __future__ import annotations

import enum
import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from itertools import repeat
from dataclasses import dataclass

from flask_babel import gettext as _

from contest.errors import DomainError

#: Company-form suffixes taken off the end of a name, longest first, repeatedly (so "…（集团）有限公司" loses
#: both). Source: 《中华人民共和国公司法》(2023 revision) art. 7 — a limited liability company's name contains
#: 有限责任公司 or 有限公司, a company limited by shares' 股份有限公司 or 股份公司; 《企业集团登记管理暂行规定》
#: art. 8 — a group's name may carry 集团 or （集团）; 总公司 as used by 《企业名称登记管理规定》(2020) for
#: head offices. A branch (分公司) is a different unit and is kept.
CN_COMPANY_SUFFIXES = ("股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "股份公司", "总公司",
                       "集团公司", "公司", "集团")

#: Latin company forms, matched as whole words at the end of the NFKC, case-folded name: "Co., Ltd.",
#: "Company Limited", "Ltd", "Limited", "Inc", "Corp(oration)", "LLC", "Group".
LATIN_COMPANY_SUFFIX = re.compile(
    r"(?:(?<=[^a-z0-9])|^)(?:co\W*ltd|company\W*limited|limited|ltd|inc|incorporated|corp|corporation|llc|"
    r"group|co)\W*$")

#: Answers people type into a unit or MCN field meaning "none"; they never make a conflict.
NO_ORG = frozenset({"无", "没有", "暂无", "个人", "无单位", "无mcn", "自由职业", "na", "none", "null", "nil"})


@functools.lru_cache(maxsize=65536)
def normalise_org(name: str | None) -> str:
    """The comparison key of a unit / company / MCN name; ``""`` means "no organisation" and never conflicts.

    Steps: Unicode NFKC (full-width letters, digits and brackets → half-width, ㈱-style compatibility
    forms expanded); case-folding (Latin lower case); Latin company forms in :data:`LATIN_COMPANY_SUFFIX`
    dropped at the end; every whitespace, punctuation, symbol and control/format character removed
    (Unicode categories Z*, P*, S*, C*: spaces, full-width spaces, zero-width spaces, （）【】·、，.-& …)
    and NFKC again (a combining mark left alone composes with its letter); then the Chinese company forms
    of :data:`CN_COMPANY_SUFFIXES` dropped from the end until none is left (not past a 分公司). These steps
    are repeated until the key no longer changes (removing punctuation or a Chinese form can expose a Latin
    form: "C:O" → "co" → ""), so the key is a fixed point: ``normalise_org(normalise_org(x)) ==
    normalise_org(x)``.
    Placeholders in :data:`NO_ORG` ("无", "个人", "N/A" …) give ``""``.

    ``"杭州 星河传媒有限公司"``, ``"杭州星河传媒有限责任公司"``, ``"杭州星河传媒（有限公司）"`` and
    ``"杭州星河传媒（集团）股份有限公司"`` all give ``"杭州星河传媒"``.
    """
    key = _normalise_once(name)
    while key and (again := _normalise_once(key)) != key:
        key = again
    return key


def _normalise_once(name: str | None) -> str:
    """One pass of :func:`normalise_org`'s steps."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKC", name).casefold().strip()
    while (shorter := LATIN_COMPANY_SUFFIX.sub("", text)) != text:
        text = shorter
    text = unicodedata.normalize(
        "NFKC", "".join(ch for ch in text if unicodedata.category(ch)[0] not in "ZPSC"))
    if text in NO_ORG:
        return ""
    stripped = True
    while stripped and not text.endswith("分公司"):
        stripped = False
        for suffix in CN_COMPANY_SUFFIXES:
            if text.endswith(suffix):
                text = text[: -len(suffix)]
                stripped = True
                break
    return "" if text in NO_ORG else text


class ConflictSource(enum.StrEnum):
    """Why a judge must not judge an entry."""

    #: The judge's unit (单位) is a creator's unit.
    SAME_UNIT = "same_unit"
    #: The judge's MCN is a creator's MCN, or one side's unit is the other side's MCN.
    SAME_MCN = "same_mcn"
    #: The judge is the entry's creator or a co-creator.
    CREATOR = "creator"
    #: The judge declared a recusal (回避) for the entry, with a reason.
    DECLARED = "declared"
    #: An organizer entered the pair.
    ORGANIZER = "organizer"


@dataclass(frozen=True)
class ConflictReason:
    """One reason for a conflicted pair: its ``source`` and ``detail`` (the shared organisation's normalised
    name, the declared reason, the organizer's note, or ``""``)."""

    source: ConflictSource
    detail: str = ""


@dataclass(frozen=True)
class JudgeTies:
    """What may tie a judge to an entry: ``unit`` (单位) and ``mcn`` names as entered, the account id."""

    judge_id: int
    unit: str | None = None
    mcn: str | None = None
    user_id: int | None = None


@dataclass(frozen=True)
class EntryTies:
    """What may tie an entry to a judge: its creator's and co-creators' account ids, units and MCNs (as
    entered), and its category (组别) id."""

    entry_id: int
    creator_user_ids: tuple[int, ...] = ()
    creator_units: tuple[str, ...] = ()
    creator_mcns: tuple[str, ...] = ()
    category_id: int | None = None


@dataclass(frozen=True)
class DeclaredRecusal:
    """A judge's own declaration that they must not judge an entry; ``reason`` is required."""

    judge_id: int
    entry_id: int
    reason: str


class ConflictError(DomainError):
    """A conflict declaration breaks a rule (e.g. a recusal without a reason)."""


#: ``{(judge_id, entry_id): (reason, …)}`` — the conflicted pairs; iterating it gives the pairs.
Conflicts = dict[tuple[int, int], tuple[ConflictReason, ...]]


def derive_conflicts(judges: Iterable[JudgeTies], entries: Iterable[EntryTies],
                     declared_pairs: Iterable[DeclaredRecusal] = (),
                     organizer_pairs: Iterable[tuple[int, int] | tuple[int, int, str]] = ()) -> Conflicts:
    """Every conflicted ``(judge_id, entry_id)`` pair with its reasons, in the order of
    :class:`ConflictSource` (a pair can have several: same unit *and* same MCN).

    Organisation names are compared by :func:`normalise_org` (empty keys never match). A judge's unit or MCN
    matching a creator's unit gives ``SAME_UNIT`` when both are units, else ``SAME_MCN``; ``detail`` is the
    normalised name. ``CREATOR`` when the judge's ``user_id`` is among ``creator_user_ids``.
    ``organizer_pairs`` are ``(judge_id, entry_id)`` or ``(judge_id, entry_id, note)``. Pairs naming an
    unknown judge or entry are kept (the caller's ids are trusted). Raises :class:`ConflictError` when a
    declared recusal has an empty reason. Cost: one pass over judges and entries plus one step per conflict
    found.
    """
    by_org, by_user = _index_judges(judges)
    reasons = _Reasons()
    found: Conflicts = {}
    for entry in entries:
        entry_id, keys = entry.entry_id, list(_org_keys(entry))
        creators = [judge_id for user_id in entry.creator_user_ids for judge_id in by_user.get(user_id, ())]
        if len(keys) == 1 and not creators:  # the usual case: one organisation, a dict filled in C
            judge_ids, found_reasons = reasons.for_org(by_org, *keys[0])
            found.update(zip(zip(judge_ids, repeat(entry_id)), found_reasons))
            continue
        mine: dict[int, tuple[ConflictReason, ...]] = {}
        for key, entry_is_unit in keys:
            for judge_id, reason in zip(*reasons.for_org(by_org, key, entry_is_unit)):
                mine[judge_id] = _merge(mine.get(judge_id, ()), reason)
        for judge_id in creators:
            mine[judge_id] = _merge(mine.get(judge_id, ()), reasons.one(ConflictSource.CREATOR))
        found.update(((judge_id, entry_id), reason) for judge_id, reason in mine.items())
    for declared in declared_pairs:
        reason = (declared.reason or "").strip()
        if not reason:
            raise ConflictError(_("A recusal needs a reason (judge %(judge)s, entry %(entry)s).",
                                  judge=declared.judge_id, entry=declared.entry_id))
        pair = (declared.judge_id, declared.entry_id)
        found[pair] = _merge(found.get(pair, ()), reasons.one(ConflictSource.DECLARED, reason))
    for pair in organizer_pairs:
        key = (pair[0], pair[1])
        found[key] = _merge(found.get(key, ()),
                            reasons.one(ConflictSource.ORGANIZER, pair[2] if len(pair) > 2 else ""))
    return found


SOURCE_ORDER = {source: n for n, source in enumerate(ConflictSource)}


def _merge(have: tuple[ConflictReason, ...], more: tuple[ConflictReason, ...]) -> tuple[ConflictReason, ...]:
    """The reasons of both, each once, in :class:`ConflictSource` order."""
    if not have:
        return more
    return tuple(sorted(set(have) | set(more), key=lambda r: (SOURCE_ORDER[r.source], r.detail)))


class _Reasons:
    """Shared reason tuples, and per organisation key the matching judges with their reasons."""

    def __init__(self):
        self.reasons: dict[tuple[ConflictSource, str], tuple[ConflictReason]] = {}
        self.orgs: dict[tuple[str, bool], tuple[tuple[int, ...], tuple[tuple[ConflictReason], ...]]] = {}

    def one(self, source: ConflictSource, detail: str = "") -> tuple[ConflictReason]:
        reason = self.reasons.get((source, detail))
        if reason is None:
            reason = self.reasons[(source, detail)] = (ConflictReason(source, detail),)
        return reason

    def for_org(self, by_org, key: str, entry_is_unit: bool):
        """``(judge ids, their reason tuples)`` for creators of an organisation ``key`` (a unit or an MCN)."""
        hit = self.orgs.get((key, entry_is_unit))
        if hit is None:
            judges = by_org.get(key, ())
            hit = self.orgs[(key, entry_is_unit)] = (
                tuple(judge_id for judge_id, _unit in judges),
                tuple(self.one(ConflictSource.SAME_UNIT if entry_is_unit and judge_is_unit
                               else ConflictSource.SAME_MCN, key) for _judge, judge_is_unit in judges))
        return hit


def _index_judges(judges: Iterable[JudgeTies]):
    """``({org key: [(judge_id, is_unit), …]}, {user_id: [judge_id, …]})``."""
    by_org: defaultdict[str, list[tuple[int, bool]]] = defaultdict(list)
    by_user: defaultdict[int, list[int]] = defaultdict(list)
    for judge in judges:
        unit, mcn = normalise_org(judge.unit), normalise_org(judge.mcn)
        if unit:
            by_org[unit].append((judge.judge_id, True))
        if mcn and mcn != unit:
            by_org[mcn].append((judge.judge_id, False))
        if judge.user_id is not None:
            by_user[judge.user_id].append(judge.judge_id)
    return by_org, by_user


def _org_keys(entry: EntryTies) -> Iterable[tuple[str, bool]]:
    """``(org key, is_unit)`` of the entry's creators, each key once; a name that is a unit for one creator
    counts as a unit."""
    keys: dict[str, bool] = {}
    for mcn in entry.creator_mcns:
        key = normalise_org(mcn)
        if key:
            keys[key] = False
    for unit in entry.creator_units:
        key = normalise_org(unit)
        if key:
            keys[key] = True
    return keys.items()
