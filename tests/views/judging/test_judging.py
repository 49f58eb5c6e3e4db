from decimal import Decimal

import pytest
from sqlalchemy import select

from contest.models import (
    Assignment,
    CriterionScore,
    EntryState,
    ReplacementPermit,
    Review,
    ReviewState,
    Video,
    VideoState,
    VoidedReview,
    utcnow,
)
from tests.people import Role

D = Decimal


@pytest.fixture
def judge(make_user, login):
    return login(make_user(Role.JUDGE, display_name="评委甲"))


@pytest.fixture
def contest(make_contest):
    return make_contest()  # rubric 主题契合 40 / 创意 30 / 制作水平 30, each out of 10


@pytest.fixture
def creator(make_user):
    return make_user(Role.CREATOR, display_name="创作者小明")


@pytest.fixture
def entry_for(db, make_entry, creator, contest):
    """``entry_for(judge)`` makes a submitted entry assigned to ``judge`` (or to nobody with None)."""

    def make(judge, *, state=EntryState.SUBMITTED, **kwargs):
        entry = make_entry(contest=contest, creator=creator, state=state, **kwargs)
        if judge is not None:
            db.session.add(Assignment(judge=judge, entry=entry))
            db.session.commit()
        return entry

    return make


def form_data(contest, *points, action="save_draft", comment=""):
    data = {f"criterion_{c.id}": p for c, p in zip(contest.criteria, points)}
    data.update({"comment": comment, action: "1"})
    return data


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("lang", "en")


