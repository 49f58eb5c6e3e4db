"""State labels and colours (contest/labels.py): one definition for every badge, and the pages draw from it."""
from datetime import timedelta

import pytest
from flask_babel import refresh

from contest.labels import STATE_LABELS, state_badge, state_label, window_state
from contest.models import Assignment, EntryState, Review, ReviewState, Video, VideoState, utcnow
from tests.people import Role


def test_every_state_of_every_model_has_a_label_and_nothing_else_does():
    assert set(STATE_LABELS["entry"]) == set(EntryState)
    assert set(STATE_LABELS["video"]) == set(VideoState) | {None}  # None: no video yet
    assert set(STATE_LABELS["review"]) == set(ReviewState) | {None}  # None: not started
    assert set(STATE_LABELS["window"]) == {"upcoming", "open", "closed"}


def test_a_badge_is_the_translated_label_in_its_colour(app):
    with app.test_request_context():  # Chinese unless the lang cookie says otherwise
        assert state_badge("entry", EntryState.DRAFT) == \
            '<span class="badge text-bg-secondary" data-state="draft">草稿</span>'
        assert state_badge("review", None) == '<span class="badge text-bg-secondary" data-state="">未开始</span>'
        assert state_badge("video", VideoState.FAILED, prefix="视频：", title='"坏" 文件') == \
            '<span class="badge text-bg-danger" data-state="failed" title="&#34;坏&#34; 文件">视频：处理失败</span>'
        assert state_label("window", "closed") == "已截止"
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        refresh()  # the locale is kept per app context, which the test's app fixture holds
        assert state_label("entry", EntryState.WITHDRAWN) == "Withdrawn"
    with pytest.raises(KeyError):
        state_label("entry", "archived")


def test_window_state_follows_the_clock():
    now = utcnow()
    assert window_state(now + timedelta(hours=1), now + timedelta(days=1), now) == "upcoming"
    assert window_state(now - timedelta(hours=1), now + timedelta(days=1), now) == "open"
    assert window_state(now - timedelta(days=2), now - timedelta(days=1), now) == "closed"
    assert window_state(now, now + timedelta(days=1), now) == "open"  # opens_at is inside the window


def expected_badges(app, kind, states):
    with app.test_request_context():
        return [state_badge(kind, state, title=None) for state in states]


def test_organizer_pages_draw_every_entry_and_video_state_from_the_definition(
        app, db, client, login, make_user, make_contest, make_entry):
    contest, creator = make_contest(), make_user(Role.CREATOR)
    for state in EntryState:
        make_entry(contest=contest, creator=creator, state=state)
    without_video = make_entry(contest=contest, creator=creator)
    for n, state in enumerate(VideoState):
        entry = make_entry(contest=contest, creator=creator)
        db.session.add(Video(entry=entry, original_name="a.mp4", original_key=f"originals/{n}.mp4", bytes=1,
                             state=state))
    db.session.commit()
    login(make_user(Role.ORGANIZER))

    page = client.get(f"/organizer/contests/{contest.id}").get_data(as_text=True)
    for badge in expected_badges(app, "entry", EntryState) + expected_badges(app, "video", list(VideoState)):
        assert badge in page
    assert expected_badges(app, "window", ["open"])[0] in client.get("/organizer/").get_data(as_text=True)
    detail = client.get(f"/organizer/entries/{without_video.id}").get_data(as_text=True)
    assert expected_badges(app, "video", [None])[0] in detail and "尚未上传视频" in detail


def test_judge_pages_draw_every_review_state_from_the_definition(app, db, client, login, make_user, make_contest,
                                                                make_entry):
    contest, creator, judge = make_contest(), make_user(Role.CREATOR), make_user(Role.JUDGE)
    entries = [make_entry(contest=contest, creator=creator, state=EntryState.SUBMITTED) for _ in range(3)]
    assignments = [Assignment(judge=judge, entry=entry) for entry in entries]
    db.session.add_all(assignments)
    db.session.flush()
    for assignment, state in zip(assignments[1:], ReviewState):
        db.session.add(Review(assignment=assignment, state=state))
    db.session.commit()
    login(judge)

    page = client.get("/judge/").get_data(as_text=True)
    for badge in expected_badges(app, "review", [None, *ReviewState]):
        assert page.count(badge) == 1
    detail = client.get(f"/judge/entries/{entries[0].id}").get_data(as_text=True)
    assert expected_badges(app, "review", [None])[0] in detail


def test_creator_pages_draw_entry_and_video_states_from_the_definition(app, db, client, login, make_user,
                                                                      make_contest, make_entry):
    contest, creator = make_contest(), login(make_user(Role.CREATOR))
    entry = make_entry(contest=contest, creator=creator)
    db.session.add(Video(entry=entry, original_name="a.mp4", original_key="originals/a.mp4", bytes=1,
                         state=VideoState.PROCESSING))
    bare = make_entry(contest=contest, creator=creator, state=EntryState.WITHDRAWN)
    db.session.commit()

    listing = client.get("/my/").get_data(as_text=True)
    with app.test_request_context():
        assert state_badge("entry", EntryState.DRAFT) in listing
        assert state_badge("entry", EntryState.WITHDRAWN) in listing
        assert state_badge("video", VideoState.PROCESSING, prefix="视频: ") in listing
        assert state_badge("video", None) in listing
    assert bare.number in listing
