"""The organizers' audit trail page (filters, keyset pages) and its CSV / XLSX downloads; the actor and the
address a request records."""
import csv
import io
import re
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from contest.infra.actor import Actor, acting_as
from contest.models import AuditAction, AuditEvent, EntryState
from tests.people import Role
from contest.services.audit.record import record


@pytest.fixture
def app_overrides():
    return {"PAGE_SIZE": 3, "PROXY_COUNT": 1}


@pytest.fixture(autouse=True)
def english(client):
    """English labels (the msgids); a test that checks the Chinese ones chooses them again."""
    client.set_cookie("lang", "en")


@pytest.fixture
def organizer(make_user, login):
    return login(make_user(Role.ORGANIZER, display_name="组委会"))


#: Reasons of the events of :func:`world`: a formula-like one must never run in a spreadsheet.
REASONS = {AuditAction.ENTRY_DISQUALIFIED: "抄袭", AuditAction.SCORE_CHANGED: "=1+1"}


@pytest.fixture
def world(db, make_contest, make_user, make_entry):
    """Two contests; in the first two entries, two judges and five events at known times (UTC):
    2026-03-01 02:00 (Beijing 10:00) score changed, entry 1, judge A; 03-01 03:00 submitted, entry 1, judge A;
    03-02 02:00 score changed, entry 2, judge B; 03-03 15:30 (Beijing 03-03 23:30) assignment removed, entry 2,
    judge B; 03-03 16:30 (Beijing 03-04 00:30) disqualified, entry 2. One event of the other contest."""
    contest, other = make_contest(), make_contest()
    creator = make_user()
    entries = [make_entry(contest=contest, creator=creator, state=EntryState.SUBMITTED) for _ in range(2)]
    judges = [make_user(Role.JUDGE, display_name=name) for name in ("评委甲", "评委乙")]
    rows = [
        (datetime(2026, 3, 1, 2, 0), AuditAction.SCORE_CHANGED, entries[0], judges[0],
         {"创意": None}, {"创意": "=8.00"}),
        (datetime(2026, 3, 1, 3, 0), AuditAction.REVIEW_SUBMITTED, entries[0], judges[0], None,
         {"创意": "8.00", "total": "80.000"}),
        (datetime(2026, 3, 2, 2, 0), AuditAction.SCORE_CHANGED, entries[1], judges[1], {"创意": "5.00"},
         {"创意": "6.00"}),
        (datetime(2026, 3, 3, 15, 30), AuditAction.ASSIGNMENT_REMOVED, entries[1], judges[1],
         {"assignment_id": 9}, None),
        (datetime(2026, 3, 3, 16, 30), AuditAction.ENTRY_DISQUALIFIED, entries[1], creator,
         {"state": "submitted"}, {"state": "disqualified"}),
    ]
    organizer = make_user(Role.ORGANIZER, display_name="主办方")
    with acting_as(Actor(user_id=organizer.id, ip="198.51.100.9")):
        for at, action, entry, person, before, after in rows:
            event = record(action, contest_id=contest.id, entry_id=entry.id, subject_user_id=person.id,
                           before=before, after=after, reason=REASONS.get(action, ""))
            event.at = at.replace(tzinfo=timezone.utc)
        record(AuditAction.CONTEST_CREATED, contest_id=other.id, after={"code": other.code})
    db.session.commit()
    return {"contest": contest, "entries": entries, "judges": judges, "other": other, "organizer": organizer}


def shown(response) -> list[str]:
    """The actions of the rows on the page, top to bottom."""
    return re.findall(r'class="audit-event" data-action="([^"]+)"', response.get_data(as_text=True))


def test_the_page_shows_the_newest_events_first_in_beijing_time_and_pages_on(client, organizer, world):
    contest = world["contest"]
    response = client.get(f"/organizer/contests/{contest.id}/audit")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert shown(response) == ["entry.disqualified", "assignment.removed", "review.score_changed"]
    assert "2026-03-04 00:30:00" in html and "198.51.100.9" in html and "主办方" in html
    older = re.search(r'href="([^"]*before=\d+[^"]*)"', html).group(1).replace("&amp;", "&")
    assert shown(client.get(older)) == ["review.submitted", "review.score_changed"]


