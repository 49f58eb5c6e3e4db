"""Shared fixtures: ``app``, ``client``, ``runner``, ``login`` and small builders (``make_user`` …).

Each test gets its own SQLite file (a copy of an empty schema built once per session) and upload root under
``tmp_path``; tasks run eagerly unless a test asks for the thread runner. View tests get a fake media job
(:mod:`tests.fast_media`) unless marked ``real_media``.

With ``CONTEST_TEST_DATABASE_URL`` set (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/contest_test``)
the tests run on that database instead: it is created when missing and its schema rebuilt once per session,
and every table is emptied (sequences restarted) before each test; under pytest-xdist each worker uses a
database of its own (``contest_test_gw0`` …). With ``CONTEST_TEST_STORAGE=s3`` every
test's app stores its files in a fresh bucket of moto's standalone S3 server on 127.0.0.1 instead of under
``tmp_path``. ``scripts/test-production.sh`` sets both (the production-stack pass of ``.ci/run``).
"""
import os
import shutil
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import boto3
import flask
import flask_babel
import pytest
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import Headers

from contest import create_app
from contest.extensions import db as _db
from contest.models import (
    Category,
    Contest,
    ContestRole,
    ContestRoleName,
    Criterion,
    Entry,
    EntryState,
    Orientation,
    utcnow,
)
from contest.services.accounts.users import create_user
from contest.services.submissions.declarations import DeclarationAnswers
from tests.people import Role

#: broker, start_worker … and fast_media_job for any test module
pytest_plugins = ["tests.celery_workers", "tests.fast_media"]

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_MEDIA = REPO_ROOT.parent / "shared" / "media"
PASSWORD = "correct horse battery"
#: A server database to run the suite on instead of per-test SQLite files (unset: SQLite).
TEST_DATABASE_URL = os.environ.get("CONTEST_TEST_DATABASE_URL")
#: The storage backend of every test's app unless a test overrides it: "local" (default) or "s3" (moto).
TEST_STORAGE = os.environ.get("CONTEST_TEST_STORAGE", "local")
#: Every declaration accepted and no generative AI used: the answers of a plain submit (service and form).
ALL_DECLARED = DeclarationAnswers(accepted=frozenset({"originality", "rights", "aigc"}), aigc_use="none")
SUBMIT_FORM = {"originality": "y", "rights": "y", "aigc": "y", "aigc_use": "none"}
S3_CREDENTIALS = {"S3_REGION": "us-east-1", "S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing",
                  "S3_ADDRESSING_STYLE": "path"}


def media(name: str) -> Path:
    """Path of a sample file from ../shared/media (see its README for what each is)."""
    path = SHARED_MEDIA / name
    if not path.exists():
        pytest.fail(f"sample media missing: {path} (../shared/media must sit beside the repository)")
    return path


