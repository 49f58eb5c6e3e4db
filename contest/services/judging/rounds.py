"""Judging rounds: adding and configuring them, which entries a round holds, and closing a round (which locks
its reviews). Promotion into the next round is in :mod:`contest.services.results.promotion` (it reads the
round's results).

Writers flush and never commit; the request commits once.
"""
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Select, select

from contest.errors import DomainError
from contest.extensions import db
from contest.models import (
    Aggregation,
    AuditAction,
    Assignment,
    Contest,
    Entry,
    EntryState,
    PromotionRule,
    Round,
    RoundEntry,
    ScoreVisibility,
    utcnow,
)
from contest.services.audit.record import record
from contest.services.judging.changes import progress_changed

#: Round settings an organizer edits (see :func:`update_round`).
SETTINGS = ("name", "opens_at", "closes_at", "blind", "aggregation", "trim_k", "score_visibility",
            "judges_per_entry", "judge_cap", "by_category", "promotion_rule", "promotion_n",
            "promotion_threshold")


class RoundError(DomainError):
    """A round request breaks a rule; the message is for people."""


class RoundClosed(RoundError):
    """The round no longer (or not yet) accepts reviews: HTTP 409."""

    status = 409


def current_round(contest: Contest, at: datetime | None = None) -> Round:
    """The round judging is in: the last round that has opened (by position), else the first round."""
    at = at or utcnow()
    opened = [r for r in contest.rounds if r.has_opened(at) and (r.position == 1 or _has_entries(r))]
    return opened[-1] if opened else contest.rounds[0]


def previous_round(round_: Round) -> Round | None:
    return next((r for r in round_.contest.rounds if r.position == round_.position - 1), None)


def next_round(round_: Round) -> Round | None:
    return next((r for r in round_.contest.rounds if r.position == round_.position + 1), None)


def round_entry_ids(round_: Round) -> Select:
    """SELECT of the ids of the entries the round judges, all in state submitted: every submitted entry of the
    contest in round 1, the entries promoted into it (:class:`RoundEntry`) in a later round."""
    stmt = select(Entry.id).where(Entry.contest_id == round_.contest_id, Entry.state == EntryState.SUBMITTED)
    if round_.position > 1:
        stmt = stmt.where(Entry.id.in_(select(RoundEntry.entry_id).where(RoundEntry.round_id == round_.id)))
    return stmt


def add_round(*, contest: Contest, name: str) -> Round:
    """Append a round after the contest's last one, with that round's settings (window and closing excepted;
    promotion is set on the round before it). Raises :class:`RoundError` for an empty or over-long name or a
    name the contest already uses."""
    last = contest.rounds[-1]
    round_ = Round(position=last.position + 1, name=_checked_name(contest, name, None),
                   blind=last.blind, aggregation=last.aggregation, trim_k=last.trim_k,
                   score_visibility=last.score_visibility, judges_per_entry=last.judges_per_entry,
                   judge_cap=last.judge_cap, by_category=last.by_category)
    contest.rounds.append(round_)
    db.session.flush()
    record(AuditAction.ROUND_ADDED, contest_id=contest.id,
           after={"round_id": round_.id, "position": round_.position, "name": round_.name})
    return round_


def update_round(*, round_: Round, **settings) -> dict[str, tuple]:
    """Change the round's settings (keys of :data:`SETTINGS`; times aware UTC; ``promotion_threshold`` points
    out of 100) and return ``{setting: (before, after)}`` of what changed (for the audit trail).

    Raises :class:`RoundError` (nothing changed) when: the name is empty, longer than 50 or used by another
    round of the contest; ``closes_at`` is not after ``opens_at``; ``trim_k``, ``judges_per_entry``,
    ``judge_cap`` or ``promotion_n`` is below 1; the threshold is outside 0..100; top-N rules have no N; the
    threshold rule has no threshold; the round is closed and the change is not its name.
    """
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise RoundError(_("Unknown round setting: %(names)s.", names=", ".join(sorted(unknown))))
    merged = {key: getattr(round_, key) for key in SETTINGS} | settings
    merged["name"] = _checked_name(round_.contest, merged["name"], round_)
    _check_settings(merged)
    changes = {key: (getattr(round_, key), value) for key, value in merged.items()
               if getattr(round_, key) != value}
    if round_.closed_at is not None and set(changes) - {"name", "promotion_rule", "promotion_n",
                                                        "promotion_threshold"}:
        raise RoundError(_("Round %(name)s is closed; its judging settings no longer change.",
                           name=round_.name))
    for key, (_before, after) in changes.items():
        setattr(round_, key, after)
    db.session.flush()
    if changes:
        progress_changed(round_.contest_id)
        record(AuditAction.ROUND_SETTINGS_CHANGED, contest_id=round_.contest_id,
               before={"round": round_.name} | {key: old for key, (old, _new) in changes.items()},
               after={"round": round_.name} | {key: new for key, (_old, new) in changes.items()})
    return changes


