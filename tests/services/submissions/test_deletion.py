"""Deleting a draft: rows at once, files after the commit, the number not reused, the counts drop."""
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from contest.infra.storage import get_storage
from contest.models import Assignment, Entry, EntryState, PlayCount, PlayView, Video, VideoState, utcnow
from contest.services.contests.queries import entry_total
from contest.services.metrics.plays import record_play
from contest.services.submissions import entries as submissions
from contest.services.submissions.deletion import delete_draft
from contest.services.submissions.errors import SubmissionError
from tests.conftest import stored_keys
from tests.people import Role


@pytest.fixture
def contest(make_contest):
    return make_contest(code="XH2026", max_entries_per_creator=2)


def new_entry(contest, creator):
    return submissions.create_entry(contest=contest, creator=creator, category=contest.categories[0],
                                    title="作品")


def stored_video(db, entry) -> Video:
    storage = get_storage()
    keys = [storage.save(f"{kind}/{entry.id}", io.BytesIO(b"x" * 10)).key
            for kind in ("originals", "renditions")]
    entry.video = Video(original_name="a.mp4", original_key=keys[0], rendition_key=keys[1], bytes=10,
                        sha256="0" * 64, state=VideoState.READY)
    db.session.commit()
    return entry.video


def count(db, model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_a_draft_goes_with_its_video_and_plays_and_its_files_after_the_commit(app, db, contest, creator):
    entry = new_entry(contest, creator)
    stored_video(db, entry)
    record_play(entry=entry, viewer_key="user:99")
    db.session.commit()
    assert stored_keys(app) == [f"originals/{entry.id}", f"renditions/{entry.id}"]

    assert delete_draft(entry=entry) == "XH2026-0001"
    assert (count(db, Entry), count(db, Video), count(db, PlayCount), count(db, PlayView)) == (0, 0, 0, 0)
    assert len(stored_keys(app)) == 2  # not before the commit
    db.session.commit()
    assert stored_keys(app) == []


def test_a_rolled_back_deletion_keeps_the_files(app, db, contest, creator):
    entry = new_entry(contest, creator)
    stored_video(db, entry)
    delete_draft(entry=entry)
    db.session.rollback()
    assert count(db, Entry) == 1 and len(stored_keys(app)) == 2


def test_the_number_is_not_reused_and_the_creators_count_drops(db, contest, creator):
    new_entry(contest, creator)
    second = new_entry(contest, creator)
    db.session.commit()
    assert submissions.count_active_entries(contest=contest, creator=creator) == 2
    delete_draft(entry=second)
    db.session.commit()
    assert submissions.count_active_entries(contest=contest, creator=creator) == 1
    assert new_entry(contest, creator).number == "XH2026-0003"  # at the limit of 2 again, a new number


def test_the_kept_entry_total_drops_with_the_deletion(app, db, contest, creator):
    app.config["PROGRESS_CACHE_S"] = 3600
    first, second = new_entry(contest, creator), new_entry(contest, creator)
    db.session.commit()
    assert entry_total(contest=contest) == 2
    delete_draft(entry=second)
    assert entry_total(contest=contest) == 2  # kept until the commit
    db.session.commit()
    assert entry_total(contest=contest) == 1
    assert first.number == "XH2026-0001"


def test_only_a_draft_of_an_open_window_without_judges_can_be_deleted(db, contest, creator, make_contest,
                                                                      make_entry, make_user):
    submitted = make_entry(contest=contest, creator=creator, state=EntryState.SUBMITTED)
    with pytest.raises(SubmissionError, match="Only a draft can be deleted"):
        delete_draft(entry=submitted)
    assigned = make_entry(contest=contest, creator=creator)
    db.session.add(Assignment(entry_id=assigned.id, judge_id=make_user(Role.JUDGE).id))
    db.session.commit()
    with pytest.raises(SubmissionError, match="Judges are assigned"):
        delete_draft(entry=assigned)
    closed = make_contest(opens_at=utcnow() - timedelta(days=2), closes_at=utcnow() - timedelta(days=1))
    late = make_entry(contest=closed, creator=creator)
    with pytest.raises(SubmissionError, match="Submissions closed"):
        delete_draft(entry=late)
    assert count(db, Entry) == 3
