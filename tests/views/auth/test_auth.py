from sqlalchemy import select

from contest.models import User
from tests.conftest import PASSWORD
from tests.people import Role


def test_creator_registers_and_is_logged_in(client, db):
    response = client.post("/auth/register", data={
        "username": "xiaoming", "display_name": "小明", "password": "secret-pass-1", "confirm": "secret-pass-1",
    })
    assert response.status_code == 302
    assert response.location == "/my/"
    user = db.session.scalar(select(User).where(User.username == "xiaoming"))
    assert not user.is_admin and user.is_member and user.display_name == "小明"
    assert user.password_hash.startswith("$argon2id$")
    assert client.get("/my/").status_code == 200


def test_register_refuses_taken_username_and_keeps_input(client, make_user):
    make_user(username="Taken")
    response = client.post("/auth/register", data={
        "username": "taken", "display_name": "小红", "password": "secret-pass-1", "confirm": "secret-pass-1",
    })
    assert response.status_code == 200
    assert "taken".encode() in response.data and "小红".encode() in response.data
    assert "已被占用".encode() in response.data or b"already taken" in response.data


def test_wrong_password_is_refused(client, make_user):
    user = make_user()
    response = client.post("/auth/login", data={"username": user.username, "password": "nope-nope"})
    assert response.status_code == 200
    assert client.get("/my/").status_code == 302


def test_login_ignores_offsite_next(client, make_user):
    user = make_user()
    response = client.post("/auth/login?next=//evil.example/x",
                           data={"username": user.username, "password": PASSWORD})
    assert response.location == "/"


def test_cli_creates_organizer(runner, db):
    result = runner.invoke(args=["create-user", "--username", "boss", "--admin",
                                 "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.username == "boss")).is_admin


def test_csrf_is_enforced_when_enabled(app_overrides, tmp_path):
    from contest import create_app

    app = create_app("testing", WTF_CSRF_ENABLED=True, DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}")
    response = app.test_client().post("/auth/login", data={"username": "a", "password": "b"})
    assert response.status_code == 400


def test_register_refuses_a_malformed_email_in_chinese(client, db):
    response = client.post("/auth/register", data={
        "username": "xiaohong", "display_name": "小红", "email": "not-an-email",
        "password": "secret-pass-1", "confirm": "secret-pass-1",
    })
    assert response.status_code == 200
    assert "不是有效的电子邮件地址".encode() in response.data
    assert db.session.scalar(select(User).where(User.username == "xiaohong")) is None


def test_the_password_policy_applies_at_registration_judge_creation_and_the_cli(client, db, runner, login,
                                                                              make_user, make_contest):
    response = client.post("/auth/register", data={
        "username": "xiaogang", "display_name": "小刚", "password": "password", "confirm": "password"})
    assert response.status_code == 200
    assert "密码太常见，容易被猜到，请换一个。" in response.text and "小刚" in response.text
    short = client.post("/auth/register", data={
        "username": "xiaogang", "display_name": "小刚", "password": "abc1234", "confirm": "abc1234"})
    assert "密码至少 8 个字符。" in short.text

    login(make_user(Role.ORGANIZER))
    contest = make_contest()
    judge = client.post(f"/organizer/contests/{contest.id}/people/judges/new", data={
        "username": "judge.zhou", "display_name": "周评委", "password": "judge.zhou"})
    assert judge.status_code == 200 and "密码不能是用户名、姓名或大赛名称。" in judge.text

    result = runner.invoke(args=["create-user", "--username", "boss", "--password", "password"])
    assert result.exit_code == 1 and "密码太常见" in result.output
    names = ("xiaogang", "judge.zhou", "boss")
    assert db.session.scalar(select(User).where(User.username.in_(names))) is None


def test_the_demo_password_passes_the_policy(runner, db):
    result = runner.invoke(args=["create-user", "--username", "demo", "--password", "demo-pass-2026"])
    assert result.exit_code == 0, result.output


def test_a_private_page_sends_to_the_login_page_with_a_chinese_prompt(client):
    response = client.get("/my/", follow_redirects=True)

    assert response.request.path == "/auth/login"
    page = response.get_data(as_text=True)
    assert "请先登录，再访问此页面。" in page
    assert "Please log in to access this page." not in page


def test_the_login_prompt_follows_the_chosen_language(client):
    client.set_cookie("lang", "en")
    page = client.get("/judge/", follow_redirects=True).get_data(as_text=True)
    assert "Please log in to access this page." in page
