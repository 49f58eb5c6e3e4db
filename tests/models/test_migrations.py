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


def test_rounds_migration_gives_every_contest_a_round_and_every_assignment_its_round(tmp_path):
    """Data written before judging rounds existed: the contest gets round 1 "评审" (mean, blind) and its
    assignment lands in it."""
    app = create_app("testing", DATABASE_URL=f"sqlite:///{tmp_path / 'm.db'}")
    with app.app_context():
        upgrade(revision="b4c7d0e3f6a9")
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO user (id, username, display_name, role, password_hash, active, session_version,"
                " created_at) VALUES (1, 'c', 'C', 'creator', 'x', 1, 1, '2026-01-01'),"
                " (2, 'j', 'J', 'judge', 'x', 1, 1, '2026-01-01')")
            conn.exec_driver_sql(
                "INSERT INTO contest (id, code, title, theme, rules, opens_at, closes_at, max_file_bytes,"
                " min_duration_s, max_duration_s, orientation, allowed_containers, allowed_video_codecs,"
                " audio_required, max_entries_per_creator, entry_seq, created_at) VALUES (7, 'OLD', '旧比赛',"
                " '', '', '2026-01-01', '2026-02-01', 1000, 1, 60, 'any', '', '', 0, 3, 1, '2026-01-01')")
            conn.exec_driver_sql("INSERT INTO category (id, contest_id, name, description, position)"
                                 " VALUES (1, 7, '组', '', 0)")
            conn.exec_driver_sql(
                "INSERT INTO entry (id, contest_id, category_id, creator_id, number, title, description, state,"
                " created_at, updated_at) VALUES (5, 7, 1, 1, 'OLD-0001', 't', '', 'submitted', '2026-01-01',"
                " '2026-01-01')")
            conn.exec_driver_sql("INSERT INTO assignment (id, judge_id, entry_id, created_at)"
                                 " VALUES (9, 2, 5, '2026-01-01')")
        upgrade()
        with db.engine.connect() as conn:
            rounds = conn.exec_driver_sql(
                "SELECT id, contest_id, position, name, aggregation, blind FROM judging_round").all()
            assert [tuple(r[1:]) for r in rounds] == [(7, 1, "评审", "mean", 1)]
            assert conn.exec_driver_sql("SELECT round_id FROM assignment WHERE id = 9").scalar() == rounds[0][0]
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
