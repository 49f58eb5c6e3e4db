"""Alliance membership with ``MEMBERSHIP_APPROVAL`` on: the application, the administrator's decision with a
reason the applicant reads, the member list and its CSV; members-only contests."""
import csv
import io

import pytest
from sqlalchemy import func, select

from contest.models import Entry, Membership, User
from tests.people import Role


@pytest.fixture
def app_overrides():
    return {"MEMBERSHIP_APPROVAL": True}


def application(**overrides) -> dict:
    data = {"username": "xiaohong", "display_name": "小红", "password": "secret-pass-1",
            "confirm": "secret-pass-1", "unit": "余杭区文旅局", "phone": "13912345678", "real_name": "李小红",
            "accounts-0-platform": "shipinhao", "accounts-0-account_id": "xh-sph",
            "note": "=HYPERLINK(\"x\") 本单位宣传员"}
    data.update(overrides)
    return data


def test_an_application_waits_for_approval_and_the_applicant_reads_the_decision(client, db, make_user, login):
    register = client.get("/auth/register").text
    assert "视频号" in register and 'name="note"' in register
    response = client.post("/auth/register", data=application())
    assert response.status_code == 302 and response.location == "/auth/profile"
    applicant = db.session.scalar(select(User).where(User.username == "xiaohong"))
    assert applicant.membership == Membership.PENDING and applicant.unit == "余杭区文旅局"
    assert [(a.platform.value, a.account_id) for a in applicant.platform_accounts] == [("shipinhao", "xh-sph")]
    assert 'data-membership="pending"' in client.get("/auth/profile").text
    assert client.get("/admin/members").status_code == 403

    login(make_user(Role.ORGANIZER))
    page = client.get("/admin/members?state=pending").text
    assert "余杭区文旅局" in page and "视频号: xh-sph" in page
    url = f"/admin/members/{applicant.id}/decision"
    no_reason = client.post(url, data={"refuse": "1", "reason": " "})
    assert no_reason.status_code == 422 and "请填写不通过的理由，申请人可以看到。" in no_reason.text
    assert client.post(url, data={"refuse": "1", "reason": "单位信息无法核实"}).status_code == 302

    login(applicant, "secret-pass-1")
    profile = client.get("/auth/profile").text
    assert 'data-membership="refused"' in profile and "单位信息无法核实" in profile

    login(make_user(Role.ORGANIZER))
    assert client.post(url, data={"approve": "1"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, applicant.id).membership == Membership.APPROVED


def test_the_member_list_downloads_as_csv_with_formulas_defused(client, db, make_user, login):
    client.post("/auth/register", data=application())
    login(make_user(Role.ORGANIZER))
    response = client.get("/admin/members.csv?state=pending")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["用户名", "显示名", "实名", "手机"]
    assert rows[1][:8] == ["xiaohong", "小红", "李小红", "13912345678", "余杭区文旅局", "", "视频号:xh-sph", "待审核"]
    assert rows[1][8] == "'=HYPERLINK(\"x\") 本单位宣传员"
    assert len(rows) == 2


def test_only_members_may_enter_a_members_only_contest(client, db, make_user, make_contest, login):
    contest = make_contest(members_only=True)
    pending = make_user(membership=Membership.PENDING)
    login(pending)
    url = f"/my/contests/{contest.id}/entries/new"
    message = "本大赛仅限审核通过的联盟成员参赛。"
    assert "data-window-closed" in client.get(url).text and message in client.get(url).text
    assert message in client.get(f"/contests/{contest.code}").text
    response = client.post(url, data={"title": "家乡的桥", "category": contest.categories[0].id})
    assert message in response.text and db.session.scalar(select(func.count(Entry.id))) == 0

    login(make_user())  # approved: the rule is listed, the form is offered
    page = client.get(url).text
    assert "data-members-only" in page and "data-window-closed" not in page and 'name="title"' in page


def test_an_administrator_makes_a_contest_members_only_on_its_form(client, db, make_user, login):
    from contest.models import Contest
    from tests.views.organizer.test_organizer import contest_form

    login(make_user(Role.ORGANIZER))
    assert client.post("/organizer/contests/new", data=contest_form(members_only="y")).status_code == 302
    contest = db.session.scalar(select(Contest))
    assert contest.members_only
    assert '<input checked class="form-check-input" id="members_only" name="members_only"' in client.get(
        f"/organizer/contests/{contest.id}/edit").text
    assert "本大赛仅限审核通过的联盟成员参赛。" in client.get(f"/contests/{contest.code}").text