def pytest_collection_modifyitems(config, items):
    """Database-specific tests run in the pass for their database (CI runs the suite on both): on SQLite the
    ``postgres``-marked tests are deselected, on PostgreSQL the ``sqlite``-marked ones. Deselected, not skipped:
    no test is quietly passed over in the pass it belongs to."""
    on_postgres = bool(TEST_DATABASE_URL) and make_url(TEST_DATABASE_URL).get_backend_name() == "postgresql"
    other = "sqlite" if on_postgres else "postgres"
    dropped = [item for item in items if item.get_closest_marker(other)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not item.get_closest_marker(other)]


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile translations/*.po to .mo when stale, so that a bare ``pytest`` sees the Chinese UI too. Each
    catalog is written beside its place and renamed over it, so that a parallel worker never reads half of it."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (REPO_ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as src:
                catalog = read_po(src)
            partial = mo.with_suffix(f".mo.{os.getpid()}")
            with partial.open("wb") as out:
                write_mo(out, catalog)
            os.replace(partial, mo)


@pytest.fixture(scope="session", autouse=True)
def shared_url_builders():
    """Every test builds a new app, and werkzeug compiles two URL-builder functions (Python source → AST →
    bytecode) for each of its ~100 routes: a fifth of a simple view test's time. The builders depend only
    on the rule, its defaults and ``append_unknown``, and take the rule as an argument, so they are compiled
    once per session and shared. (``Rule._compile_builder`` is werkzeug's internal; should it go, this does
    nothing and the tests only run slower.)"""
    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:
        yield
        return
    builders = {}

    def shared(rule, append_unknown=True):
        key = (rule.rule, tuple(rule._trace), repr(sorted((rule.defaults or {}).items())), append_unknown)
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Rule, "_compile_builder", shared)
        yield


@pytest.fixture
def app_overrides():
    """Override in a test module to change config (e.g. ``{"TASK_BACKEND": "thread"}``)."""
    return {}


def unreachable_service(message: str):
    """A required service is missing: fail under CI (``$CI`` set), skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` when it does not exist (connecting to ``postgres``)."""
    url = make_url(url)
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            query = text("SELECT 1 FROM pg_database WHERE datname = :name")
            if not conn.scalar(query, {"name": url.database}):
                quoted = conn.dialect.identifier_preparer.quote(url.database)
                conn.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        engine.dispose()


def worker_database_url(url: str) -> str:
    """``url`` for this test process: under pytest-xdist each worker (``gw0``, ``gw1`` …) empties its tables
    before every test, so each gets a database of its own, named after the worker (``contest_test_gw0`` …)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    url = make_url(url)
    return url.set(database=f"{url.database}_{worker}").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def server_database():
    """``CONTEST_TEST_DATABASE_URL`` (one per xdist worker, :func:`worker_database_url`) with a fresh schema
    (built once per session), or None when unset."""
    if not TEST_DATABASE_URL:
        yield None
        return
    url = worker_database_url(TEST_DATABASE_URL)
    try:
        ensure_database(url)
    except OperationalError as exc:
        unreachable_service(f"CONTEST_TEST_DATABASE_URL is unreachable: {exc.orig}")
    engine = create_engine(url)
    try:
        _db.metadata.drop_all(engine)
        _db.metadata.create_all(engine)
    finally:
        engine.dispose()
    yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file with the empty schema, built once per session: each test's database is a copy of it
    (creating the ~20 tables and their indexes costs more than most tests)."""
    path = tmp_path_factory.mktemp("schema") / "template.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        _db.metadata.create_all(engine)
    finally:
        engine.dispose()
    return path


def empty_all_tables(engine) -> None:
    """Delete every row and restart every sequence, so each test starts as on a new database (ids from 1).

    ``DELETE`` rather than ``TRUNCATE``: on these few-row tables it takes ~10 ms against ~120 ms (TRUNCATE
    swaps the tables' files). The append-only audit trail is emptied too: its triggers are skipped (replica
    mode, this transaction only; the test role is a superuser). Waits at most 10 s for locks, so that a
    connection a test left open fails the next test instead of hanging it.
    """
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '10s'"))
        # The audit trail's triggers refuse DELETE (contest/models/audit.py); replica mode skips user triggers.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n "
                          "ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = current_schema()"))


@pytest.fixture(scope="session")
def moto_endpoint():
    """URL of one moto S3 server on 127.0.0.1 (a free port) for the whole session."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        unreachable_service(f"moto[server] is not installed: {exc}")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_settings(moto_endpoint):
    """``S3_*`` settings of a fresh, empty bucket; keys go under the prefix ``contest/``."""
    settings = {"S3_ENDPOINT_URL": moto_endpoint, "S3_BUCKET": f"contest-{uuid.uuid4().hex[:16]}",
                "S3_PREFIX": "contest/", **S3_CREDENTIALS}
    raw_client(settings).create_bucket(Bucket=settings["S3_BUCKET"])
    return settings


def raw_client(settings: dict):
    """A plain boto3 client for the moto endpoint of ``settings`` (to inspect a bucket behind the app's back)."""
    return boto3.client("s3", endpoint_url=settings["S3_ENDPOINT_URL"], region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def storage_overrides(request):
    """Config of the suite's storage backend (``CONTEST_TEST_STORAGE``): {} for local disk, or a fresh
    moto bucket."""
    if TEST_STORAGE == "s3":
        return {"STORAGE_BACKEND": "s3", **request.getfixturevalue("s3_settings")}
    return {}


def stored_keys(app) -> list[str]:
    """Sorted keys of every stored object of ``app``'s storage, whichever the backend: on local disk the files
    under ``UPLOAD_ROOT`` (scratch folders ``.tmp`` and ``.tus`` left out), on S3 the objects under the prefix."""
    config = app.config
    if config["STORAGE_BACKEND"] == "s3":
        client, prefix = raw_client(config), config["S3_PREFIX"]
        listing = client.list_objects_v2(Bucket=config["S3_BUCKET"], Prefix=prefix)
        return sorted(obj["Key"][len(prefix):] for obj in listing.get("Contents", []))
    root = Path(config["UPLOAD_ROOT"])
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and not {".tmp", ".tus", ".s3-copies"} & set(p.relative_to(root).parts))


def empty_folders(app) -> list[str]:
    """Empty folders under a local ``UPLOAD_ROOT`` (relative, sorted), the storage's scratch folders (``.tmp``,
    ``.tus``, ``.s3-copies``) left out: a deleted key must not leave its folders behind. [] on S3."""
    if app.config["STORAGE_BACKEND"] == "s3":
        return []
    root = Path(app.config["UPLOAD_ROOT"])
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_dir() and not any(p.iterdir())
                  and not {".tmp", ".tus", ".s3-copies"} & set(p.relative_to(root).parts))


def stored_copy(app, key: str) -> Path:
    """A local file with the bytes of stored ``key``, to read or ffprobe: the file itself on local disk, on S3 a
    download under ``UPLOAD_ROOT/.s3-copies`` (removed with the test's ``tmp_path``)."""
    config = app.config
    root = Path(config["UPLOAD_ROOT"])
    if config["STORAGE_BACKEND"] != "s3":
        return root / key
    copy = root / ".s3-copies" / key
    copy.parent.mkdir(parents=True, exist_ok=True)
    raw_client(config).download_file(config["S3_BUCKET"], config["S3_PREFIX"] + key, str(copy))
    return copy


class SharedTemplateCache(BytecodeCache):
    """Jinja's compiled templates kept in memory for the whole session and shared by every test's app: each
    test builds a new app, whose Jinja environment would otherwise lex, parse and compile every template it
    renders again. Jinja checks each entry against its template's source, so an edited template is
    compiled anew."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self.compiled.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = SharedTemplateCache()


@dataclass
class Fetched:
    """A media response as the browser ends up with it."""
    status: int
    mimetype: str
    data: bytes
    headers: Headers  # case-insensitive


def fetch_media(client, url: str, **headers) -> Fetched:
    """GET a media URL of the app (``/watch/…``) as a browser would, whichever the storage backend: local
    storage answers with the bytes itself; S3 answers 302 to a presigned bucket URL, which is then fetched
    with the same headers (``Range`` …). Other answers (404, a redirect to the login page) come back as is."""
    response = client.get(url, headers=headers)
    location = response.headers.get("Location", "")
    if response.status_code != 302 or not location.startswith("http"):
        return Fetched(response.status_code, response.mimetype, response.data, Headers(response.headers))
    try:
        with urllib.request.urlopen(urllib.request.Request(location, headers=headers)) as reply:
            return Fetched(reply.status, reply.headers.get_content_type(), reply.read(),
                           Headers(list(reply.headers.items())))
    except urllib.error.HTTPError as error:
        return Fetched(error.code, error.headers.get_content_type(), error.read(),
                           Headers(list(error.headers.items())))


def forget_request_globals() -> None:
    vars(flask.g._get_current_object()).clear()
    flask_babel.refresh()


@pytest.fixture
def app(tmp_path, app_overrides, storage_overrides, server_database, sqlite_template):
    """The app of one test: on SQLite a fresh database file (a copy of ``sqlite_template``) under
    ``tmp_path``, on a server database every table emptied; files under ``tmp_path / "uploads"``."""
    if not server_database:
        shutil.copyfile(sqlite_template, tmp_path / "test.db")
    app = create_app(
        "testing",
        DATABASE_URL=server_database or f"sqlite:///{tmp_path / 'test.db'}",
        UPLOAD_ROOT=str(tmp_path / "uploads"),
        **(storage_overrides | app_overrides),
    )
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    # Tests keep one app context open, which requests then share (and so share ``g``): each request starts
    # with an empty ``g``, as in production — the user Flask-Login cached there (a replayed cookie must be
    # loaded again), a failed attempt the rate limits count, the locale Flask-Babel cached.
    app.before_request_funcs.setdefault(None, []).insert(0, forget_request_globals)
    with app.app_context():
        if server_database:
            empty_all_tables(_db.engine)
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(db):
    """``make_user(kind=Role.CREATOR, username=None, **create_user_kwargs)``: a committed account of that kind
    (:mod:`tests.people`): an organizer is a site administrator; a judge holds the judge grant of every contest
    of the test, including contests inserted later (a mapper event adds the grant)."""
    counter = iter(range(1, 10_000))
    judge_ids: list[int] = []

    def grant_new_contest(_mapper, connection, contest):
        if judge_ids:
            connection.execute(ContestRole.__table__.insert(), [
                {"contest_id": contest.id, "user_id": judge_id, "role": ContestRoleName.JUDGE.value,
                 "granted_at": utcnow()} for judge_id in judge_ids])

    event.listen(Contest, "after_insert", grant_new_contest)

    def make(role: Role | str = Role.CREATOR, username: str | None = None, **kwargs):
        role = Role(role)
        user = create_user(username=username or f"{role.value}{next(counter)}", password=PASSWORD,
                           is_admin=role == Role.ORGANIZER, **kwargs)
        if role == Role.JUDGE:
            judge_ids.append(user.id)
            db.session.add_all(ContestRole(contest_id=contest_id, user_id=user.id, role=ContestRoleName.JUDGE)
                               for contest_id in db.session.scalars(select(Contest.id)))
        db.session.commit()
        return user

    yield make
    event.remove(Contest, "after_insert", grant_new_contest)


@pytest.fixture
def make_contest(db):
    counter = iter(range(1, 10_000))

    def make(**kwargs):
        """An open contest (opened an hour ago, closes in 7 days) with two categories and a 3-line rubric
        weighted 40/30/30 out of 10 points each, unless overridden."""
        n = next(counter)
        now = utcnow()
        fields = dict(
            code=f"T{n:02d}", title=f"测试大赛 {n}", theme="我的家乡", rules="原创短视频",
            opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=7),
            max_file_bytes=50 * 1024 * 1024, min_duration_s=1.0, max_duration_s=60.0,
            orientation=Orientation.ANY, max_entries_per_creator=3,
        )
        fields.update(kwargs)
        contest = Contest(**fields)
        contest.categories = [Category(name="微视频组", position=0), Category(name="Vlog组", position=1)]
        contest.criteria = [
            Criterion(name="主题契合", max_points=10, weight=40, position=0),
            Criterion(name="创意", max_points=10, weight=30, position=1),
            Criterion(name="制作水平", max_points=10, weight=30, position=2),
        ]
        db.session.add(contest)
        db.session.commit()
        return contest

    return make


@pytest.fixture
def make_entry(db):
    """A draft entry (no video) built directly, bypassing the submission rules."""
    counter = iter(range(1, 10_000))

    def make(*, contest, creator, category=None, title=None, state=EntryState.DRAFT, **kwargs):
        n = next(counter)
        entry = Entry(contest=contest, creator=creator, category=category or contest.categories[0],
                      number=f"{contest.code}-{n:04d}", title=title or f"作品 {n}", state=state, **kwargs)
        if state == EntryState.SUBMITTED:
            entry.submitted_at = utcnow()
        db.session.add(entry)
        db.session.commit()
        return entry

    return make


@pytest.fixture
def login(client):
    """``login(user)`` logs the test client in through the real login form."""

    def do(user, password: str = PASSWORD):
        client.post("/auth/logout")
        response = client.post("/auth/login", data={"username": user.username, "password": password})
        assert response.status_code == 302, response.data[:500]
        return user

    return do