@pytest.mark.parametrize("query, expected", [
    ("entry={number0}", ["review.submitted", "review.score_changed"]),
    ("judge={judge1}", ["assignment.removed", "review.score_changed"]),
    ("action=review.score_changed", ["review.score_changed", "review.score_changed"]),
    ("since=2026-03-02&until=2026-03-03", ["assignment.removed", "review.score_changed"]),
    ("since=2026-03-04", ["entry.disqualified"]),
    ("entry={number1}&action=review.score_changed", ["review.score_changed"]),
])
def test_the_filters_keep_the_matching_events(client, organizer, world, query, expected):
    query = query.format(number0=world["entries"][0].number.lower(), number1=world["entries"][1].number,
                         judge1=world["judges"][1].id)
    response = client.get(f"/organizer/contests/{world['contest'].id}/audit?{query}")
    assert response.status_code == 200
    assert shown(response) == expected


def test_an_unknown_entry_number_or_reversed_days_show_why_and_no_rows(client, organizer, world):
    url = f"/organizer/contests/{world['contest'].id}/audit"
    html = client.get(f"{url}?entry=XX-9999").get_data(as_text=True)
    assert "No entry of this contest has the number XX-9999." in html and 'class="audit-event"' not in html
    html = client.get(f"{url}?since=2026-03-04&until=2026-03-01").get_data(as_text=True)
    assert "The last day cannot come before the first." in html
    assert client.get(f"{url}.csv?entry=XX-9999").status_code == 400


def test_the_page_of_every_contest_shows_the_other_contest_too(client, organizer, world):
    response = client.get("/organizer/audit")
    assert shown(response)[0] == "contest.created"


def test_the_csv_export_streams_the_filtered_events_oldest_first(client, organizer, world):
    response = client.get(f"/organizer/contests/{world['contest'].id}/audit.csv?judge={world['judges'][0].id}")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"] == f'attachment; filename="{world["contest"].code}-audit.csv"'
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header == ["Time (Beijing time)", "Action", "By", "IP address", "Contest", "Entry number",
                      "Person concerned", "Before", "After", "Reason"]
    number, judge = world["entries"][0].number, world["judges"][0]
    by = f"主办方 ({world['organizer'].username})"
    assert rows == [
        ["2026-03-01 10:00:00", "Score changed", by, "198.51.100.9", world["contest"].code, number,
         f"评委甲 ({judge.username})", '{"创意": null}', '{"创意": "=8.00"}', "'=1+1"],
        ["2026-03-01 11:00:00", "Review submitted", by, "198.51.100.9", world["contest"].code, number,
         f"评委甲 ({judge.username})", "", '{"创意": "8.00", "total": "80.000"}', ""],
    ]


def test_the_xlsx_export_reads_back_with_the_filtered_events_in_chinese(client, organizer, world):
    client.set_cookie("lang", "zh")
    response = client.get(f"/organizer/contests/{world['contest'].id}/audit.xlsx?action=entry.disqualified")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("时间（北京时间）", "操作", "操作人", "IP 地址", "赛事", "作品编号", "相关人员", "修改前", "修改后",
                       "原因")
    assert len(rows) == 2
    at, action, _by, ip, code, number, person, before, after, reason = rows[1]
    assert (at, action, ip, code, number, before, after, reason) == (
        datetime(2026, 3, 4, 0, 30), "取消作品资格", "198.51.100.9", world["contest"].code,
        world["entries"][1].number, '{"state": "submitted"}', '{"state": "disqualified"}', "抄袭")


def test_a_request_records_the_signed_in_user_and_the_forwarded_address(client, db, organizer, make_contest,
                                                                      make_user, make_entry):
    entry = make_entry(contest=make_contest(), creator=make_user(), state=EntryState.SUBMITTED)
    response = client.post(f"/organizer/entries/{entry.id}/disqualify", data={"reason": "抄袭"},
                           headers={"X-Forwarded-For": "203.0.113.50"})
    assert response.status_code == 302
    (event,) = db.session.scalars(select(AuditEvent)).all()
    assert (event.action, event.actor_id, event.actor_ip, event.reason) == (
        AuditAction.ENTRY_DISQUALIFIED, organizer.id, "203.0.113.50", "抄袭")


def test_times_before_and_after_are_shown_in_beijing_time(client, organizer, db, make_contest):
    contest = make_contest()
    record(AuditAction.DEADLINE_EXTENDED, contest_id=contest.id, before={"closes_at": "2026-04-30T15:59:00+00:00"},
           after={"closes_at": "2026-05-02T16:00:00+00:00"}, reason="网络故障")
    db.session.commit()
    html = client.get(f"/organizer/contests/{contest.id}/audit").get_data(as_text=True)
    assert "2026-04-30 23:59:00" in html and "2026-05-03 00:00:00" in html


def test_judges_cannot_see_the_trail(client, login, make_user, world):
    login(make_user(Role.JUDGE))
    assert client.get(f"/organizer/contests/{world['contest'].id}/audit").status_code == 403
    assert client.get("/organizer/audit.csv").status_code == 403
