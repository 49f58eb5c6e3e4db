"""Only the upload routes take large bodies (contest/security.py): every other route answers a body over
``MAX_FORM_BYTES`` with 413 before reading it — a Chinese page for browsers, JSON for scripts that ask for
it, plain text on the tus API."""
import io
from urllib.parse import urlencode

from contest.security import takes_large_body
from tests.conftest import PASSWORD
from tests.views.organizer.test_organizer import contest_form
from tests.people import Role

TWO_MB = 2 * 1024**2
TOO_LARGE_ZH = "提交的内容过大：此处最多可提交 1 MB。"


def big_form() -> io.BytesIO:
    """A 2 MB urlencoded login form, as a stream whose position tells how much of it was read."""
    body = urlencode({"username": "someone", "password": "x" * TWO_MB}).encode()
    return io.BytesIO(body)


def test_login_refuses_a_large_body_without_reading_it(client, app):
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: the CSRF check, which reads the form, comes later
    stream = big_form()

    response = client.post("/auth/login", input_stream=stream,
                           content_type="application/x-www-form-urlencoded")

    assert response.status_code == 413
    assert stream.tell() == 0  # not a byte read
    page = response.get_data(as_text=True)
    assert TOO_LARGE_ZH in page and "文件" not in page  # the generic sentence, not the upload's
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_a_body_of_unknown_length_is_cut_off_at_the_limit(client, app):
    """Chunked transfer (no Content-Length): read up to the limit, then 413 (Werkzeug alone would parse the
    first MAX_FORM_BYTES as the form)."""
    stream = big_form()

    response = client.post("/auth/login", input_stream=stream, headers={"Transfer-Encoding": "chunked"},
                           content_type="application/x-www-form-urlencoded",
                           environ_overrides={"wsgi.input_terminated": True})

    assert response.status_code == 413
    assert stream.tell() == app.config["MAX_FORM_BYTES"] + 1  # one byte past the limit, not 2 MB
    assert TOO_LARGE_ZH in response.get_data(as_text=True)


def test_a_small_body_of_unknown_length_is_read(client, make_user):
    user = make_user()
    body = urlencode({"username": user.username, "password": PASSWORD}).encode()

    response = client.post("/auth/login", input_stream=io.BytesIO(body),
                           headers={"Transfer-Encoding": "chunked"},
                           content_type="application/x-www-form-urlencoded",
                           environ_overrides={"wsgi.input_terminated": True})

    assert (response.status_code, response.location) == (302, "/")


def test_json_routes_answer_json(client):
    for url, headers in [("/watch/1/plays", {"Accept": "application/json"}),
                         ("/uploads/s3/multipart", {"Content-Type": "application/json",
                                                    "Accept": "application/json"})]:
        response = client.post(url, data=b"{" + b" " * TWO_MB + b"}", headers=headers)
        assert (response.status_code, response.json) == (413, {"errors": [TOO_LARGE_ZH]}), url


def test_tus_answers_plain_text(client):
    response = client.post("/uploads/tus/", data=b"x" * TWO_MB,
                           headers={"Tus-Resumable": "1.0.0", "Upload-Length": "10"})
    assert response.status_code == 413
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == TOO_LARGE_ZH
    assert response.headers["Tus-Resumable"] == "1.0.0"


def test_only_the_upload_routes_take_large_bodies(app):
    large = {endpoint for endpoint in app.view_functions if takes_large_body(endpoint)}
    assert large == {"submissions.upload", "uploads.append"}


def test_upload_routes_still_take_large_bodies(client, make_user, make_contest, make_entry, login):
    from tests.views.uploads.test_uploads_tus import create, patch, path_of

    creator = login(make_user(Role.CREATOR))
    entry = make_entry(contest=make_contest(), creator=creator)
    created = create(client, entry, 3 * 1024**2)
    chunk = patch(client, path_of(created), 0, b"\0" * TWO_MB)
    assert (chunk.status_code, chunk.headers["Upload-Offset"]) == (204, str(TWO_MB))

    form = client.post(f"/my/entries/{entry.id}/video",
                       data={"video": (io.BytesIO(b"\0" * TWO_MB), "big.mp4")})
    assert form.status_code == 200  # read and refused as not a video, not as too large
    assert "文件" in form.get_data(as_text=True) and TOO_LARGE_ZH not in form.get_data(as_text=True)


def test_the_largest_contest_form_fits_under_the_limit(client, db, make_user, login):
    """20,000 characters of Chinese rules (the form's maximum), percent-encoded: about 180 kB."""
    login(make_user(Role.ORGANIZER))
    response = client.post("/organizer/contests/new", data=contest_form(rules="规" * 20000))
    assert response.status_code == 302


def test_the_limit_is_a_setting(client, app):
    limit = app.config["MAX_FORM_BYTES"] = 64 * 1024
    response = client.post("/auth/login", data={"password": "x" * limit})
    assert response.status_code == 413
    assert "此处最多可提交 0.0625 MB" in response.get_data(as_text=True)
