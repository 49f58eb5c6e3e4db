from dataclasses import fields

import pytest

from contest.models import EntryState, Video, VideoState
from contest.services.submissions.projections import for_judge, for_organizer, for_public
from tests.people import Role


@pytest.fixture
def entry(db, make_user, make_contest, make_entry):
    creator = make_user(Role.CREATOR, username="xiaoming", display_name="创作者小明")
    entry = make_entry(contest=make_contest(), creator=creator, state=EntryState.SUBMITTED, title="西湖晨光")
    entry.video = Video(original_name="我的手机视频.mp4", original_key="originals/x", bytes=10,
                        state=VideoState.FAILED, error="无法识别该视频文件。")
    db.session.commit()
    return entry


def names(view) -> set[str]:
    return {f.name for f in fields(view)}


def test_a_judge_sees_the_work_and_never_the_creator_or_the_file(entry):
    view = for_judge(entry)
    assert names(view) == {"id", "number", "title", "description", "category", "contest", "video",
                           "creator_name"}
    assert view.creator_name is None
    assert not hasattr(view, "creator") and not hasattr(view, "creator_id")
    assert (view.title, view.category.name, view.contest.title) == ("西湖晨光", entry.category.name,
                                                                    entry.contest.title)
    assert [c.name for c in view.contest.criteria] == [c.name for c in entry.contest.criteria]
    assert view.video.state == VideoState.FAILED and view.video.error is None
    assert "我的手机视频" not in repr(view) and "小明" not in repr(view) and "xiaoming" not in repr(view)


def test_a_blind_round_reads_the_redacted_text_and_an_open_round_names_the_creator(db, entry):
    entry.blind_title, entry.blind_description = "作品甲", "（作者信息已隐去）"
    blind = for_judge(entry, blind=True)
    assert (blind.title, blind.description, blind.creator_name) == ("作品甲", "（作者信息已隐去）", None)
    open_ = for_judge(entry, blind=False)
    assert (open_.title, open_.creator_name) == ("西湖晨光", "创作者小明")
    assert "xiaoming" not in repr(open_)


def test_the_public_sees_the_display_name_only(entry):
    view = for_public(entry)
    assert view.creator_name == "创作者小明"
    assert "xiaoming" not in repr(view) and "creator_username" not in names(view)
    assert view.video.error is None


def test_an_organizer_sees_the_creator_and_the_processing_error(entry):
    view = for_organizer(entry)
    assert (view.creator_name, view.creator_username) == ("创作者小明", "xiaoming")
    assert view.video.error == "无法识别该视频文件。"
    assert view.state == EntryState.SUBMITTED


def test_projections_cannot_be_changed(entry):
    view = for_judge(entry)
    with pytest.raises(AttributeError):
        view.title = "changed"
