"""Security headers on the answer of every GET route (contest/security.py), for its own role and for an
anonymous visitor; HSTS in production only; the bucket's origin in the policy with S3 storage."""
import io
import re

import pytest

from contest import create_app
from contest.models import Assignment, EntryState, ExportJob, ExportState, Video, VideoState
from contest.infra.storage import get_storage, new_key
from tests.conftest import media
from tests.people import Role

PLAIN = "plain_h264_aac_1280x720_25fps.mp4"
#: Which role's pages each blueprint holds (None: public pages).
ROLE_OF_BLUEPRINT = {"main": None, "auth": None, "static": None, "submissions": Role.CREATOR,
                     "watch": Role.CREATOR, "judging": Role.JUDGE, "organizer": Role.ORGANIZER,
                     "results": Role.ORGANIZER, "stats": Role.ORGANIZER, "rounds": Role.ORGANIZER,
                     "audit": Role.ORGANIZER, "admin": Role.ORGANIZER, "exports": Role.ORGANIZER}
EXPECTED_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
                "media-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
                "form-action 'self'; frame-ancestors 'none'")


def get_rules() -> list[tuple[str, str]]:
    """(endpoint, rule) of every route that answers GET, from the app's own URL map."""
    app = create_app("testing")
    return sorted((rule.endpoint, rule.rule) for rule in app.url_map.iter_rules() if "GET" in rule.methods)


GET_RULES = get_rules()


@pytest.fixture
def world(db, make_user, make_contest, make_entry):
    """A submitted entry whose video is ready (the sample MP4 stands in for rendition and preview), assigned
    to a judge; the users of each role."""
    users = {role: make_user(role) for role in Role}
    contest = make_contest(code="EN")  # "en" is both a language (/lang/<code>) and this contest (/contests/<code>)
    entry = make_entry(contest=contest, creator=users[Role.CREATOR], state=EntryState.SUBMITTED)
    storage = get_storage()
    rendition = storage.put_file(new_key("renditions", ".mp4"), media(PLAIN))
    poster = storage.save(new_key("posters", ".jpg"), io.BytesIO(b"\xff\xd8\xff\xe0 poster \xff\xd9"))
    entry.video = Video(original_name="a.mp4", original_key="originals/aa/x", bytes=rendition.bytes,
                        sha256=rendition.sha256, state=VideoState.READY, rendition_key=rendition.key,
                        preview_key=rendition.key, poster_key=poster.key)
    db.session.add(Assignment(entry=entry, judge=users[Role.JUDGE]))
    export = ExportJob(kind="score_sheet", format="csv", params={}, contest=contest, file_name="EN.csv",
                       requested_by=users[Role.ORGANIZER], state=ExportState.DONE, bytes=4,
                       storage_key=storage.save(new_key("exports", ".csv"), io.BytesIO(b"a,b\n")).key)
    db.session.add(export)
    db.session.commit()
    return {"users": users, "values": {"entry_id": entry.id, "contest_id": contest.id, "code": "en",
                                      "round_id": contest.rounds[0].id,
                                      "user_id": users[Role.JUDGE].id, "job_id": export.id,
                                      "filename": "css/app.css"}}


def url_of(rule: str, values: dict) -> str:
    for name, value in values.items():
        rule = rule.replace(f"<int:{name}>", str(value)).replace(f"<path:{name}>", str(value))
        rule = rule.replace(f"<{name}>", str(value))
    assert "<" not in rule, f"no value for a part of {rule}: add it to the world fixture"
    return rule


def assert_security_headers(response) -> None:
    headers = response.headers
    # With S3 storage the bucket's origin is added to img-, media- and connect-src (tested on its own below).
    assert re.sub(r" https?://[^ ;]+", "", headers["Content-Security-Policy"]) == EXPECTED_CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
    assert "Strict-Transport-Security" not in headers  # not in the testing (nor development) config


