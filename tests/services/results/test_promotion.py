"""Promotion into the next round: the rules over the round's ranking, the checks, who decided, and reverting."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from contest.models import Assignment, EntryState, RoundEntry, utcnow
from tests.people import Role
from contest.services.judging import rounds
from contest.services.judging.reviews import save_review
from contest.services.results import promotion
from contest.services.results.ranking import rank_entries

D = Decimal


@pytest.fixture(autouse=True)
def english(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture
def setup(db, make_contest, make_user, make_entry):
    """A two-round contest with five entries scored 90, 80, 80, 70 (category 2) and 60 by one judge in round 1
    (closed)."""
    contest = make_contest()
    judge, organizer = make_user(Role.JUDGE), make_user(Role.ORGANIZER)
    creator = make_user(Role.CREATOR)
    first = contest.rounds[0]
    second = rounds.add_round(contest=contest, name="复评")
    entries = []
    for i, points in enumerate(("9", "8", "8", "7", "6")):
        entry = make_entry(contest=contest, creator=creator, state=EntryState.SUBMITTED,
                           category=contest.categories[1 if i == 3 else 0])
        assignment = Assignment(judge=judge, entry=entry, round=first)
        db.session.add(assignment)
        save_review(assignment=assignment, scores={c.id: D(points) for c in contest.criteria}, comment="",
                    submit=True)
        entries.append(entry)
    rounds.close_round(round_=first)
    db.session.commit()
    return contest, first, second, entries, organizer


def ids(entries, *positions):
    return sorted(entries[i].id for i in positions)


@pytest.mark.parametrize("settings, chosen", [
    (dict(promotion_rule="top_n", promotion_n=2), (0, 1, 2)),  # ranks 1, 2, 2: the tie at the cut goes on
    (dict(promotion_rule="top_n", promotion_n=1), (0,)),
    (dict(promotion_rule="top_n_per_category", promotion_n=1), (0, 3)),
    (dict(promotion_rule="threshold", promotion_threshold="75"), (0, 1, 2)),
    (dict(promotion_rule="manual"), ()),
])
def test_rules_propose_the_right_entries(db, setup, settings, chosen):
    contest, first, _second, entries, _organizer = setup
    rounds.update_round(round_=first, **settings)
    assert sorted(row.entry.id for row in promotion.propose(round_=first).rows) == ids(entries, *chosen)


def test_promote_records_who_and_the_next_round_holds_exactly_those(db, setup):
    contest, first, second, entries, organizer = setup
    rounds.update_round(round_=first, promotion_rule="top_n", promotion_n=2)
    assert promotion.promote(round_=first, decided_by=organizer) == ids(entries, 0, 1, 2)
    db.session.commit()
    rows = db.session.scalars(select(RoundEntry).where(RoundEntry.round_id == second.id)).all()
    assert {r.promoted_by_id for r in rows} == {organizer.id} and all(r.promoted_at for r in rows)
    assert sorted(db.session.scalars(rounds.round_entry_ids(second))) == ids(entries, 0, 1, 2)
    # a manual re-pick replaces the earlier promotion
    assert promotion.promote(round_=first, decided_by=organizer, entry_ids=[entries[4].id]) == ids(entries, 4)
    db.session.commit()
    assert promotion.promoted_ids(first) == {entries[4].id}
    # round 2's ranking only holds its own entries and its own reviews (none yet)
    assert [row.entry.id for row in rank_entries(contest=contest, round_=second)] == [entries[4].id]
    assert rank_entries(contest=contest, round_=second)[0].total is None


def test_promotion_is_refused_while_the_round_is_open_and_for_strangers(db, make_contest, setup):
    contest, first, second, entries, organizer = setup
    other = make_contest()
    with pytest.raises(promotion.PromotionError, match="last round"):
        promotion.promote(round_=second, decided_by=organizer)
    rounds.update_round(round_=second, promotion_rule="manual")
    with pytest.raises(promotion.PromotionError, match="No entry"):
        promotion.promote(round_=first, decided_by=organizer, entry_ids=[])
    with pytest.raises(promotion.PromotionError, match="not in"):
        promotion.promote(round_=first, decided_by=organizer, entry_ids=[entries[0].id, 10_000])
    fresh = other.rounds[0]
    rounds.add_round(contest=other, name="终评")
    with pytest.raises(promotion.PromotionError, match="Close"):
        promotion.promote(round_=fresh, decided_by=organizer, entry_ids=[entries[0].id])


def test_promotion_reverts_until_the_next_round_starts(db, setup, make_user):
    contest, first, second, entries, organizer = setup
    promotion.promote(round_=first, decided_by=organizer, entry_ids=ids(entries, 0, 1))
    assert promotion.revert(round_=first) == 2
    promotion.promote(round_=first, decided_by=organizer, entry_ids=ids(entries, 0, 1))
    db.session.add(Assignment(judge=make_user(Role.JUDGE), entry=entries[0], round=second))
    db.session.commit()
    with pytest.raises(promotion.PromotionError, match="has started"):
        promotion.revert(round_=first)
    with pytest.raises(promotion.PromotionError, match="has started"):
        promotion.promote(round_=first, decided_by=organizer, entry_ids=ids(entries, 2))
    db.session.rollback()
    rounds.update_round(round_=second, opens_at=utcnow() - timedelta(minutes=1))
    assert promotion.promoted_ids(first) == set(ids(entries, 0, 1))
