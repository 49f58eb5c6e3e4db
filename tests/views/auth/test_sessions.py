"""Sessions that end: a session or remember-me cookie copied before log-out, a password change, deactivation or
an organizer's "sign out everywhere" is refused when replayed in another browser."""
from datetime import timedelta

import pytest

from contest import create_app
from contest.services.accounts.passwords import verify_password
from tests.conftest import PASSWORD
from tests.people import Role

PRIVATE = "/my/"  # a creator's page: 200 when logged in, else a redirect to the log-in page
NEW_PASSWORD = "a brand new phrase 2026"


@pytest.fixture
def creator(make_user):
    return make_user(Role.CREATOR)


def log_in(client, user, password=PASSWORD, remember=True):
    response = client.post("/auth/login", data={"username": user.username, "password": password,
                                                "remember": "y" if remember else ""})
    assert response.status_code == 302, response.data[:300]


def cookies(client) -> dict[str, str]:
    """The session and remember-me cookies the browser holds now."""
    found = {name: client.get_cookie(name) for name in ("session", "remember_token")}
    assert all(found.values()), found
    return {name: cookie.value for name, cookie in found.items()}


def replay(app, name: str, value: str):
    """A fresh browser holding only the copied cookie ``name`` asks for a private page."""
    other = app.test_client()
    other.set_cookie(name, value)
    return other.get(PRIVATE)


def assert_refused(app, copied: dict[str, str]):
    for name, value in copied.items():
        response = replay(app, name, value)
        assert response.status_code == 302, name
        assert response.location.startswith("/auth/login"), name


def test_copied_cookies_work_while_the_session_lasts(app, client, creator):
    log_in(client, creator)
    for name, value in cookies(client).items():
        assert replay(app, name, value).status_code == 200, name


def test_cookies_replayed_after_log_out_are_refused(app, client, creator):
    log_in(client, creator)
    copied = cookies(client)
    assert client.post("/auth/logout").status_code == 302
    assert_refused(app, copied)


def test_log_out_ends_the_users_other_sessions_too(app, client, creator):
    phone = app.test_client()
    log_in(phone, creator)
    log_in(client, creator)
    client.post("/auth/logout")
    assert phone.get(PRIVATE).status_code == 302


def test_a_password_change_ends_other_sessions_and_keeps_this_one(app, client, db, creator):
    phone = app.test_client()
    log_in(phone, creator)
    copied = cookies(phone)
    log_in(client, creator)
    response = client.post("/auth/password", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert_refused(app, copied)
    assert phone.get(PRIVATE).status_code == 302
    assert client.get(PRIVATE).status_code == 200
    assert replay(app, "remember_token", cookies(client)["remember_token"]).status_code == 200
    db.session.expire_all()
    assert verify_password(password_hash=creator.password_hash, password=NEW_PASSWORD)
    assert creator.session_version == 2  # log-ins change nothing; the password change raised it once


def test_a_password_change_needs_the_current_password_and_a_good_new_one(app, client, db, creator):
    client.set_cookie("lang", "en")
    log_in(client, creator)
    wrong = client.post("/auth/password", data={
        "current_password": "not my password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert wrong.status_code == 200 and "The current password is wrong." in wrong.text
    weak = client.post("/auth/password", data={
        "current_password": PASSWORD, "password": "password", "confirm": "password"})
    assert weak.status_code == 200 and "too common" in weak.text
    db.session.expire_all()
    assert verify_password(password_hash=creator.password_hash, password=PASSWORD)
    assert client.get(PRIVATE).status_code == 200


@pytest.fixture
def organizer_client(app, make_user):
    organizer = make_user(Role.ORGANIZER)
    browser = app.test_client()
    log_in(browser, organizer, remember=False)
    return browser


def test_deactivation_ends_sessions_and_refuses_log_in_with_a_clear_message(app, client, db, creator,
                                                                             organizer_client):
    log_in(client, creator)
    copied = cookies(client)
    response = organizer_client.post(f"/organizer/users/{creator.id}/deactivate")
    assert response.status_code == 302 and response.location == f"/organizer/users/{creator.id}"
    assert_refused(app, copied)
    assert client.get(PRIVATE).status_code == 302

    again = app.test_client().post("/auth/login", data={"username": creator.username, "password": PASSWORD})
    assert again.status_code == 403
    assert "此账号已停用，请联系大赛主办方。" in again.text
    wrong = app.test_client().post("/auth/login", data={"username": creator.username, "password": "nope-nope"})
    assert "用户名或密码错误。" in wrong.text  # a wrong password learns nothing about the account

    organizer_client.post(f"/organizer/users/{creator.id}/reactivate")
    log_in(app.test_client(), creator)


def test_sign_out_everywhere_ends_every_session(app, client, creator, organizer_client):
    log_in(client, creator)
    copied = cookies(client)
    page = organizer_client.get(f"/organizer/users/{creator.id}")
    assert page.status_code == 200 and creator.username in page.text
    assert organizer_client.post(f"/organizer/users/{creator.id}/sign-out").status_code == 302
    assert_refused(app, copied)
    log_in(client, creator)  # the password still works


def test_organizer_accounts_are_not_managed_here(app, db, make_user, organizer_client):
    other = make_user(Role.ORGANIZER)
    assert organizer_client.post(f"/organizer/users/{other.id}/deactivate").status_code == 403
    db.session.expire_all()
    assert other.active


def test_only_organizers_manage_accounts(app, client, creator, make_user):
    judge = make_user(Role.JUDGE)
    log_in(client, judge)
    assert client.post(f"/organizer/users/{creator.id}/sign-out").status_code == 403


def test_cookie_settings(app, client, creator):
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)
    log_in(client, creator)
    response = client.post("/auth/login", data={"username": creator.username, "password": PASSWORD,
                                                "remember": "y"})
    set_cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in set_cookies if c.startswith("remember_token="))
    session = next(c for c in set_cookies if c.startswith("session="))
    assert "HttpOnly" in remember and "SameSite=Lax" in remember and "Expires=" in remember
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Expires=" in session


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("CONTEST_SECRET_KEY", "x" * 32)
    monkeypatch.setenv("CONTEST_REMEMBER_DAYS", "7")
    app = create_app("production", DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}")
    config = app.config
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["REMEMBER_COOKIE_SECURE"] and config["REMEMBER_COOKIE_HTTPONLY"]
    assert config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert config["REMEMBER_COOKIE_DURATION"] == timedelta(days=7)
