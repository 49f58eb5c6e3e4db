"""The submit page asks for the declarations; the organizer edits them and sees what an entry accepted."""
import re

import pytest
from sqlalchemy import func, select

from contest.models import DeclarationAcceptance, EntryState, Video, VideoState
from tests.conftest import SUBMIT_FORM
from tests.people import Role


@pytest.fixture
def creator(make_user):
    return make_user(Role.CREATOR)


@pytest.fixture
def entry(db, make_contest, make_entry, creator):
    entry = make_entry(contest=make_contest(code="XH2026"), creator=creator, title="我的家乡")
    entry.video = Video(original_name="a.mp4", original_key="originals/x", bytes=1, sha256="0" * 64,
                        state=VideoState.READY, rendition_key="renditions/x")
    db.session.commit()
    return entry


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_submit_page_shows_each_declaration_with_a_box(client, login, creator, entry):
    login(creator)
    page = text(client.get(f"/my/entries/{entry.id}/submit"))
    for key in ("originality", "rights", "aigc"):
        assert f'data-declaration="{key}" data-version="1"' in page and f'name="{key}"' in page
    assert "原创承诺" in page and "肖像权与音乐版权" in page and "AIGC 声明" in page
    assert 'name="aigc_use"' in page and 'name="aigc_tools"' in page


def test_a_submit_without_the_declarations_is_refused_in_chinese_with_the_input_kept(client, db, login,
                                                                                     creator, entry):
    login(creator)
    response = client.post(f"/my/entries/{entry.id}/submit",
                           data={"originality": "y", "aigc_use": "partly", "aigc_tools": ""})
    page = text(response)
    assert response.status_code == 200
    assert "请勾选接受“肖像权与音乐版权”。" in page and "请勾选接受“AIGC 声明”。" in page
    assert "请写明所用的人工智能工具" in page and "请勾选接受“原创承诺”" not in page
    # the answers given are kept
    assert re.search(r'<input checked[^>]*name="originality"', page)
    assert not re.search(r'<input checked[^>]*name="rights"', page)
    assert re.search(r'<input checked[^>]*value="partly"', page)
    db.session.expire_all()
    assert entry.state == EntryState.DRAFT
    assert db.session.scalar(select(func.count(DeclarationAcceptance.id))) == 0


def test_a_submit_with_the_declarations_is_shown_to_the_organizer(client, db, login, creator, entry,
                                                                 make_user):
    login(creator)
    response = client.post(f"/my/entries/{entry.id}/submit",
                           data={**SUBMIT_FORM, "aigc_use": "mainly", "aigc_tools": "可灵"})
    assert response.status_code == 302 and response.location == f"/my/entries/{entry.id}"
    db.session.expire_all()
    assert entry.state == EntryState.SUBMITTED
    login(make_user(Role.ORGANIZER))
    page = text(client.get(f"/organizer/entries/{entry.id}"))
    assert "已接受的声明" in page and "第 1 版" in page
    assert "AIGC: 主要由生成式人工智能制作：可灵" in page


def test_the_organizer_edits_a_text_and_its_version_moves_on(client, db, login, entry, make_user):
    login(make_user(Role.ORGANIZER))
    contest_id = entry.contest_id
    page = text(client.get(f"/organizer/contests/{contest_id}/declarations"))
    assert "本人承诺：本作品为本人" in page and "第 1 版" in page
    form = {"originality": "本作品系原创。", "rights": "肖像与音乐均已授权。", "aigc": "如实说明 AIGC 的使用。"}
    response = client.post(f"/organizer/contests/{contest_id}/declarations", data=form)
    assert response.status_code == 302
    assert text(client.get(response.location)).count("第 2 版") == 3
    response = client.post(f"/organizer/contests/{contest_id}/declarations", data={**form, "aigc": " "})
    assert "“AIGC 声明”的内容不能为空。" in text(response) and "本作品系原创。" in text(response)
