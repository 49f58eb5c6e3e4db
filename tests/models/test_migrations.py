"""The Alembic migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from contest import create_app
from contest.extensions import db


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
