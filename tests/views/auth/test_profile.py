"""One's own profile: real name, phone, unit, MCN and platform accounts, validated with Chinese messages; the
organizers of a contest the user takes part in see it."""
from sqlalchemy import select

from contest.models import Platform, PlatformAccount, User
from tests.people import Role


def profile_form(**overrides) -> dict:
    data = {"real_name": "王小明", "phone": "138 1234 5678", "unit": "西湖区融媒体中心", "mcn": "杭州星河传媒",
            "accounts-0-platform": "douyin", "accounts-0-account_id": "xiaoming_dy",
            "accounts-1-platform": "bilibili", "accounts-1-account_id": "12345678",
            "accounts-2-platform": "kuaishou", "accounts-2-account_id": ""}
    data.update(overrides)
    return data


def test_a_user_saves_their_profile_and_platform_accounts(client, db, make_user, login):
    user = login(make_user())
    page = client.get("/auth/profile").text
    assert "抖音" in page and "视频号" in page and "B站" in page and "今日头条" in page
    response = client.post("/auth/profile", data=profile_form())
    assert response.status_code == 302 and response.location == "/auth/profile"
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.real_name, user.phone, user.unit, user.mcn) == ("王小明", "13812345678", "西湖区融媒体中心",
                                                                 "杭州星河传媒")
    assert [(a.platform, a.account_id) for a in user.platform_accounts] == [
        (Platform.DOUYIN, "xiaoming_dy"), (Platform.BILIBILI, "12345678")]
    shown = client.get("/auth/profile").text
    assert 'value="xiaoming_dy"' in shown and 'value="13812345678"' in shown

    client.post("/auth/profile", data=profile_form(**{"accounts-0-account_id": ""}))
    db.session.expire_all()
    assert db.session.scalars(select(PlatformAccount.account_id)).all() == ["12345678"]


def test_a_bad_phone_and_a_repeated_account_are_refused_in_chinese_with_the_input_kept(client, db, make_user,
                                                                                     login):
    user = login(make_user())
    response = client.post("/auth/profile", data=profile_form(**{
        "phone": "12345", "accounts-1-platform": "douyin", "accounts-1-account_id": "xiaoming_dy"}))
    assert response.status_code == 200
    assert "手机号须为 11 位中国大陆手机号码，例如 13812345678。" in response.text
    assert "抖音账号 xiaoming_dy 重复填写了。" in response.text
    assert 'value="西湖区融媒体中心"' in response.text and 'value="12345"' in response.text
    db.session.expire_all()
    assert db.session.get(User, user.id).unit == "" and db.session.scalar(select(PlatformAccount.id)) is None


def test_organizers_see_the_profile_of_a_creator_in_their_contest_only(client, db, make_user, make_contest,
                                                                       make_entry, login):
    from contest.models import ContestRoleName
    from contest.services.contests import roles

    creator = login(make_user())
    client.post("/auth/profile", data=profile_form())
    mine, other = make_contest(), make_contest()
    make_entry(contest=mine, creator=creator)
    organizer, stranger = make_user(username="org-mine"), make_user(username="org-other")
    roles.grant_role(contest=mine, user=organizer, role=ContestRoleName.ORGANIZER, by=None)
    roles.grant_role(contest=other, user=stranger, role=ContestRoleName.ORGANIZER, by=None)
    db.session.commit()
    login(organizer)
    page = client.get(f"/organizer/users/{creator.id}").text
    assert "王小明" in page and "13812345678" in page and "抖音: xiaoming_dy" in page and "杭州星河传媒" in page
    login(stranger)
    assert client.get(f"/organizer/users/{creator.id}").status_code == 404
    login(make_user(Role.ORGANIZER))  # a site administrator sees every account
    assert client.get(f"/organizer/users/{creator.id}").status_code == 200
