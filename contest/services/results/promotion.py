"""Promotion (晋级): which entries of a closed round go on to the next round, by the round's rule, applied by an
organizer, recorded with who decided and when, and reversible until the next round opens.

Rules (:class:`~contest.models.PromotionRule`), over the round's ranking
(:func:`contest.services.results.ranking.rank_entries`, ranked entries only):

* ``top_n`` — entries whose overall rank is ≤ N: entries tied at the cut all go on (standard competition
  ranks 1, 2, 2, 4 with N = 2 promote three entries);
* ``top_n_per_category`` — the same within each category (``category_rank`` ≤ N);
* ``threshold`` — entries whose round score is ≥ the threshold (points out of 100);
* ``manual`` — the entries the organizer picks (any entries of the round).
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, select

from contest.errors import DomainError
from contest.extensions import db
from contest.models import Assignment, AuditAction, Entry, PromotionRule, Round, RoundEntry, User, utcnow
from contest.services.audit.record import record
from contest.services.judging.changes import progress_changed
from contest.services.judging.rounds import next_round, round_entry_ids
from contest.services.results.ranking import ResultRow, rank_entries


class PromotionError(DomainError):
    """A promotion request breaks a rule; the message is for people. HTTP 409."""

    status = 409


@dataclass(frozen=True)
class Proposal:
    """What the rule selects: ``rows`` (the round's result rows that go on, best first) of ``ranked`` ranked
    entries."""

    round: Round
    rows: list[ResultRow]
    ranked: int


def propose(*, round_: Round) -> Proposal:
    """The entries the round's promotion rule selects (empty for ``manual``), without changing anything."""
    rows = [row for row in rank_entries(contest=round_.contest, round_=round_) if row.rank is not None]
    rule, n, threshold = round_.promotion_rule, round_.promotion_n, round_.promotion_threshold
    if rule == PromotionRule.TOP_N:
        chosen = [row for row in rows if row.rank <= n]
    elif rule == PromotionRule.TOP_N_PER_CATEGORY:
        chosen = [row for row in rows if row.category_rank <= n]
    elif rule == PromotionRule.THRESHOLD:
        chosen = [row for row in rows if row.total >= threshold]
    else:
        chosen = []
    return Proposal(round=round_, rows=chosen, ranked=len(rows))


def promote(*, round_: Round, decided_by: User, entry_ids: list[int] | None = None) -> list[int]:
    """Promote entries of ``round_`` into the next round and return their ids: ``entry_ids`` when given (a
    manual pick, or the organizer's adjusted proposal), else the rule's proposal. Replaces an earlier promotion
    from this round. Each promoted entry is a :class:`RoundEntry` row with ``promoted_by`` and
    ``promoted_at``.

    Raises :class:`PromotionError` (nothing changed) when there is no next round, ``round_`` is not closed,
    the next round has opened or has assignments, nothing would be promoted, or an id is not an entry of
    ``round_``.
    """
    target = _open_target(round_)
    if not round_.is_closed(utcnow()):
        raise PromotionError(_("Close %(name)s before promoting its entries: its scores may still change.",
                               name=round_.name))
    if entry_ids is None:
        entry_ids = [row.entry.id for row in propose(round_=round_).rows]
    chosen = set(entry_ids)
    if not chosen:
        raise PromotionError(_("No entry was chosen to go on."))
    in_round = set(db.session.scalars(round_entry_ids(round_).where(Entry.id.in_(chosen))))
    strangers = sorted(chosen - in_round)
    if strangers:
        raise PromotionError(_("Entries %(ids)s are not in %(name)s.", ids=", ".join(map(str, strangers)),
                               name=round_.name))
    before = sorted(promoted_ids(round_))
    db.session.execute(delete(RoundEntry).where(RoundEntry.round_id == target.id))
    now = utcnow()
    db.session.add_all(RoundEntry(round_id=target.id, entry_id=entry_id, promoted_by_id=decided_by.id,
                                  promoted_at=now) for entry_id in sorted(chosen))
    db.session.flush()
    record(AuditAction.ROUND_PROMOTED, contest_id=round_.contest_id,
           before={"from": round_.name, "to": target.name, "entry_ids": before},
           after={"from": round_.name, "to": target.name, "rule": round_.promotion_rule,
                  "entry_ids": sorted(chosen)})
    progress_changed(round_.contest_id)
    return sorted(chosen)


def revert(*, round_: Round) -> int:
    """Undo the promotion from ``round_`` (the next round holds no entries again) and return how many entries
    it had promoted. Raises :class:`PromotionError` when there is no next round or it has opened or has
    assignments."""
    target = _open_target(round_)
    before = sorted(promoted_ids(round_))
    count = db.session.execute(delete(RoundEntry).where(RoundEntry.round_id == target.id)).rowcount
    db.session.flush()
    record(AuditAction.PROMOTION_REVERTED, contest_id=round_.contest_id,
           before={"from": round_.name, "to": target.name, "entry_ids": before}, after={"entry_ids": []})
    progress_changed(round_.contest_id)
    return count


def promoted_ids(round_: Round) -> set[int]:
    """Ids of the entries promoted from ``round_`` into the next round (empty when there is none)."""
    target = next_round(round_)
    if target is None:
        return set()
    return set(db.session.scalars(select(RoundEntry.entry_id).where(RoundEntry.round_id == target.id)))


def _open_target(round_: Round) -> Round:
    """The next round, as long as promotion into it can still change."""
    target = next_round(round_)
    if target is None:
        raise PromotionError(_("%(name)s is the last round; there is no round to promote into.",
                               name=round_.name))
    started = db.session.scalar(select(Assignment.id).where(Assignment.round_id == target.id).limit(1))
    if target.opens_at is not None and target.has_opened(utcnow()) or started is not None:
        raise PromotionError(_("%(name)s has started; promotion into it can no longer change.",
                               name=target.name))
    return target

