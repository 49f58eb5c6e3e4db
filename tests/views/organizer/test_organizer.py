import re
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from contest.models import (
    Assignment, Contest, CriterionScore, EntryState, Review, ReviewState, User,
)
from contest.organizer.forms import local_to_utc
from contest.services.accounts.passwords import verify_password
from contest.services.contests import roles
from contest.services.judging.progress import forget_progress
from tests.people import Role


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def organizer(make_user, login):
    return login(make_user(Role.ORGANIZER, display_name="组委会"))


def contest_form(**overrides) -> dict:
    data = {
        "code": "XH2026", "title": "新会短视频大赛", "theme": "侨乡新貌", "rules": "原创作品",
        "opens_at": "2026-03-01T09:00", "closes_at": "2026-04-30T23:59",
        "max_file_mb": "200", "min_duration_s": "5", "max_duration_s": "180", "orientation": "portrait",
        "max_entries_per_creator": "2", "categories": "微视频组\r\nVlog组\r\n",
        "criteria-0-name": "主题契合", "criteria-0-description": "紧扣主题", "criteria-0-max_points": "10",
        "criteria-0-weight": "40",
        "criteria-1-name": "创意", "criteria-1-max_points": "10", "criteria-1-weight": "30",
        "criteria-2-name": "制作水平", "criteria-2-max_points": "20", "criteria-2-weight": "30",
        "criteria-3-name": "", "criteria-3-max_points": "10", "criteria-3-weight": "",
    }
    data.update(overrides)
    return data


def page(response) -> str:
    return response.get_data(as_text=True)


# --- access --------------------------------------------------------------------------------------------


@pytest.fixture
def world(db, make_contest, make_user, make_entry):
    """One contest with a submitted entry assigned to a judge; returns the ids organizer URLs need."""
    contest = make_contest()
    entry = make_entry(contest=contest, creator=make_user(), state=EntryState.SUBMITTED)
    assignment = Assignment(entry=entry, judge=make_user(Role.JUDGE))
    db.session.add(assignment)
    db.session.commit()
    return {"c": contest.id, "e": entry.id, "a": assignment.id}


ORGANIZER_URLS = [
    ("GET", "/organizer/"), ("GET", "/organizer/judges"), ("GET", "/organizer/contests/{c}/people"),
    ("POST", "/organizer/contests/{c}/people/judges/new"), ("GET", "/organizer/contests/new"),
    ("POST", "/organizer/contests/new"),
    ("GET", "/organizer/contests/{c}"), ("GET", "/organizer/contests/{c}/progress"),
    ("GET", "/organizer/contests/{c}/edit"),
    ("POST", "/organizer/contests/{c}/edit"), ("GET", "/organizer/contests/{c}/assignments"),
    ("POST", "/organizer/contests/{c}/assignments"), ("POST", "/organizer/assignments/{a}/remove"),
    ("GET", "/organizer/entries/{e}"), ("POST", "/organizer/entries/{e}/disqualify"),
    ("GET", "/organizer/entries/{e}/disqualify"), ("POST", "/organizer/entries/{e}/extension"),
    ("GET", "/organizer/contests/{c}/declarations"), ("POST", "/organizer/contests/{c}/declarations"),
    ("GET", "/organizer/contests/{c}/audit"), ("GET", "/organizer/contests/{c}/audit.csv"),
    ("GET", "/organizer/contests/{c}/audit.xlsx"), ("GET", "/organizer/audit"),
]


@pytest.mark.parametrize("method, url", ORGANIZER_URLS)
@pytest.mark.parametrize("role", [Role.CREATOR, Role.JUDGE])
def test_other_roles_are_forbidden(client, db, world, make_user, login, role, method, url):
    login(make_user(role))
    response = client.open(url.format(**world), method=method, data={"code": "X"})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(Assignment.id))) == 1


@pytest.mark.parametrize("method, url", ORGANIZER_URLS)
def test_anonymous_is_sent_to_login(client, world, method, url):
    response = client.open(url.format(**world), method=method)
    assert response.status_code == 302
    assert response.location.startswith("/auth/login")


def test_organizer_reaches_every_page(client, world, organizer):
    for method, url in ORGANIZER_URLS:
        if method == "GET":
            assert client.get(url.format(**world)).status_code == 200, url


# --- contests ------------------------------------------------------------------------------------------


