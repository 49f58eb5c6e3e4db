"""A blind round, end to end on a real video whose file name and metadata carry the creator's name: every page,
JSON answer and file a judge can reach — the queue, the entry page, the recusal page, the rendition, the
preview copy, the poster (read with ffprobe and as raw bytes) and the play counter — holds no trace of who made
the entry."""
import json
import subprocess

import pytest
from sqlalchemy import select

from contest.models import Assignment, Entry, VideoState
from tests.people import Role
from tests.conftest import SUBMIT_FORM, fetch_media, media

pytestmark = pytest.mark.slow

CREATOR_NAME, CREATOR_LOGIN, CREATOR_UNIT = "创作者小明", "xiaoming", "星河传媒"
FILE_NAME = "小明_星河传媒_作品.mp4"


def with_identifying_metadata(tmp_path):
    """A 3 s copy of a sample whose container tags name the creator (as phone and editing apps write them)."""
    out = tmp_path / FILE_NAME
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(media("plain_h264_aac_1280x720_25fps.mp4")),
                    "-t", "3", "-c", "copy", "-metadata", f"title={CREATOR_NAME}的作品",
                    "-metadata", f"artist={CREATOR_LOGIN}", "-metadata", f"comment={CREATOR_UNIT}", str(out)],
                   check=True, timeout=60)
    return out


def ffprobe_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "probe.bin"
    path.write_bytes(data)
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                          str(path)], capture_output=True, timeout=60)
    return out.stdout.decode("utf-8", "replace")


def assert_anonymous(label: str, text: str) -> None:
    for secret in (CREATOR_NAME, CREATOR_LOGIN, CREATOR_UNIT, FILE_NAME, "小明"):
        assert secret not in text, f"{label} reveals {secret!r}"


def test_nothing_a_blind_judge_can_reach_names_the_creator(app, db, client, login, make_user, make_contest,
                                                          tmp_path):
    contest = make_contest()
    creator = make_user(Role.CREATOR, username=CREATOR_LOGIN, display_name=CREATOR_NAME)
    creator.unit = CREATOR_UNIT
    db.session.commit()
    judge = make_user(Role.JUDGE)
    source = with_identifying_metadata(tmp_path)
    with pytest.raises(AssertionError):  # the check sees the tags the upload carries
        assert_anonymous("the upload", ffprobe_text(source.read_bytes(), tmp_path))

    login(creator)
    response = client.post(f"/my/contests/{contest.id}/entries/new",
                           data={"category": contest.categories[0].id, "title": "湖边的早晨",
                                 "description": "一段原创短片"})
    entry_id = int(response.location.rstrip("/").split("/")[-1])
    with source.open("rb") as fh:
        assert client.post(f"/my/entries/{entry_id}/video", data={"video": (fh, FILE_NAME)},
                           content_type="multipart/form-data").status_code == 302
    assert client.post(f"/my/entries/{entry_id}/submit", data=SUBMIT_FORM).status_code == 302
    entry = db.session.get(Entry, entry_id)
    db.session.refresh(entry.video)
    assert entry.video.state == VideoState.READY, entry.video.error
    assert contest.rounds[0].blind
    db.session.add(Assignment(judge=judge, entry=entry))
    db.session.commit()

    login(judge)
    for url in ("/judge/", f"/judge/entries/{entry_id}", f"/judge/entries/{entry_id}/recuse"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_anonymous(url, response.get_data(as_text=True) + json.dumps(dict(response.headers)))
    for kind in ("video", "preview", "poster"):
        answer = client.get(f"/watch/{entry_id}/{kind}")  # the bytes, or on S3 a presigned link to them
        assert_anonymous(f"{kind} answer", json.dumps(dict(answer.headers), ensure_ascii=False))
        response = fetch_media(client, f"/watch/{entry_id}/{kind}")
        assert response.status == 200, kind
        data = response.data
        assert_anonymous(f"{kind} headers", json.dumps(dict(response.headers), ensure_ascii=False))
        assert_anonymous(f"{kind} metadata", ffprobe_text(data, tmp_path))
        for secret in (CREATOR_NAME, CREATOR_LOGIN, CREATOR_UNIT):
            assert secret.encode() not in data, f"{kind} bytes carry {secret!r}"
    plays = client.post(f"/watch/{entry_id}/plays")
    assert plays.status_code == 200
    assert_anonymous("play counter", plays.get_data(as_text=True))
