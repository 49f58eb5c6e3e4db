import random
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contest.services.judging.conflicts import (
    ConflictError, ConflictReason, ConflictSource, DeclaredRecusal, EntryTies, JudgeTies, derive_conflicts,
    normalise_org,
)

S = ConflictSource


@pytest.mark.parametrize("name", [
    "杭州星河传媒",
    "杭州 星河传媒有限公司",
    "杭州星河传媒有限责任公司",
    "杭州星河传媒（有限公司）",
    "杭州星河传媒(有限公司)",
    "杭州星河传媒股份有限公司",
    "杭州星河传媒（集团）有限公司",
    "杭州星河传媒集团股份有限公司",
    "　杭州星河传媒\u200b公司　",
    "杭州·星河传媒 有限公司。",
])
def test_company_form_spacing_and_punctuation_variants_are_one_name(name):
    assert normalise_org(name) == "杭州星河传媒"


@pytest.mark.parametrize("name, key", [
    ("ＡＢＣ　Ｍｅｄｉａ", "abcmedia"),
    ("ABC Media Co., Ltd.", "abcmedia"),
    ("abc media company limited", "abcmedia"),
    ("ABC-Media Group Inc.", "abcmedia"),
    ("Ｘ１２３文化", "x123文化"),
    ("Disco", "disco"),  # "co" is a company form only as a word of its own
    ("杭州星河传媒有限公司上海分公司", "杭州星河传媒有限公司上海分公司"),  # a branch is its own unit
])
def test_full_width_latin_and_latin_company_forms(name, key):
    assert normalise_org(name) == key


@pytest.mark.parametrize("name", [None, "", "   ", "　", "无", "个人", "N/A", "（无）", "有限公司", "公司"])
def test_empty_and_placeholder_names_give_no_key(name):
    assert normalise_org(name) == ""


def test_different_companies_stay_different():
    assert normalise_org("杭州星河传媒有限公司") != normalise_org("杭州星海传媒有限公司")
    assert normalise_org("星河传媒") != normalise_org("星河文化传媒")


@given(st.text(max_size=20))
def test_normalising_is_idempotent_and_leaves_no_space_or_punctuation(name):
    key = normalise_org(name)
    assert normalise_org(key) == key
    assert not any(unicodedata.category(ch)[0] in "ZPC" for ch in key)


def judges():
    return [
        JudgeTies(1, unit="杭州星河传媒有限公司", mcn=None, user_id=101),
        JudgeTies(2, unit="浙江传媒学院", mcn="无忧MCN", user_id=102),
        JudgeTies(3, unit=None, mcn="  ", user_id=None),
        JudgeTies(4, unit="无", mcn="个人", user_id=104),
    ]


def test_same_unit_same_mcn_and_creator_are_found_with_their_source():
    entries = [
        EntryTies(10, creator_user_ids=(500,), creator_units=("杭州 星河传媒（有限公司）",)),
        EntryTies(11, creator_user_ids=(501, 102), creator_mcns=("无忧ＭＣＮ有限责任公司",)),
        EntryTies(12, creator_user_ids=(502,), creator_units=("个人",), creator_mcns=("",)),
        EntryTies(13, creator_user_ids=(503,), creator_units=("浙江传媒学院",), creator_mcns=("杭州星河传媒",)),
    ]
    found = derive_conflicts(judges(), entries)
    assert found == {
        (1, 10): (ConflictReason(S.SAME_UNIT, "杭州星河传媒"),),
        (2, 11): (ConflictReason(S.SAME_MCN, "无忧mcn"), ConflictReason(S.CREATOR)),
        (2, 13): (ConflictReason(S.SAME_UNIT, "浙江传媒学院"),),
        (1, 13): (ConflictReason(S.SAME_MCN, "杭州星河传媒"),),
    }


def test_placeholders_and_empty_names_never_conflict():
    entries = [EntryTies(20, creator_units=("无", "", "个人"), creator_mcns=("N/A",))]
    assert derive_conflicts(judges(), entries) == {}


def test_declared_and_organizer_pairs_keep_their_reason():
    found = derive_conflicts(
        judges(), [EntryTies(30, creator_units=("杭州星河传媒",))],
        declared_pairs=[DeclaredRecusal(1, 30, "指导过该作品"), DeclaredRecusal(3, 31, "亲属")],
        organizer_pairs=[(4, 30), (3, 31, "举报核实")])
    assert found == {
        (1, 30): (ConflictReason(S.SAME_UNIT, "杭州星河传媒"), ConflictReason(S.DECLARED, "指导过该作品")),
        (3, 31): (ConflictReason(S.DECLARED, "亲属"), ConflictReason(S.ORGANIZER, "举报核实")),
        (4, 30): (ConflictReason(S.ORGANIZER, ""),),
    }


def test_a_recusal_without_a_reason_is_refused():
    with pytest.raises(ConflictError) as raised:
        derive_conflicts(judges(), [], declared_pairs=[DeclaredRecusal(2, 40, "  ")])
    assert "judge 2" in raised.value.message and "entry 40" in raised.value.message


@given(st.integers(0, 2**32 - 1))
def test_the_index_finds_exactly_the_pairs_a_pairwise_comparison_finds(seed):
    rng = random.Random(seed)
    names = ["杭州星河传媒有限公司", "杭州星河传媒", "浙江 传媒学院", "无", "", "ABC Co., Ltd.", "ａｂｃ"]
    judges = [JudgeTies(j, unit=rng.choice(names), mcn=rng.choice(names), user_id=rng.choice([None, j + 100]))
              for j in range(6)]
    entries = [EntryTies(e, creator_user_ids=tuple(rng.sample(range(100, 108), 2)),
                         creator_units=tuple(rng.sample(names, 2)), creator_mcns=(rng.choice(names),))
               for e in range(8)]
    expected = set()
    for judge in judges:
        mine = {normalise_org(judge.unit), normalise_org(judge.mcn)} - {""}
        for entry in entries:
            theirs = {normalise_org(n) for n in entry.creator_units + entry.creator_mcns} - {""}
            if mine & theirs or judge.user_id in entry.creator_user_ids:
                expected.add((judge.judge_id, entry.entry_id))
    assert set(derive_conflicts(judges, entries)) == expected


@pytest.mark.parametrize("name, key", [("C:O", ""), ("Ltd Co", ""), ("星河 co 公司", "星河"), ("星河c.o.", "星河")])
def test_forms_exposed_by_another_step_are_dropped_too_and_the_key_is_stable(name, key):
    assert normalise_org(name) == key and normalise_org(key) == key
