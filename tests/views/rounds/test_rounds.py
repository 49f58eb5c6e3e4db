"""Organizer pages for judging rounds, and what a round's settings change on the judge's pages."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from contest.models import Assignment, EntryState, Review, ReviewState, RoundEntry, utcnow
from tests.people import Role
from contest.services.judging import rounds
from contest.services.judging.reviews import save_review

D = Decimal


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def contest(make_contest):
    return make_contest()


@pytest.fixture
def people(make_user):
    return {"organizer": make_user(Role.ORGANIZER), "judge": make_user(Role.JUDGE, display_name="评委甲"),
            "other": make_user(Role.JUDGE, display_name="评委乙"),
            "creator": make_user(Role.CREATOR, display_name="创作者小明")}


@pytest.fixture
def entry(db, make_entry, contest, people):
    entry = make_entry(contest=contest, creator=people["creator"], state=EntryState.SUBMITTED, title="西湖晨光")
    for judge in (people["judge"], people["other"]):
        db.session.add(Assignment(judge=judge, entry=entry))
    db.session.commit()
    return entry


def scores(contest, *points, action="save_draft"):
    data = {f"criterion_{c.id}": p for c, p in zip(contest.criteria, points)}
    return data | {"comment": "", action: "1"}


def submit_as(db, judge, entry, points):
    assignment = db.session.scalar(select(Assignment).where(Assignment.judge_id == judge.id,
                                                            Assignment.entry_id == entry.id))
    save_review(assignment=assignment, scores={c.id: D(points) for c in entry.contest.criteria}, comment="",
                submit=True)
    db.session.commit()


def test_organizer_adds_a_round_and_sets_it_up(client, db, login, contest, people):
    login(people["organizer"])
    page = client.get(f"/organizer/contests/{contest.id}/rounds").get_data(as_text=True)
    assert "评审" in page and 'id="round-1"' in page
    response = client.post(f"/organizer/contests/{contest.id}/rounds", data={"name": "复评"})
    second = contest.rounds[1]
    assert response.status_code == 302 and response.location.endswith(f"/organizer/rounds/{second.id}/edit")
    assert client.post(f"/organizer/contests/{contest.id}/rounds", data={"name": "复评"}).status_code == 200
    assert len(contest.rounds) == 2
    form = {"name": "复评", "opens_at": "2030-05-02T09:00", "closes_at": "2030-05-01T09:00", "aggregation": "median",
            "trim_k": "1", "score_visibility": "after_own", "promotion_rule": "manual", "judge_cap": "30"}
    page = client.post(f"/organizer/rounds/{second.id}/edit", data=form).get_data(as_text=True)
    assert "The round must close after it opens." in page and 'value="30"' in page  # input kept
    db.session.refresh(second)
    assert second.judge_cap is None
    form["closes_at"] = "2030-05-09T18:00"
    assert client.post(f"/organizer/rounds/{second.id}/edit", data=form).status_code == 302
    db.session.refresh(second)
    assert (second.aggregation, second.judge_cap, second.blind) == ("median", 30, False)
    assert second.opens_at.isoformat() == "2030-05-02T01:00:00+00:00"  # 09:00 Beijing time


def test_closing_a_round_locks_the_judges_form_and_refuses_a_late_save(client, db, login, contest, people, entry):
    login(people["judge"])
    client.post(f"/judge/entries/{entry.id}", data=scores(contest, "5", "5", "5"))
    login(people["organizer"])
    assert client.post(f"/organizer/rounds/{contest.rounds[0].id}/close").status_code == 302
    login(people["judge"])
    page = client.get(f"/judge/entries/{entry.id}").get_data(as_text=True)
    assert 'id="round-locked"' in page and 'id="rubric"' not in page
    response = client.post(f"/judge/entries/{entry.id}", data=scores(contest, "9", "9", "9", action="submit_final"),
                           follow_redirects=True)
    assert "closed: reviews are locked and nothing was changed" in response.get_data(as_text=True)
    review = db.session.scalar(select(Review))
    db.session.refresh(review)
    assert (review.state, review.total) == (ReviewState.DRAFT, D("50.000"))


def test_other_scores_stay_hidden_until_the_judge_submits(client, db, login, contest, people, entry):
    rounds.update_round(round_=contest.rounds[0], score_visibility="after_own")
    db.session.commit()
    submit_as(db, people["other"], entry, "7")  # 70.000
    login(people["judge"])
    before = client.get(f"/judge/entries/{entry.id}").get_data(as_text=True)
    assert "70.000" not in before and "other-reviews" not in before
    client.post(f"/judge/entries/{entry.id}", data=scores(contest, "9", "9", "9", action="submit_final"))
    after = client.get(f"/judge/entries/{entry.id}").get_data(as_text=True)
    assert 'id="other-reviews"' in after and "70.000" in after and "Judge 1" in after
    assert "评委乙" not in after


def test_blind_round_shows_the_redacted_text_and_an_open_round_the_creator(client, db, login, contest, people,
                                                                            entry):
    entry.blind_title = "作品甲"
    db.session.commit()
    login(people["judge"])
    blind = client.get(f"/judge/entries/{entry.id}").get_data(as_text=True)
    assert "作品甲" in blind and "西湖晨光" not in blind and "创作者小明" not in blind
    queue = client.get("/judge/").get_data(as_text=True)
    assert "作品甲" in queue and "西湖晨光" not in queue
    rounds.update_round(round_=contest.rounds[0], blind=False)
    db.session.commit()
    open_ = client.get(f"/judge/entries/{entry.id}").get_data(as_text=True)
    assert "西湖晨光" in open_ and "创作者小明" in open_


def test_promotion_page_proposes_by_rule_and_promotes_the_ticked_entries(client, db, login, contest, people,
                                                                         make_entry):
    first = contest.rounds[0]
    entries = []
    for points in ("9", "8", "6"):
        entry = make_entry(contest=contest, creator=people["creator"], state=EntryState.SUBMITTED)
        db.session.add(Assignment(judge=people["judge"], entry=entry))
        db.session.commit()
        submit_as(db, people["judge"], entry, points)
        entries.append(entry)
    second = rounds.add_round(contest=contest, name="终评")
    rounds.update_round(round_=first, promotion_rule="top_n", promotion_n=2)
    db.session.commit()
    login(people["organizer"])
    response = client.post(f"/organizer/rounds/{first.id}/promotion", data={"entry_id": [entries[0].id]},
                           follow_redirects=True)
    assert "Close 评审 before promoting" in response.get_data(as_text=True)
    client.post(f"/organizer/rounds/{first.id}/close")
    page = client.get(f"/organizer/rounds/{first.id}/promotion").get_data(as_text=True)
    assert f'value="{entries[0].id}" id="pick-{entries[0].id}" checked' in page
    assert f'value="{entries[1].id}" id="pick-{entries[1].id}" checked' in page
    assert f'value="{entries[2].id}" id="pick-{entries[2].id}">' in page
    client.post(f"/organizer/rounds/{first.id}/promotion", data={"entry_id": [entries[0].id, entries[2].id]})
    promoted = db.session.scalars(select(RoundEntry).where(RoundEntry.round_id == second.id)).all()
    assert sorted(r.entry_id for r in promoted) == sorted([entries[0].id, entries[2].id])
    assert {r.promoted_by_id for r in promoted} == {people["organizer"].id}
    client.post(f"/organizer/rounds/{first.id}/promotion/revert")
    assert db.session.scalars(select(RoundEntry)).all() == []


def test_organizer_reopens_a_submitted_review_from_the_entry_page(client, db, login, contest, people, entry):
    submit_as(db, people["judge"], entry, "8")
    login(people["organizer"])
    page = client.get(f"/organizer/entries/{entry.id}").get_data(as_text=True)
    review = db.session.scalar(select(Review))
    assert f"/organizer/reviews/{review.id}/reopen" in page
    client.post(f"/organizer/reviews/{review.id}/reopen", data={"reason": ""})
    db.session.refresh(review)
    assert review.state == ReviewState.SUBMITTED
    client.post(f"/organizer/reviews/{review.id}/reopen", data={"reason": "评委要求修改"})
    db.session.refresh(review)
    assert review.state == ReviewState.DRAFT


@pytest.mark.parametrize("method, path", [
    ("get", "/organizer/contests/{contest}/rounds"), ("get", "/organizer/rounds/{round}/edit"),
    ("post", "/organizer/rounds/{round}/close"), ("get", "/organizer/rounds/{round}/promotion"),
])
def test_round_pages_are_for_organizers(client, login, contest, people, method, path):
    login(people["judge"])
    url = path.format(contest=contest.id, round=contest.rounds[0].id)
    assert getattr(client, method)(url).status_code == 403


def test_judge_steps_aside_and_the_organizer_sees_the_conflict(client, db, login, contest, people, entry):
    login(people["judge"])
    assert "recuse-link" in client.get(f"/judge/entries/{entry.id}").get_data(as_text=True)
    page = client.post(f"/judge/entries/{entry.id}/recuse", data={"reason": ""}).get_data(as_text=True)
    assert 'id="recuse-form"' in page
    response = client.post(f"/judge/entries/{entry.id}/recuse", data={"reason": "与作者同一单位"})
    assert response.status_code == 302 and response.location.endswith("/judge/")
    assert client.get(f"/judge/entries/{entry.id}").status_code == 404
    login(people["organizer"])
    page = client.get(f"/organizer/contests/{contest.id}/conflicts").get_data(as_text=True)
    assert "与作者同一单位" in page and "评委甲" in page and "Judge stepped aside" in page
    bad = client.post(f"/organizer/contests/{contest.id}/conflicts",
                      data={"judge": "nobody", "entry_number": entry.number, "reason": "同一MCN"})
    text = bad.get_data(as_text=True)
    assert "No account with this username." in text and 'value="同一MCN"' in text
    ok = client.post(f"/organizer/contests/{contest.id}/conflicts",
                     data={"judge": people["other"].username, "entry_number": entry.number, "reason": "同一MCN"})
    assert ok.status_code == 302
    assert db.session.scalars(select(Assignment).where(Assignment.entry_id == entry.id)).all() == []


def test_organizer_writes_the_blind_text_judges_read(client, db, login, contest, people, entry):
    login(people["organizer"])
    assert 'id="blind-text-form"' in client.get(f"/organizer/entries/{entry.id}").get_data(as_text=True)
    too_long = client.post(f"/organizer/entries/{entry.id}/blind-text", data={"blind_title": "长" * 201},
                           follow_redirects=True)
    assert too_long.status_code == 200 and entry.blind_title is None
    client.post(f"/organizer/entries/{entry.id}/blind-text",
                data={"blind_title": "一个早晨", "blind_description": "（作者信息已隐去）"})
    db.session.refresh(entry)
    assert (entry.blind_title, entry.blind_description) == ("一个早晨", "（作者信息已隐去）")
    login(people["judge"])
    page = client.get(f"/judge/entries/{entry.id}").get_data(as_text=True)
    assert "一个早晨" in page and "（作者信息已隐去）" in page and "西湖晨光" not in page


def test_round_assignment_page_plans_the_panel_or_says_why_not(client, db, login, contest, people, make_entry):
    entries = [make_entry(contest=contest, creator=people["creator"], state=EntryState.SUBMITTED)
               for _ in range(3)]
    round_ = contest.rounds[0]
    login(people["organizer"])
    page = client.get(f"/organizer/rounds/{round_.id}/assign").get_data(as_text=True)
    assert f'id="judge-{people["judge"].id}"' in page
    judges = [str(people["judge"].id), str(people["other"].id)]
    refused = client.post(f"/organizer/rounds/{round_.id}/assign", data={"judge": judges, "per_entry": "3"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and entries[0].number in text and 'value="3"' in text
    assert db.session.scalars(select(Assignment)).all() == []
    done = client.post(f"/organizer/rounds/{round_.id}/assign", data={"judge": judges, "per_entry": "1", "cap": "2"})
    assert done.status_code == 302
    made = db.session.scalars(select(Assignment)).all()
    assert len(made) == 3 and {a.judge_id for a in made} == {people["judge"].id, people["other"].id}


def test_conflicts_page_lists_derived_conflicts_with_their_source(client, db, login, contest, people, make_entry):
    make_entry(contest=contest, creator=people["judge"], state=EntryState.SUBMITTED, title="评委自己的作品")
    login(people["organizer"])
    page = client.get(f"/organizer/contests/{contest.id}/conflicts").get_data(as_text=True)
    assert 'id="derived-conflicts"' in page and "The judge made the entry" in page and "评委甲" in page