@pytest.mark.parametrize("as_owner", [True, False], ids=["own-role", "anonymous"])
@pytest.mark.parametrize(("endpoint", "rule"), GET_RULES, ids=[endpoint for endpoint, _ in GET_RULES])
def test_every_get_route_sends_the_security_headers(client, login, world, endpoint, rule, as_owner):
    role = ROLE_OF_BLUEPRINT[endpoint.partition(".")[0]]
    if as_owner and role is not None:
        login(world["users"][role])

    response = client.get(url_of(rule, world["values"]))

    if as_owner:
        assert response.status_code in (200, 302), response.data[:300]  # 302: set_language, index for users
    assert_security_headers(response)
    cache = response.headers.get("Cache-Control", "")
    if endpoint == "static":
        assert "no-store" not in cache  # static files keep their caching
    elif response.mimetype.startswith(("video/", "image/")):
        assert "private" in cache and "public" not in cache
    else:
        assert cache == "no-store"
    response.close()


def test_media_are_served_with_nosniff_and_privately(app, client, login, world):
    login(world["users"][Role.CREATOR])
    entry_id = world["values"]["entry_id"]
    for path, mimetype in [("video", "video/mp4"), ("preview", "video/mp4"), ("poster", "image/jpeg")]:
        response = client.get(f"/watch/{entry_id}/{path}", headers={"Range": "bytes=0-99"})
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        if app.config["STORAGE_BACKEND"] == "s3":  # a redirect to a presigned URL: the bucket sends the bytes
            assert (response.status_code, response.headers["Cache-Control"]) == (302, "no-store")
        else:
            assert (response.status_code, response.mimetype) == (206, mimetype)
            assert "private" in response.headers["Cache-Control"]
        response.close()


def test_error_pages_and_json_answers_carry_the_headers(client, login, world):
    login(world["users"][Role.CREATOR])
    for response in (client.get("/no/such/page"), client.get("/organizer/"),  # 404, 403
                     client.get(f"/my/entries/{world['values']['entry_id']}/status")):  # JSON
        assert_security_headers(response)
        assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/no/such/page").status_code == 404


def test_hsts_only_in_production(tmp_path):
    app = create_app("production", SECRET_KEY="x" * 32, DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}",
                     UPLOAD_ROOT=str(tmp_path / "uploads"))
    response = app.test_client().get("/auth/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert response.headers["Content-Security-Policy"] == EXPECTED_CSP


@pytest.mark.parametrize(("style", "endpoint", "origins"), [
    ("path", "http://127.0.0.1:9000", "http://127.0.0.1:9000"),
    ("virtual", "https://oss-cn-hangzhou.aliyuncs.com",
     "https://contest-media.oss-cn-hangzhou.aliyuncs.com https://oss-cn-hangzhou.aliyuncs.com"),
])
def test_policy_names_the_bucket_that_browsers_fetch_from_and_upload_to(tmp_path, style, endpoint, origins):
    app = create_app("testing", DATABASE_URL=f"sqlite:///{tmp_path / 't.db'}", STORAGE_BACKEND="s3",
                     S3_BUCKET="contest-media", S3_ENDPOINT_URL="http://storage.internal:9000",
                     S3_PUBLIC_ENDPOINT_URL=endpoint, S3_ADDRESSING_STYLE=style, S3_REGION="cn-hangzhou",
                     S3_ACCESS_KEY_ID="key", S3_SECRET_ACCESS_KEY="secret")
    policy = app.test_client().get("/auth/login").headers["Content-Security-Policy"]
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["img-src"] == f"'self' data: blob: {origins}"
    assert directives["media-src"] == f"'self' {origins}"
    assert directives["connect-src"] == f"'self' {origins}"
    assert "storage.internal" not in policy  # the server's own endpoint is not for browsers
    assert directives["script-src"] == "'self'"


def test_extra_sources_from_the_config(tmp_path):
    app = create_app("testing", DATABASE_URL=f"sqlite:///{tmp_path / 't.db'}",
                     CSP_EXTRA_SOURCES={"media-src": ["https://cdn.example.com"]})
    policy = app.test_client().get("/auth/login").headers["Content-Security-Policy"]
    assert "media-src 'self' https://cdn.example.com;" in policy