def close_round(*, round_: Round, at: datetime | None = None) -> None:
    """Close the round now: every review of it locks (:func:`check_accepts_reviews` refuses later saves).

    The round row is locked first (``SELECT … FOR UPDATE`` on PostgreSQL), so a review save racing the close
    either commits before it or waits and then sees the round closed (it takes the same row ``FOR SHARE``).
    Raises :class:`RoundError` when the round is already closed.
    """
    _lock(round_, share=False)
    if round_.closed_at is not None:
        raise RoundError(_("Round %(name)s is already closed.", name=round_.name))
    round_.closed_at = at or utcnow()
    db.session.flush()
    record(AuditAction.ROUND_CLOSED, contest_id=round_.contest_id,
           after={"round": round_.name, "closed_at": round_.closed_at})
    progress_changed(round_.contest_id)


def check_accepts_reviews(round_: Round, at: datetime | None = None) -> None:
    """Raise :class:`RoundClosed` unless judges may save reviews in the round now (it has opened and is not
    closed). Takes the round row ``FOR SHARE`` on PostgreSQL first (see :func:`close_round`)."""
    _lock(round_, share=True)
    at = at or utcnow()
    if not round_.has_opened(at):
        raise RoundClosed(_("Judging in %(name)s has not started yet.", name=round_.name))
    if round_.is_closed(at):
        raise RoundClosed(_("%(name)s is closed: reviews are locked and nothing was changed.",
                            name=round_.name))


def others_visible(round_: Round, *, own_submitted: bool, at: datetime | None = None) -> bool:
    """May a judge see the other judges' scores of an entry in this round? Never before submitting their own;
    after that as the round's ``score_visibility`` says."""
    if not own_submitted or round_.score_visibility == ScoreVisibility.NEVER:
        return False
    if round_.score_visibility == ScoreVisibility.AFTER_OWN:
        return True
    return round_.is_closed(at or utcnow())


# --- helpers ------------------------------------------------------------------------------------------


def _has_entries(round_: Round) -> bool:
    return db.session.scalar(select(RoundEntry.id).where(RoundEntry.round_id == round_.id).limit(1)) is not None \
        or db.session.scalar(select(Assignment.id).where(Assignment.round_id == round_.id).limit(1)) is not None


def _lock(round_: Round, *, share: bool) -> None:
    db.session.scalars(select(Round).where(Round.id == round_.id).with_for_update(read=share)
                       .execution_options(populate_existing=True)).one()


def _checked_name(contest: Contest, name: str, round_: Round | None) -> str:
    name = (name or "").strip()
    if not name:
        raise RoundError(_("Give the round a name (e.g. 初评)."))
    if len(name) > 50:
        raise RoundError(_("A round name has at most 50 characters."))
    if any(r.name == name and r is not round_ for r in contest.rounds):
        raise RoundError(_("This contest already has a round named %(name)s.", name=name))
    return name


def _check_settings(s: dict) -> None:
    if s["opens_at"] and s["closes_at"] and s["closes_at"] <= s["opens_at"]:
        raise RoundError(_("The round must close after it opens."))
    for key in ("trim_k", "judges_per_entry", "judge_cap", "promotion_n"):
        if s[key] is not None and int(s[key]) < 1:
            raise RoundError(_("%(setting)s must be at least 1.", setting=key))
    if s["trim_k"] is None:
        raise RoundError(_("%(setting)s must be at least 1.", setting="trim_k"))
    s["aggregation"], s["score_visibility"] = Aggregation(s["aggregation"]), ScoreVisibility(s["score_visibility"])
    s["promotion_rule"] = PromotionRule(s["promotion_rule"])
    threshold = s["promotion_threshold"]
    if threshold is not None:
        s["promotion_threshold"] = threshold = Decimal(threshold).quantize(Decimal("0.001"))
        if not 0 <= threshold <= 100:
            raise RoundError(_("The promotion threshold is between 0 and 100 points."))
    if s["promotion_rule"] in (PromotionRule.TOP_N, PromotionRule.TOP_N_PER_CATEGORY) and not s["promotion_n"]:
        raise RoundError(_("Say how many entries go on (N)."))
    if s["promotion_rule"] == PromotionRule.THRESHOLD and threshold is None:
        raise RoundError(_("Give the score an entry needs to go on."))
