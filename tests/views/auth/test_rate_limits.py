"""Rate limits: failed log-ins per account and per address, registration, password change, play reports and
upload starts answer 429 with the wait, and the real user gets in once the window has passed."""
import logging
import time

import limits.storage.memory
import pytest

from contest.services.uploads import tus as resumable
from tests.conftest import PASSWORD
from tests.people import Role

LOGIN_LIMITED = "登录尝试过多，请在 15 分钟后再试。"


class Clock:
    """Stands in for the ``time`` module of the limits' memory store: ``advance(seconds)`` moves it on."""

    def __init__(self):
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    return clock


@pytest.fixture
def judge(make_user):
    return make_user(Role.JUDGE, username="Judge.Li")


def log_in(client, username, password, **environ):
    return client.post("/auth/login", data={"username": username, "password": password},
                       environ_base=environ)


def test_the_11th_failed_log_in_is_refused_and_the_right_password_works_after_the_window(
        app, client, judge, clock, caplog):
    caplog.set_level(logging.WARNING, logger="contest.auth")
    for attempt in range(10):
        response = log_in(client, "judge.li" if attempt % 2 else "JUDGE.LI", f"guess-{attempt}")
        assert response.status_code == 200 and "用户名或密码错误。" in response.text
    refused = log_in(client, "Judge.Li", "guess-10")
    assert refused.status_code == 429
    assert LOGIN_LIMITED in refused.text
    assert 880 <= int(refused.headers["Retry-After"]) <= 900
    assert log_in(client, "Judge.Li", PASSWORD).status_code == 429  # even the right one, for now

    clock.advance(15 * 60 + 1)
    assert log_in(client, "Judge.Li", PASSWORD).status_code == 302

    failures = [r for r in caplog.records if r.name == "contest.auth"]
    assert len(failures) == 10
    assert "'judge.li'" in failures[1].getMessage() and "127.0.0.1" in failures[1].getMessage()
    assert not any("guess-" in r.getMessage() for r in caplog.records)


def test_successful_log_ins_are_not_counted(app, client, judge):
    for _ in range(12):
        assert log_in(client, "judge.li", PASSWORD).status_code == 302
    for attempt in range(9):
        assert log_in(client, "judge.li", f"typo-{attempt}").status_code == 200
    assert log_in(client, "judge.li", PASSWORD).status_code == 302


def test_the_account_limit_does_not_lock_out_other_accounts(app, client, judge, make_user):
    other = make_user(Role.JUDGE)
    for attempt in range(10):
        log_in(client, "judge.li", f"guess-{attempt}")
    assert log_in(client, "judge.li", PASSWORD).status_code == 429
    assert log_in(client, other.username, PASSWORD).status_code == 302


def test_failed_log_ins_from_one_address_are_limited_across_accounts(app, client, make_user):
    app.config["RATELIMIT_LOGIN_ADDRESS"] = "5 per 15 minutes"
    victim = make_user(Role.CREATOR)
    for n in range(5):
        assert log_in(client, f"someone{n}", "a guess at it").status_code == 200
    refused = log_in(client, victim.username, "a guess at it")
    assert refused.status_code == 429 and LOGIN_LIMITED in refused.text
    elsewhere = app.test_client()
    assert log_in(elsewhere, victim.username, PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 302


def test_behind_a_proxy_the_forwarded_address_is_counted(tmp_path):
    from contest import create_app

    app = create_app("testing", DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}", PROXY_COUNT=1,
                     RATELIMIT_LOGIN_ADDRESS="2 per 15 minutes")
    client = app.test_client()
    with app.app_context():
        from contest.extensions import db
        db.create_all()
        for n in range(2):
            client.post("/auth/login", data={"username": f"x{n}", "password": "a guess at it"},
                        headers={"X-Forwarded-For": "198.51.100.7"})
        third = client.post("/auth/login", data={"username": "x3", "password": "a guess at it"},
                            headers={"X-Forwarded-For": "198.51.100.7"})
        other = client.post("/auth/login", data={"username": "x3", "password": "a guess at it"},
                            headers={"X-Forwarded-For": "198.51.100.8"})
        db.drop_all()
    assert third.status_code == 429 and other.status_code == 200