def test_queue_lists_only_my_assignments_with_progress(client, db, judge, make_user, entry_for):
    mine = entry_for(judge, title="我的家乡小河")
    done = entry_for(judge, title="老街的早晨")
    entry_for(make_user(Role.JUDGE), title="别人的作品")
    entry_for(judge, title="撤回的作品", state=EntryState.WITHDRAWN)
    client.post(f"/judge/entries/{done.id}",
                data=form_data(done.contest, "8", "7", "9", action="submit_final"))
    response = client.get("/judge/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "我的家乡小河" in page and "老街的早晨" in page and mine.number in page
    assert "别人的作品" not in page and "撤回的作品" not in page
    assert "1 of 2 submitted" in page and "80.000" in page
    assert page.index("我的家乡小河") < page.index("老街的早晨")  # unscored first


def test_queue_needs_the_judge_role(client, make_user, login):
    login(make_user(Role.CREATOR))
    assert client.get("/judge/").status_code == 403
    client.post("/auth/logout")
    assert client.get("/judge/").status_code == 302


@pytest.mark.parametrize("case, status", [
    ("assigned", 200), ("assigned to another judge", 404), ("not assigned", 404),
    ("withdrawn", 404), ("draft", 404), ("missing", 404),
])
def test_entry_page_is_only_for_assigned_submitted_entries(client, judge, make_user, entry_for, case, status):
    entry = {
        "assigned": lambda: entry_for(judge),
        "assigned to another judge": lambda: entry_for(make_user(Role.JUDGE)),
        "not assigned": lambda: entry_for(None),
        "withdrawn": lambda: entry_for(judge, state=EntryState.WITHDRAWN),
        "draft": lambda: entry_for(judge, state=EntryState.DRAFT),
        "missing": lambda: None,
    }[case]()
    response = client.get(f"/judge/entries/{entry.id if entry else 999}")
    assert response.status_code == status


def test_entry_page_shows_the_work_and_rubric_but_not_the_creator(client, judge, entry_for, contest):
    entry = entry_for(judge, title="我的家乡小河", description="拍摄于清晨的河边")
    page = client.get(f"/judge/entries/{entry.id}").get_data(as_text=True)
    assert "我的家乡小河" in page and "拍摄于清晨的河边" in page and "微视频组" in page
    assert "创作者小明" not in page
    for criterion in contest.criteria:
        assert f'name="criterion_{criterion.id}"' in page and criterion.name in page
    assert 'inputmode="decimal"' in page and 'step="0.5"' in page and 'max="10"' in page
    assert "weight 40%" in page
    assert 'name="save_draft"' in page and 'name="submit_final"' in page and "data-confirm=" in page


def test_ready_video_shows_poster_in_queue_and_player_on_entry_page(client, db, judge, entry_for):
    entry = entry_for(judge)
    entry.video = Video(original_name="家乡.mp4", original_key="o/1.mp4", poster_key="p/1.jpg",
                        rendition_key="r/1.mp4", state=VideoState.READY, bytes=1000, sha256="0" * 64)
    db.session.commit()
    assert f'src="/watch/{entry.id}/poster"' in client.get("/judge/").get_data(as_text=True)
    page = client.get(f"/judge/entries/{entry.id}").get_data(as_text=True)
    assert "<video" in page and f"/watch/{entry.id}/video" in page


def test_saving_a_draft_stores_scores_and_stays_on_the_entry(client, db, judge, entry_for, contest):
    entry = entry_for(judge)
    response = client.post(f"/judge/entries/{entry.id}", data=form_data(contest, "8", "", "9", comment="节奏好"))
    assert response.status_code == 302 and response.location == f"/judge/entries/{entry.id}"
    review = db.session.scalar(select(Review))
    assert review.state == ReviewState.DRAFT and review.total is None and review.comment == "节奏好"
    assert sorted(s.points for s in review.scores) == [D("8.00"), D("9.00")]
    page = client.get(f"/judge/entries/{entry.id}").get_data(as_text=True)
    assert 'value="8"' in page and 'value="9"' in page and "节奏好" in page


def test_submitting_stores_rows_and_total_then_goes_to_the_next_entry(client, db, judge, entry_for, contest):
    first, second = entry_for(judge), entry_for(judge)
    response = client.post(f"/judge/entries/{first.id}",
                           data=form_data(contest, "8", "7.5", "9", action="submit_final"))
    assert response.status_code == 302 and response.location == f"/judge/entries/{second.id}"
    review = db.session.scalar(select(Review))
    assert review.state == ReviewState.SUBMITTED and review.total == D("81.500")  # 32 + 22.5 + 27
    rows = db.session.execute(select(CriterionScore.criterion_id, CriterionScore.points)
                              .order_by(CriterionScore.criterion_id)).all()
    assert rows == [(c.id, p) for c, p in zip(contest.criteria, [D("8"), D("7.5"), D("9")])]
    response = client.post(f"/judge/entries/{second.id}",
                           data=form_data(contest, "5", "5", "5", action="submit_final"))
    assert response.location == "/judge/"


def test_submitted_scores_are_shown_read_only_and_cannot_change(client, db, judge, entry_for, contest):
    entry = entry_for(judge)
    client.post(f"/judge/entries/{entry.id}", data=form_data(contest, "8", "7", "9", action="submit_final"))
    page = client.get(f"/judge/entries/{entry.id}").get_data(as_text=True)
    assert "80.000" in page and 'name="submit_final"' not in page
    response = client.post(f"/judge/entries/{entry.id}", data=form_data(contest, "1", "1", "1"))
    assert response.status_code == 200 and "already submitted" in response.get_data(as_text=True)
    assert db.session.scalar(select(Review.total)) == D("80.000")


@pytest.mark.parametrize("bad, message", [
    ("11", "主题契合: give between 0 and 10 points."),
    ("7.255", "主题契合: use at most two decimals"),
    ("七", "Enter a number such as 7 or 7.5."),
])
def test_bad_value_keeps_all_input_and_shows_the_message(client, db, judge, entry_for, contest, bad, message):
    entry = entry_for(judge)
    response = client.post(f"/judge/entries/{entry.id}",
                           data=form_data(contest, bad, "7.5", "9", action="submit_final", comment="很有感染力"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page and "is-invalid" in page
    assert f'value="{bad}"' in page and 'value="7.5"' in page and "很有感染力" in page
    assert db.session.scalar(select(Review)) is None


def test_submitting_with_a_missing_score_is_refused_next_to_the_field(client, db, judge, entry_for, contest):
    entry = entry_for(judge)
    response = client.post(f"/judge/entries/{entry.id}",
                           data=form_data(contest, "8", "", "9", action="submit_final"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "创意: give a score (0 to 10 points) before submitting." in page
    assert db.session.scalar(select(Review)) is None


def test_queue_has_a_heading_per_contest_with_my_progress_in_it(client, db, judge, make_user, make_contest,
                                                               make_entry, creator, entry_for, contest):
    """Two contests: each gets its heading (title, "k of n submitted" of that contest) over its own entries;
    a voided review's notice stays on its row (the notices are a query of their own next to the page's)."""
    other = make_contest(title="第二届校园微电影节")
    first_a, first_b = entry_for(judge, title="我的家乡小河"), entry_for(judge, title="老街的早晨")
    second = make_entry(contest=other, creator=creator, state=EntryState.SUBMITTED, title="操场上的风")
    assignment = Assignment(judge=judge, entry=second)
    organizer = make_user(Role.ORGANIZER)
    permit = ReplacementPermit(entry=second, reason="换片", allowed_by=organizer)
    db.session.add_all([assignment, permit])
    db.session.flush()
    db.session.add(VoidedReview(assignment=assignment, permit=permit, state=ReviewState.SUBMITTED,
                                saved_at=utcnow(), voided_reason="参赛者上传错了文件", voided_by=organizer))
    db.session.commit()
    client.post(f"/judge/entries/{first_b.id}",
                data=form_data(contest, "8", "7", "9", action="submit_final"))

    page = client.get("/judge/").get_data(as_text=True)
    sections = page.split('class="queue-contest')[1:]
    assert len(sections) == 2
    newer, older = sections  # the newest contest first
    assert other.title in newer and "0 of 1 submitted" in newer and "操场上的风" in newer
    assert "参赛者上传错了文件" in newer and contest.title not in newer
    assert contest.title in older and "1 of 2 submitted" in older
    assert "我的家乡小河" in older and "老街的早晨" in older and first_a.number in older
    assert "参赛者上传错了文件" not in older and "操场上的风" not in older
    assert "1 of 3 submitted" in page
