"""Organizer pages are scoped to the contests a user organizes or supervises: every organizer URL of contest A
(found in ``app.url_map``, so a new route is covered without editing this file) is refused to the organizer of
contest B, a supervisor of A reads every page of A and changes nothing, and grants are given and taken back on
the contest's people page."""
import pytest
from sqlalchemy import func, select

from contest.models import (
    Assignment,
    Conflict,
    ConflictSource,
    Review,
    ReviewState,
    ContestRole,
    ContestRoleName,
    EntryState,
    ReplacementPermit,
    User,
)
from contest.services.contests import roles
from tests.people import Role

#: Blueprints whose pages are organizer pages (all under /organizer).
ORGANIZER_BLUEPRINTS = ("organizer", "results", "stats", "rounds", "audit")
#: Pages that name no contest: scoped by their content (tested below), not refused.
NO_CONTEST = {"organizer.index", "organizer.judges", "organizer.new_contest"}
#: Pages for site administrators only: new contests, and the audit trail of every contest at once.
ADMIN_ONLY = {"/organizer/contests/new", "/organizer/audit", "/organizer/audit.csv", "/organizer/audit.xlsx"}


@pytest.fixture
def contests(db, make_contest, make_user, make_entry):
    """Contests A and B, each with an organizer (a plain account with the organizer grant), a submitted entry
    assigned to a judge of that contest, a replacement permit and a judge grant; A also has a supervisor."""
    made = {}
    for name in ("A", "B"):
        contest = make_contest()
        organizer = make_user(username=f"org{name}")
        judge = make_user(username=f"judge{name}")
        for user, role in ((organizer, ContestRoleName.ORGANIZER), (judge, ContestRoleName.JUDGE)):
            roles.grant_role(contest=contest, user=user, role=role, by=None)
        entry = make_entry(contest=contest, creator=make_user(username=f"creator{name}"),
                           state=EntryState.SUBMITTED)
        assignment = Assignment(entry=entry, judge=judge)
        permit = ReplacementPermit(entry=entry, reason="换个清晰版本", allowed_by_id=organizer.id)
        review = Review(assignment=assignment, state=ReviewState.SUBMITTED)
        conflict = Conflict(contest_id=contest.id, judge_id=judge.id, entry_id=entry.id,
                            source=ConflictSource.ORGANIZER, reason="同一MCN")
        db.session.add_all([assignment, permit, review, conflict])
        db.session.commit()
        grant = db.session.scalar(select(ContestRole).where(ContestRole.user_id == judge.id))
        made[name] = {"organizer": organizer, "contest": contest, "args": {
            "contest_id": contest.id, "entry_id": entry.id, "assignment_id": assignment.id,
            "permit_id": permit.id, "grant_id": grant.id, "user_id": entry.creator_id,
            "action": "sign-out", "round_id": contest.rounds[0].id, "review_id": review.id,
            "conflict_id": conflict.id}}
    supervisor = make_user(username="supervisorA")
    roles.grant_role(contest=made["A"]["contest"], user=supervisor, role=ContestRoleName.SUPERVISOR, by=None)
    db.session.commit()
    made["A"]["supervisor"] = supervisor
    return made


def organizer_routes(app, methods):
    """``(endpoint, method, rule)`` of every organizer page answering one of ``methods``."""
    return [(rule.endpoint, method, rule) for rule in app.url_map.iter_rules()
            if rule.endpoint.split(".")[0] in ORGANIZER_BLUEPRINTS
            for method in sorted(rule.methods & set(methods))]


def build(rule, args: dict) -> str:
    """The URL of ``rule`` with the ids of one contest; a rule with an argument not known here fails the
    test (add it here and to contest.auth.access.CONTEST_OF)."""
    return rule.build({name: args[name] for name in rule.arguments}, append_unknown=False)[1]


def grant_rows(db) -> int:
    return db.session.scalar(select(func.count(ContestRole.id)))


def test_every_organizer_url_of_a_contest_is_refused_to_another_contests_organizer(app, client, db, login,
                                                                                  contests):
    login(contests["B"]["organizer"])
    routes = [(e, m, r) for e, m, r in organizer_routes(app, {"GET", "POST"}) if e not in NO_CONTEST]
    assert {"organizer.dashboard", "organizer.entry_detail", "organizer.unassign", "organizer.revoke_permit",
            "organizer.revoke", "organizer.people", "organizer.user", "results.results",
            "stats.stats"} <= {endpoint for endpoint, _m, _r in routes}
    before = (grant_rows(db), db.session.scalar(select(func.count(Assignment.id))))
    for endpoint, method, rule in routes:
        url = build(rule, contests["A"]["args"])
        response = client.open(url, method=method, data={"reason": "x", "username": "judgeA", "role": "judge"})
        assert response.status_code in (403, 404), (endpoint, method, url, response.status_code)
    db.session.expire_all()
    assert (grant_rows(db), db.session.scalar(select(func.count(Assignment.id)))) == before
    assert db.session.get(User, contests["A"]["args"]["user_id"]).active


def test_the_same_urls_of_ones_own_contest_are_open(app, client, login, contests):
    login(contests["B"]["organizer"])
    for endpoint, _method, rule in organizer_routes(app, {"GET"}):
        url = build(rule, contests["B"]["args"])
        if url in ADMIN_ONLY:
            assert client.get(url).status_code == 403, url
            continue
        assert client.get(url).status_code == 200, url


