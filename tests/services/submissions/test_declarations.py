"""Declarations: defaults, versions of edited texts, what a submit records, and refusals."""
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from contest.models import (
    AigcUse,
    DeclarationAcceptance,
    DeclarationKey,
    EntryState,
    Video,
    VideoState,
    utcnow,
)
from contest.services.submissions import entries as submissions
from contest.services.submissions.declarations import (
    DeclarationAnswers,
    accept_declarations,
    contest_declarations,
    update_declarations,
)
from contest.services.submissions.errors import SubmissionError
from tests.conftest import ALL_DECLARED

EVERY = frozenset(key.value for key in DeclarationKey)


@pytest.fixture
def contest(make_contest):
    return make_contest()


@pytest.fixture
def entry(db, contest, make_user, make_entry):
    entry = make_entry(contest=contest, creator=make_user())
    entry.video = Video(original_name="a.mp4", original_key="originals/x", bytes=1, sha256="0" * 64,
                        state=VideoState.READY, rendition_key="renditions/x")
    db.session.commit()
    return entry


def test_every_contest_has_three_chinese_defaults_at_version_1(contest):
    declarations = contest_declarations(contest=contest)
    assert [(d.key, d.version) for d in declarations] == [
        (DeclarationKey.ORIGINALITY, 1), (DeclarationKey.RIGHTS, 1), (DeclarationKey.AIGC, 1)]
    # the default words are the site's language (Chinese) whoever reads them: their hash does not move
    assert declarations[0].text.startswith("本人承诺：本作品为本人") and "肖像权" in declarations[1].text
    assert "生成式人工智能" in declarations[2].text
    assert [d.title for d in declarations] == ["Originality pledge", "Portrait and music rights",
                                               "AIGC declaration"]


def test_an_edited_text_gets_the_next_version_and_unchanged_ones_keep_theirs(db, contest, organizer):
    assert update_declarations(contest=contest, texts={"originality": "  原创，第二版。 "}, by=organizer) == [
        DeclarationKey.ORIGINALITY]
    unchanged = contest_declarations(contest=contest)[1].text
    assert update_declarations(contest=contest, texts={"originality": "原创，第三版。", "rights": unchanged},
                               by=organizer) == [DeclarationKey.ORIGINALITY]
    db.session.commit()
    declarations = contest_declarations(contest=contest)
    assert [(d.text[:7], d.version) for d in declarations][:2] == [("原创，第三版。", 3), ("本人承诺：作品", 1)]


def test_an_empty_text_is_refused(db, contest, organizer):
    with pytest.raises(SubmissionError) as error:
        update_declarations(contest=contest, texts={"aigc": "   "}, by=organizer)
    assert error.value.reasons == ["The text of “AIGC declaration” cannot be empty."]


def test_submitting_records_each_text_version_hash_time_and_the_aigc_answer(db, contest, entry, organizer):
    update_declarations(contest=contest, texts={"rights": "肖像与音乐均已授权。"}, by=organizer)
    at = utcnow()
    answers = DeclarationAnswers(accepted=EVERY, aigc_use="partly", aigc_tools="  即梦   可灵 ")
    submissions.submit_entry(entry=entry, answers=answers, at=at)
    db.session.commit()
    rows = {row.key: row for row in db.session.scalars(select(DeclarationAcceptance))}
    assert set(rows) == set(DeclarationKey)
    rights = rows[DeclarationKey.RIGHTS]
    assert (rights.version, rights.text, rights.accepted_at) == (2, "肖像与音乐均已授权。", at)
    assert rights.text_hash == hashlib.sha256("肖像与音乐均已授权。".encode()).hexdigest()
    aigc = rows[DeclarationKey.AIGC]
    assert (aigc.aigc_use, aigc.aigc_tools) == (AigcUse.PARTLY, "即梦 可灵")
    assert rows[DeclarationKey.ORIGINALITY].version == 1

    # a later edit leaves what was accepted alone
    update_declarations(contest=contest, texts={"rights": "新文本"}, by=organizer)
    db.session.commit()
    db.session.refresh(rights)
    assert (rights.version, rights.text) == (2, "肖像与音乐均已授权。")


@pytest.mark.parametrize("answers, reasons", [
    (DeclarationAnswers(), ["Tick “Originality pledge” to accept it.",
                            "Tick “Portrait and music rights” to accept it.",
                            "Tick “AIGC declaration” to accept it.",
                            "Say whether generative AI was used to make this entry."]),
    (DeclarationAnswers(accepted=EVERY - {"rights"}, aigc_use="none"),
     ["Tick “Portrait and music rights” to accept it."]),
    (DeclarationAnswers(accepted=EVERY, aigc_use="mainly", aigc_tools=" "),
     ["Name the AI tool(s) used, e.g. 即梦, 可灵, Midjourney."]),
    (DeclarationAnswers(accepted=EVERY, aigc_use="maybe"),
     ["Say whether generative AI was used to make this entry."]),
])
def test_a_submit_without_every_answer_is_refused_and_writes_nothing(db, entry, answers, reasons):
    with pytest.raises(SubmissionError) as error:
        submissions.submit_entry(entry=entry, answers=answers)
    assert error.value.reasons == reasons
    db.session.rollback()
    assert entry.state == EntryState.DRAFT
    assert db.session.scalar(select(DeclarationAcceptance.id)) is None


def test_none_keeps_no_tools_and_a_new_submit_replaces_the_answers(db, entry):
    accept_declarations(entry=entry, answers=DeclarationAnswers(EVERY, "none", "即梦"), at=utcnow())
    later = utcnow() + timedelta(minutes=5)
    accept_declarations(entry=entry, answers=ALL_DECLARED, at=later)
    db.session.commit()
    rows = db.session.scalars(select(DeclarationAcceptance)).all()
    assert len(rows) == 3 and {row.accepted_at for row in rows} == {later}
    assert [row.aigc_tools for row in rows if row.key == DeclarationKey.AIGC] == [""]