def test_local_to_utc_takes_the_beijing_wall_clock(app):
    with app.test_request_context():
        assert local_to_utc(datetime(2026, 3, 1, 9, 0)) == datetime(2026, 3, 1, 1, 0, tzinfo=timezone.utc)


def test_create_contest_through_the_form_stores_utc(client, db, organizer):
    response = client.post("/organizer/contests/new", data=contest_form())
    contest = db.session.scalar(select(Contest))
    assert response.status_code == 302
    assert response.location == f"/organizer/contests/{contest.id}"
    assert contest.opens_at == datetime(2026, 3, 1, 1, 0, tzinfo=timezone.utc)  # 09:00 Beijing − 8 h
    assert contest.closes_at == datetime(2026, 4, 30, 15, 59, tzinfo=timezone.utc)
    assert contest.max_file_bytes == 200 * 1024 * 1024 and contest.orientation == "portrait"
    assert [c.name for c in contest.categories] == ["微视频组", "Vlog组"]
    assert [(c.name, c.max_points, c.weight) for c in contest.criteria] == [
        ("主题契合", 10, 40), ("创意", 10, 30), ("制作水平", 20, 30)]

    dashboard = page(client.get(response.location))
    assert "2026-03-01 09:00" in dashboard and "2026-04-30 23:59" in dashboard


def test_bad_rubric_keeps_the_input_and_states_the_total(client, db, organizer):
    response = client.post("/organizer/contests/new", data=contest_form(**{"criteria-2-weight": "20"}))
    html = page(response)
    assert response.status_code == 200
    assert "The weights add up to 90%; they must add up to exactly 100%." in html
    for kept in ("新会短视频大赛", "侨乡新貌", "微视频组\r\nVlog组", "制作水平", 'value="20"', 'value="2026-03-01T09:00"'):
        assert kept in html, kept
    assert db.session.scalar(select(func.count(Contest.id))) == 0


def test_named_criterion_without_weight_is_marked(client, db, organizer):
    response = client.post("/organizer/contests/new", data=contest_form(**{"criteria-3-name": "传播力"}))
    assert response.status_code == 200
    assert "Needed for a named criterion." in page(response)
    assert db.session.scalar(select(func.count(Contest.id))) == 0


def test_window_order_error_is_shown_next_to_the_close_field(client, db, organizer):
    response = client.post("/organizer/contests/new", data=contest_form(closes_at="2026-03-01T08:00"))
    assert response.status_code == 200
    assert "Submissions must close after they open." in page(response)
    assert db.session.scalar(select(func.count(Contest.id))) == 0