def test_registration_is_limited_per_address(app, client):
    app.config["RATELIMIT_REGISTER"] = "3 per hour"
    client.set_cookie("lang", "en")
    for n in range(3):
        client.post("/auth/register", data={"username": "x", "display_name": "x"})
    refused = client.post("/auth/register", data={"username": "x", "display_name": "x"})
    assert refused.status_code == 429
    assert "Too many requests. Please try again in 60 minutes." in refused.text
    assert client.get("/auth/register").status_code == 200


def test_wrong_current_passwords_are_limited_per_user(app, client, judge, login):
    login(judge)
    for attempt in range(5):
        response = client.post("/auth/password", data={
            "current_password": f"guess-{attempt}", "password": "a new phrase here", "confirm": "a new phrase here"})
        assert response.status_code == 200
    refused = client.post("/auth/password", data={
        "current_password": PASSWORD, "password": "a new phrase here", "confirm": "a new phrase here"})
    assert refused.status_code == 429 and "密码错误次数过多，请在 15 分钟后再试。" in refused.text


def test_play_reports_are_limited_per_address_in_json(app, client, make_user, login, make_contest, make_entry):
    app.config["RATELIMIT_PLAYS"] = "3 per minute"
    creator = login(make_user(Role.CREATOR))
    entry = make_entry(contest=make_contest(), creator=creator)
    for _ in range(3):
        assert client.post(f"/watch/{entry.id}/plays").status_code == 404  # no video yet: still a report
    refused = client.post(f"/watch/{entry.id}/plays")
    assert refused.status_code == 429 and refused.is_json
    assert refused.json == {"error": "请求过于频繁，请在 1 分钟后再试。"}
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_upload_starts_are_limited_per_creator_across_tus_and_forms(app, client, make_user, login,
                                                                      make_contest, make_entry):
    app.config["RATELIMIT_UPLOADS"] = "2 per hour"
    creator = login(make_user(Role.CREATOR))
    entry = make_entry(contest=make_contest(), creator=creator)
    metadata = resumable.encode_metadata({"entry_id": str(entry.id), "filename": "a.mp4",
                                          "filetype": "video/mp4"})
    tus = {"Tus-Resumable": "1.0.0", "Upload-Length": "1000", "Upload-Metadata": metadata}
    assert client.post("/uploads/tus/", headers=tus).status_code == 201
    assert client.post(f"/my/entries/{entry.id}/video", data={}).status_code in (200, 422)
    refused = client.post("/uploads/tus/", headers=tus)
    assert refused.status_code == 429
    assert refused.mimetype == "text/plain"
    assert refused.text == "上传次数过多，请在 60 分钟后再试。"
    assert refused.headers["Tus-Resumable"] == "1.0.0" and int(refused.headers["Retry-After"]) > 3500


def test_the_store_is_memory_for_one_process_and_the_brokers_redis_with_celery():
    from contest.infra.rate_limits import storage_uri

    assert storage_uri({"TASK_BACKEND": "thread", "CELERY_BROKER_URL": "redis://r:6379/0"}) == "memory://"
    assert storage_uri({"TASK_BACKEND": "celery", "CELERY_BROKER_URL": "redis://r:6379/0"}) == "redis://r:6379/0"
    assert storage_uri({"TASK_BACKEND": "celery", "CELERY_BROKER_URL": "amqp://q//"}) == "memory://"
    assert storage_uri({"RATELIMIT_STORAGE_URI": "redis://r:6379/1", "TASK_BACKEND": "thread"}) == \
        "redis://r:6379/1"
