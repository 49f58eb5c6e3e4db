"""The Alembic migrations build exactly the schema the models describe."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

from contest import create_app
from contest.extensions import db
from tests.conftest import TEST_DATABASE_URL, ensure_database, worker_database_url


def test_migrations_match_models(tmp_path):
    app = create_app("testing", DATABASE_URL=f"sqlite:///{tmp_path / 'm.db'}")
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []


def refuses_changes(conn) -> list[str]:
    """Insert one audit row, then try to change and remove it: the errors' first lines, one per statement."""
    conn.execute(text("INSERT INTO audit_event (at, action, reason) VALUES (CURRENT_TIMESTAMP, "
                      "'contest.created', '')"))
    errors = []
    for statement in ("UPDATE audit_event SET reason = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(DatabaseError) as caught, conn.begin_nested():
            conn.execute(text(statement))
        errors.append(str(caught.value.orig).splitlines()[0])
    return errors


@pytest.mark.sqlite
def test_the_migration_makes_the_audit_trail_append_only_on_sqlite(tmp_path):
    app = create_app("testing", DATABASE_URL=f"sqlite:///{tmp_path / 'm.db'}")
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            assert refuses_changes(conn) == ["audit_event is append-only: UPDATE refused",
                                             "audit_event is append-only: DELETE refused"]


@pytest.mark.postgres
def test_the_migration_makes_the_audit_trail_append_only_on_postgres():
    url = make_url(worker_database_url(TEST_DATABASE_URL))
    url = url.set(database=f"{url.database}_migrations").render_as_string(hide_password=False)
    ensure_database(url)
    app = create_app("testing", DATABASE_URL=url)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        with db.engine.begin() as conn:
            assert refuses_changes(conn) == ["audit_event is append-only: UPDATE refused",
                                             "audit_event is append-only: DELETE refused"]
            with pytest.raises(DatabaseError, match="TRUNCATE refused"), conn.begin_nested():
                conn.execute(text("TRUNCATE audit_event"))
        db.engine.dispose()