def test_edit_form_shows_beijing_times_and_saves_changes(client, db, organizer, make_contest):
    contest = make_contest(opens_at=datetime(2026, 5, 1, 0, 30, tzinfo=timezone.utc))
    html = page(client.get(f"/organizer/contests/{contest.id}/edit"))
    assert 'value="2026-05-01T08:30"' in html and 'value="主题契合"' in html

    data = contest_form(code=contest.code, categories="微视频组\nVlog组\n纪录片组")
    for i, criterion in enumerate(contest.criteria):
        data[f"criteria-{i}-criterion_id"] = str(criterion.id)
    response = client.post(f"/organizer/contests/{contest.id}/edit", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert [c.name for c in contest.categories] == ["微视频组", "Vlog组", "纪录片组"]
    assert contest.criteria[2].max_points == 20 and contest.title == "新会短视频大赛"


def test_edit_refuses_to_drop_a_category_with_entries(client, db, organizer, make_contest, make_user,
                                                      make_entry):
    contest = make_contest()
    make_entry(contest=contest, creator=make_user(), category=contest.categories[1])
    response = client.post(f"/organizer/contests/{contest.id}/edit",
                           data=contest_form(code=contest.code, title="改过的标题", categories="微视频组"))
    assert response.status_code == 200
    assert "Vlog组 already has entries" in page(response) and "改过的标题" in page(response)
    db.session.expire_all()
    assert contest.title != "改过的标题" and len(contest.categories) == 2


def rubric_row_names(html: str) -> list[str]:
    """The ``criteria-<n>-name`` fields of the rubric table (not of its template), in order."""
    table = html.split("<template data-rubric-template>")[0]
    return re.findall(r'name="(criteria-\d+-name)"', table)


def test_rubric_of_five_criteria_is_saved_through_the_form(client, db, organizer):
    rows = [("主题契合", "20"), ("创意", "20"), ("制作水平", "20"), ("传播价值", "20"), ("真实性", "20")]
    data = contest_form(**{"criteria-3-name": ""})
    for i, (name, weight) in enumerate(rows):
        data.update({f"criteria-{i}-name": name, f"criteria-{i}-max_points": "10",
                     f"criteria-{i}-weight": weight})
    response = client.post("/organizer/contests/new", data=data)
    assert response.status_code == 302
    contest = db.session.scalar(select(Contest))
    assert [(c.name, c.weight, c.position) for c in contest.criteria] == [
        (name, int(weight), i) for i, (name, weight) in enumerate(rows)]


def test_rubric_form_offers_a_blank_row_after_every_save_and_a_template_for_the_add_button(client, organizer):
    html = page(client.get("/organizer/contests/new"))
    assert rubric_row_names(html) == ["criteria-0-name", "criteria-1-name", "criteria-2-name"]
    assert 'data-add-criterion hidden' in html and "Add a criterion" in html and "js/contest-form.js" in html
    assert 'name="criteria-__index__-name"' in html and 'name="criteria-__index__-max_points"' in html

    # Without script: four filled rows whose weights do not add up come back with a fifth, blank, row.
    data = contest_form(**{"criteria-3-name": "传播价值", "criteria-3-weight": "10"})
    html = page(client.post("/organizer/contests/new", data=data))
    assert "The weights add up to 110%" in html
    assert rubric_row_names(html) == [f"criteria-{i}-name" for i in range(5)]
    assert 'value="传播价值"' in html


# --- judges and assignments ------------------------------------------------------------------------------


def test_create_judge_account(client, db, organizer, make_contest):
    contest = make_contest()
    response = client.post(f"/organizer/contests/{contest.id}/people/judges/new", data={
        "username": "judge.li", "display_name": "李评委", "password": "long-enough-pw"})
    assert response.status_code == 302 and response.location == f"/organizer/contests/{contest.id}/people"
    judge = db.session.scalar(select(User).where(User.username == "judge.li"))
    assert not judge.is_admin
    assert [(g.contest_id, g.role.value, g.granted_by_id) for g in roles.grants_of(judge.id, None)] == [
        (contest.id, "judge", organizer.id)]
    assert verify_password(password_hash=judge.password_hash, password="long-enough-pw")
    assert "李评委" in page(client.get("/organizer/judges"))
    assert "李评委" in page(client.get(f"/organizer/contests/{contest.id}/people"))


def test_taken_judge_username_is_refused(client, db, organizer, make_user, make_contest):
    make_user(Role.JUDGE, username="judge.wang")
    contest = make_contest()
    response = client.post(f"/organizer/contests/{contest.id}/people/judges/new", data={
        "username": "Judge.Wang", "display_name": "王评委", "password": "long-enough-pw"})
    assert response.status_code == 200 and "already taken" in page(response) and "王评委" in page(response)


def test_assignment_form_spreads_judges_and_reports_errors(client, db, organizer, make_contest, make_user,
                                                           make_entry):
    contest = make_contest()
    judges = [make_user(Role.JUDGE) for _ in range(3)]
    creator = make_user()
    for _ in range(7):
        make_entry(contest=contest, creator=creator, state=EntryState.SUBMITTED)
    url = f"/organizer/contests/{contest.id}/assignments"
    assert page(client.get(url)).count("checked") == 3 + 1  # every judge, plus the default mode

    judge_ids = [judge.id for judge in judges]
    too_many = client.post(url, data={"mode": "per_entry", "per_entry": "4", "judges": judge_ids})
    assert too_many.status_code == 200 and "4 judges per entry but chose only 3" in page(too_many)

    response = client.post(url, data={"mode": "per_entry", "per_entry": "2", "judges": judge_ids})
    assert response.status_code == 302 and response.location == f"/organizer/contests/{contest.id}"
    assert db.session.scalar(select(func.count(Assignment.id))) == 14
    assert "14 new assignments." in page(client.get(response.location))

    client.post(url, data={"mode": "all", "judges": [judges[0].id]})
    assert db.session.scalar(select(func.count(Assignment.id))) == 14 + 2  # judge 0 had 5 of 7


def test_dashboard_shows_progress_and_review_counts(client, db, organizer, make_contest, make_user,
                                                    make_entry):
    contest = make_contest()
    entry = make_entry(contest=contest, creator=make_user(display_name="小明"), state=EntryState.SUBMITTED)
    first, second = make_user(Role.JUDGE, display_name="张评委"), make_user(Role.JUDGE, display_name="赵评委")
    db.session.add_all([Assignment(entry=entry, judge=first, review=Review(state=ReviewState.SUBMITTED)),
                        Assignment(entry=entry, judge=second, review=Review(state=ReviewState.DRAFT))])
    db.session.commit()
    html = page(client.get(f"/organizer/contests/{contest.id}"))
    assert "1 of 2 reviews submitted" in html and "50.0%" in html and "1 drafts saved" in html
    assert "1 / 2" in html and "小明" in html and entry.number in html
    assert f'href="/organizer/contests/{contest.id}/progress">Progress of each judge (2 judges)' in html
    assert "张评委" not in html  # the table per judge has its own page

    html = page(client.get(f"/organizer/contests/{contest.id}/progress"))
    assert "1 of 2 reviews submitted" in html
    rows = [row.split("</tr>")[0] for row in html.split('<tr class="judge-progress">')[1:]]
    assert len(rows) == 2 and "张评委" in rows[0] and "赵评委" in rows[1]
    assert [cell.split("<")[0] for cell in rows[0].split('<td class="text-end">')[1:]] == ["1", "1", "0", "0"]
    assert [cell.split("<")[0] for cell in rows[1].split('<td class="text-end">')[1:]] == ["1", "0", "1", "0"]


def test_progress_per_judge_is_paged(client, db, app, organizer, make_contest, make_user, make_entry):
    app.config["PAGE_SIZE"] = 2
    contest = make_contest()
    entry = make_entry(contest=contest, creator=make_user(), state=EntryState.SUBMITTED)
    db.session.add_all([Assignment(entry=entry, judge=make_user(Role.JUDGE, display_name=f"评委{i}"))
                        for i in range(5)])
    db.session.commit()
    first = page(client.get(f"/organizer/contests/{contest.id}/progress"))
    last = page(client.get(f"/organizer/contests/{contest.id}/progress?page=3"))
    assert first.count('class="judge-progress"') == 2 and "1–2 of 5" in first and "评委0" in first
    assert last.count('class="judge-progress"') == 1 and "5–5 of 5" in last and "评委4" in last
    assert f"/organizer/contests/{contest.id}/progress?page=2" in last


def test_progress_numbers_are_kept_briefly_and_dropped_by_writes_here(client, db, app, organizer,
                                                                      make_contest, make_user, make_entry):
    contest = make_contest()
    entries = [make_entry(contest=contest, creator=make_user(), state=EntryState.SUBMITTED) for _ in range(2)]
    judge = make_user(Role.JUDGE)
    db.session.add(Assignment(entry=entries[0], judge=judge, review=Review(state=ReviewState.SUBMITTED)))
    db.session.commit()
    url = f"/organizer/contests/{contest.id}"
    assert "1 of 1 reviews submitted" in page(client.get(url))

    # a change made elsewhere (another process) shows once the kept numbers are older than PROGRESS_CACHE_S
    db.session.add(Assignment(entry=entries[1], judge=judge))
    db.session.commit()
    assert "1 of 1 reviews submitted" in page(client.get(url))
    app.config["PROGRESS_CACHE_S"] = 0
    assert "1 of 2 reviews submitted" in page(client.get(url))

    # writes through this process drop them at once
    app.config["PROGRESS_CACHE_S"] = 3600
    assert "1 of 2 reviews submitted" in page(client.get(url))
    client.post(f"/organizer/entries/{entries[1].id}/disqualify", data={"reason": "抄袭"})
    assert "1 of 1 reviews submitted" in page(client.get(url))


def test_dashboard_queries_do_not_grow_with_entries(client, db, app, organizer, make_contest, make_user,
                                                    make_entry):
    contest = make_contest()
    judge, creator = make_user(Role.JUDGE), make_user()

    def add_entries(n):
        for _ in range(n):
            entry = make_entry(contest=contest, creator=creator, state=EntryState.SUBMITTED)
            db.session.add(Assignment(entry=entry, judge=judge))
        contest.entry_seq += n  # as submissions.create_entry does
        db.session.commit()

    def count_queries():
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        db.session.expire_all()  # as in a new request's session
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/organizer/contests/{contest.id}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    add_entries(2)
    forget_progress(contest.id)
    counting = count_queries()
    kept = count_queries()
    add_entries(8)
    forget_progress(contest.id)
    assert count_queries() == counting
    assert count_queries() == kept == counting - 3  # progress numbers (2 queries) and entry count kept


def test_entry_page_shows_scores_per_judge_and_removes_assignments(client, db, organizer, make_contest,
                                                                  make_user, make_entry):
    contest = make_contest()
    entry = make_entry(contest=contest, creator=make_user(), state=EntryState.SUBMITTED)
    done = Assignment(entry=entry, judge=make_user(Role.JUDGE, display_name="张评委"))
    done.review = Review(state=ReviewState.SUBMITTED, total=Decimal("80.000"), comment="很好",
                         scores=[CriterionScore(criterion=c, points=Decimal(p))
                                 for c, p in zip(contest.criteria, ["8.00", "7.50", "9.00"])])
    pending = Assignment(entry=entry, judge=make_user(Role.JUDGE, display_name="赵评委"),
                         review=Review(state=ReviewState.DRAFT))
    db.session.add_all([done, pending])
    db.session.commit()

    html = page(client.get(f"/organizer/entries/{entry.id}"))
    for shown in ("张评委", "7.50", "9.00", "80.000", "很好", "赵评委", "No video uploaded yet."):
        assert shown in html, shown
    assert html.count("/remove") == 1  # only the unsubmitted assignment can be removed

    response = client.post(f"/organizer/assignments/{done.id}/remove")
    assert response.location == f"/organizer/entries/{entry.id}"
    assert "already submitted" in page(client.get(response.location))
    client.post(f"/organizer/assignments/{pending.id}/remove")
    assert [a.id for a in db.session.scalars(select(Assignment))] == [done.id]


def test_disqualify_button_disqualifies_the_entry(client, db, organizer, make_contest, make_user, make_entry):
    contest = make_contest()
    entry = make_entry(contest=contest, creator=make_user(), state=EntryState.SUBMITTED)
    form = page(client.get(f"/organizer/contests/{contest.id}"))
    assert f'href="/organizer/entries/{entry.id}/disqualify"' in form
    response = client.post(f"/organizer/entries/{entry.id}/disqualify", data={"reason": "  与他人作品雷同  "})
    assert response.status_code == 302 and response.location == f"/organizer/contests/{contest.id}"
    db.session.expire_all()
    assert (entry.state, entry.state_reason, entry.state_changed_by_id) == (
        EntryState.DISQUALIFIED, "与他人作品雷同", organizer.id)
    assert entry.state_changed_at is not None
    assert f"Entry {entry.number} disqualified." in page(client.get(response.location))
    assert "与他人作品雷同" in page(client.get(f"/organizer/entries/{entry.id}"))


def test_disqualifying_without_a_reason_is_refused_in_chinese(client, db, organizer, make_contest, make_user,
                                                              make_entry):
    entry = make_entry(contest=make_contest(), creator=make_user(), state=EntryState.SUBMITTED)
    client.set_cookie("lang", "zh")
    response = client.post(f"/organizer/entries/{entry.id}/disqualify", data={"reason": "   "})
    assert response.status_code == 200
    assert "请填写取消资格的原因，创作者会看到它。" in page(response)
    long = "违" * 1001
    response = client.post(f"/organizer/entries/{entry.id}/disqualify", data={"reason": long})
    assert "原因最多 1000 个字符。" in page(response) and long in page(response)  # the input is kept
    db.session.expire_all()
    assert (entry.state, entry.state_reason) == (EntryState.SUBMITTED, None)


def test_contest_list_counts_entries_by_state(client, organizer, make_contest, make_user, make_entry):
    contest = make_contest(title="侨乡短视频")
    creator = make_user()
    for state in (EntryState.SUBMITTED, EntryState.SUBMITTED, EntryState.DRAFT):
        make_entry(contest=contest, creator=creator, state=state)
    html = page(client.get("/organizer/"))
    assert "侨乡短视频" in html and contest.code in html
    assert '<td class="text-end">2</td>' in html and '<td class="text-end">1</td>' in html
