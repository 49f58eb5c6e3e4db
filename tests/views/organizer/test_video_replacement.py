"""Replacing a reviewed entry's video through the pages: the creator is told why and gets no upload form, every
upload request is refused, the organizer allows it once with a reason (or withdraws it), and after the new
upload the judges are told their scores were voided and the organizer's page lists them."""
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contest.models import Assignment, EntryState, ReplacementPermit, Review, Video
from contest.services.judging.reviews import save_review
from contest.services.uploads import admission
from tests.views.uploads.test_uploads_tus import create as tus_create
from tests.people import Role

LOCKED = "评委已开始评审此作品，不能再更换视频。如需更换，请联系主办方。"
VOIDED = "此作品已更换视频，您之前的评分已作废，请重新评分。"


@pytest.fixture
def people(make_user):
    return {"creator": make_user(Role.CREATOR), "organizer": make_user(Role.ORGANIZER, display_name="主办方甲"),
            "judge": make_user(Role.JUDGE, display_name="评委甲")}


@pytest.fixture
def entry(db, make_contest, make_entry, people):
    """A submitted entry whose judge submitted 8/7/9 (80.000)."""
    contest = make_contest()
    entry = make_entry(contest=contest, creator=people["creator"], state=EntryState.SUBMITTED)
    assignment = Assignment(judge=people["judge"], entry=entry)
    db.session.add(assignment)
    db.session.flush()
    save_review(assignment=assignment, scores={c.id: Decimal(p) for c, p in zip(contest.criteria, "879")},
                comment="", submit=True)
    db.session.commit()
    return entry


def test_the_creator_is_told_why_and_every_upload_is_refused(client, db, login, people, entry):
    login(people["creator"])
    page = client.get(f"/my/entries/{entry.id}").get_data(as_text=True)
    assert LOCKED in page and 'id="upload-form"' not in page and "uppy.min.js" not in page

    response = client.post(f"/my/entries/{entry.id}/video",
                           data={"video": (io.BytesIO(b"\x00" * 2048), "新.mp4")},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and LOCKED in response.get_data(as_text=True)
    tus = tus_create(client, entry, 2048)
    assert tus.status_code == 403 and LOCKED in tus.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Video.id))) == 0


def test_the_organizer_allows_one_new_video_with_a_reason_and_can_withdraw_it(client, db, login, people, entry):
    login(people["organizer"])
    url = f"/organizer/entries/{entry.id}"
    assert 'id="allow-replacement"' in client.get(url).get_data(as_text=True)

    refused = client.post(f"{url}/allow-replacement", data={"reason": "   "})
    assert refused.status_code == 200
    assert "请填写允许更换视频的原因，评委会看到这一原因。" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ReplacementPermit.id))) == 0

    allowed = client.post(f"{url}/allow-replacement", data={"reason": "参赛者上传错了文件"})
    assert allowed.status_code == 302 and allowed.location == url
    permit = db.session.scalar(select(ReplacementPermit))
    assert (permit.reason, permit.allowed_by_id, permit.used_at) == ("参赛者上传错了文件", people["organizer"].id, None)
    page = client.get(url).get_data(as_text=True)
    assert 'id="open-permit"' in page and "参赛者上传错了文件" in page and "撤回许可" in page
    assert 'id="allow-replacement"' not in page

    login(people["creator"])
    page = client.get(f"/my/entries/{entry.id}").get_data(as_text=True)
    assert LOCKED not in page and 'id="upload-form"' in page and "参赛者上传错了文件" in page

    login(people["organizer"])
    assert client.post(f"/organizer/permits/{permit.id}/revoke").status_code == 302
    db.session.refresh(permit)
    assert permit.revoked_by_id == people["organizer"].id and permit.revoked_at is not None
    assert "已由 主办方甲 撤回" in client.get(url).get_data(as_text=True)
    login(people["creator"])
    assert LOCKED in client.get(f"/my/entries/{entry.id}").get_data(as_text=True)


def test_after_the_new_upload_judges_are_told_and_the_organizer_sees_the_voided_scores(client, db, login,
                                                                                       people, entry):
    login(people["organizer"])
    client.post(f"/organizer/entries/{entry.id}/allow-replacement", data={"reason": "参赛者上传错了文件"})
    admission.replace_video(entry=entry, key="originals/new.mp4", size_bytes=1000, sha256="0" * 64,
                            filename="新.mp4")
    entry.state = EntryState.SUBMITTED  # the creator submits the new video
    db.session.commit()
    assert db.session.scalar(select(func.count(Review.id))) == 0

    login(people["judge"])
    queue = client.get("/judge/").get_data(as_text=True)
    assert VOIDED in queue and "原因：参赛者上传错了文件" in queue and "已提交 0 / 1" in queue
    page = client.get(f"/judge/entries/{entry.id}").get_data(as_text=True)
    assert VOIDED in page and "原因：参赛者上传错了文件" in page and 'id="rubric"' in page

    login(people["organizer"])
    page = client.get(f"/organizer/entries/{entry.id}").get_data(as_text=True)
    assert 'id="voided-reviews"' in page and page.count('class="voided-row"') == 1
    row = page.split('class="voided-row"')[1].split("</tr>")[0]
    assert all(value in row for value in ("评委甲", "8.00", "7.00", "9.00", "80.000", "主办方甲", "参赛者上传错了文件"))
    assert "已由" in page and "的上传使用" in page  # the permission, used