def test_pages_without_a_contest_show_only_ones_own_contests(client, login, contests):
    login(contests["B"]["organizer"])
    index = client.get("/organizer/").text
    assert contests["B"]["contest"].code in index and contests["A"]["contest"].code not in index
    judges = client.get("/organizer/judges").text
    assert "judgeB" in judges and "judgeA" not in judges
    assert client.get("/organizer/contests/new").status_code == 403


def test_a_supervisor_reads_every_page_of_their_contest(app, client, login, contests):
    login(contests["A"]["supervisor"])
    for endpoint, _method, rule in organizer_routes(app, {"GET"}):
        url = build(rule, contests["A"]["args"])
        expected = 403 if url in ADMIN_ONLY else 200  # site administrators only
        assert client.get(url).status_code == expected, url
    assert client.get(build_dashboard(contests["B"])).status_code == 403


def build_dashboard(made) -> str:
    return f"/organizer/contests/{made['contest'].id}"


def test_a_supervisor_changes_nothing(app, client, db, login, contests):
    login(contests["A"]["supervisor"])
    before = grant_rows(db)
    routes = organizer_routes(app, {"POST"})
    assert len(routes) >= 10
    for endpoint, method, rule in routes:
        url = build(rule, contests["A"]["args"])
        response = client.open(url, method=method, data={"reason": "x", "username": "creatorA",
                                                         "role": "supervisor"})
        assert response.status_code == 403, (endpoint, url, response.status_code)
    assert grant_rows(db) == before
    edit = client.get(f"/organizer/contests/{contests['A']['contest'].id}").text
    assert "/edit" not in edit  # the edit button is hidden from supervisors


def test_an_organizer_grants_judges_and_supervisors_but_not_organizers(client, db, login, make_user, contests):
    login(contests["A"]["organizer"])
    contest = contests["A"]["contest"]
    newcomer = make_user(username="Zhang.San")
    url = f"/organizer/contests/{contest.id}/people"
    response = client.post(url, data={"username": "zhang.san", "role": "supervisor"})
    assert response.status_code == 302 and response.location == url
    assert roles.roles_of(newcomer, contest.id) == {ContestRoleName.SUPERVISOR}
    refused = client.post(url, data={"username": "zhang.san", "role": "organizer"})
    assert refused.status_code == 200 and 'value="organizer"' not in refused.text  # not offered, not accepted
    assert roles.roles_of(newcomer, contest.id) == {ContestRoleName.SUPERVISOR}
    unknown = client.post(url, data={"username": "nobody", "role": "judge"})
    assert "没有用户名为 nobody 的账号。" in unknown.text and 'value="nobody"' in unknown.text
    twice = client.post(url, data={"username": "zhang.san", "role": "supervisor"})
    assert f"{newcomer.display_name} 在本大赛中已有此角色。" in twice.text
    grant = db.session.scalar(select(ContestRole).where(ContestRole.user_id == newcomer.id))
    assert grant.granted_by_id == contests["A"]["organizer"].id
    assert client.post(f"/organizer/grants/{grant.id}/revoke").status_code == 302
    assert roles.roles_of(newcomer, contest.id) == frozenset()
    organizer_grant = db.session.scalar(select(ContestRole).where(
        ContestRole.user_id == contests["A"]["organizer"].id))
    client.post(f"/organizer/grants/{organizer_grant.id}/revoke")
    assert db.session.get(ContestRole, organizer_grant.id) is not None  # only an administrator may


def test_an_administrator_grants_and_revokes_organizers(client, db, login, make_user, contests):
    admin = login(make_user(Role.ORGANIZER))
    contest, newcomer = contests["B"]["contest"], make_user(username="li.si")
    url = f"/organizer/contests/{contest.id}/people"
    assert client.post(url, data={"username": "li.si", "role": "organizer"}).status_code == 302
    assert roles.roles_of(newcomer, contest.id) == {ContestRoleName.ORGANIZER}
    assert admin.is_admin
    login(newcomer)
    assert client.get(url).status_code == 200
    assert client.get(f"/organizer/contests/{contests['A']['contest'].id}").status_code == 403


def test_a_revoked_judge_no_longer_sees_that_contests_assignments(client, db, login, contests):
    judge = db.session.scalar(select(User).where(User.username == "judgeA"))
    entry_id = contests["A"]["args"]["entry_id"]
    login(judge)
    assert client.get(f"/judge/entries/{entry_id}").status_code == 200
    grant = db.session.get(ContestRole, contests["A"]["args"]["grant_id"])
    roles.revoke_role(grant=grant, by=contests["A"]["organizer"])
    db.session.commit()
    assert client.get(f"/judge/entries/{entry_id}").status_code == 403  # no judge grant left anywhere


def test_a_supervisor_is_not_offered_forms_they_may_not_send(client, db, login, contests):
    login(contests["A"]["supervisor"])
    args = contests["A"]["args"]
    entry = client.get(f"/organizer/entries/{args['entry_id']}").text
    assert 'method="post"' not in main_of(entry)
    for url in (f"/organizer/contests/{args['contest_id']}/rounds", f"/organizer/rounds/{args['round_id']}/edit",
                f"/organizer/contests/{args['contest_id']}/conflicts"):
        page = client.get(url).text
        assert 'method="post"' not in main_of(page), url


def main_of(page: str) -> str:
    """The page's own content (the navigation bar holds the log-out form)."""
    return page.split("<main", 1)[1].split("</main>", 1)[0]
