"""The fast media job view tests get by default (tests/fast_media.py, tests/views/conftest.py): a real upload
through the view ends with a ready video whose outputs are the session's tiny files, and ``real_media`` keeps
the real job."""
import pytest
from sqlalchemy import select

from contest.infra import tasks
from contest.infra.storage import get_storage
from contest.models import Video, VideoState
from contest.services.media import jobs
from tests.conftest import media, stored_keys
from tests.people import Role

PLAIN = "plain_h264_aac_1280x720_25fps.mp4"


def upload(client, entry):
    with open(media(PLAIN), "rb") as stream:
        return client.post(f"/my/entries/{entry.id}/video", data={"video": (stream, "a.mp4")},
                           content_type="multipart/form-data")


@pytest.fixture
def entry(make_user, make_contest, make_entry, login):
    return make_entry(contest=make_contest(), creator=login(make_user(Role.CREATOR)))


def test_an_upload_is_made_ready_with_copies_of_the_tiny_outputs(app, client, db, entry, tiny_media):
    assert upload(client, entry).status_code == 302
    video = db.session.scalar(select(Video))
    assert (video.state, video.progress, video.attempts, video.error) == (VideoState.READY, 1.0, 1, None)
    assert (video.width, video.height) == (1280, 720)  # the original's facts, probed by the upload view
    assert (video.rendition_width, video.rendition_height) == (160, 90)
    storage = get_storage()
    for field, name in (("poster_key", "poster.jpg"), ("rendition_key", "rendition.mp4"),
                        ("preview_key", "preview.mp4")):
        with storage.local_path(getattr(video, field)) as path:
            assert path.read_bytes() == tiny_media.path(name).read_bytes(), field
    assert video.rendition_bytes == tiny_media.path("rendition.mp4").stat().st_size
    assert len(stored_keys(app)) == 4


def test_a_second_upload_replaces_the_outputs_and_deletes_the_old_ones(app, client, db, entry):
    upload(client, entry)
    first = db.session.scalar(select(Video.rendition_key))
    video = db.session.scalar(select(Video))
    video.state = VideoState.PROCESSING  # processed again (e.g. the organizer's re-run)
    db.session.commit()
    tasks.enqueue("process_video", video.id)
    db.session.refresh(video)
    assert video.state == VideoState.READY and video.attempts == 2 and video.rendition_key != first
    assert not get_storage().exists(first) and len(stored_keys(app)) == 4


@pytest.mark.real_media
def test_real_media_keeps_the_real_job():
    assert tasks.TASKS["process_video"] is jobs.process_video
