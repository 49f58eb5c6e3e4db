"""Migration c7e2a9d4f1b3 turns the one global role into roles per contest, and back on downgrade."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from contest import create_app
from contest.extensions import db

BEFORE = "b4c7d0e3f6a9"
NOW = "2026-03-01 00:00:00"


def seed(conn) -> None:
    """An organizer, two judges (one assigned in contest 1), a creator; two contests, one assigned entry."""
    for id_, name, role in ((1, "boss", "organizer"), (2, "wang", "judge"), (3, "li", "judge"),
                            (4, "xiaoming", "creator")):
        conn.execute(text("INSERT INTO user (id, username, display_name, role, password_hash, active, created_at)"
                          " VALUES (:id, :name, :name, :role, '-', 1, :now)"),
                     {"id": id_, "name": name, "role": role, "now": NOW})
    for id_ in (1, 2):
        conn.execute(text(
            "INSERT INTO contest (id, code, title, theme, rules, opens_at, closes_at, max_file_bytes, min_duration_s,"
            " max_duration_s, orientation, max_entries_per_creator, entry_seq, created_at, audio_required) VALUES"
            " (:id, :code, 'T', '', '', :now, '2026-04-01 00:00:00', 1000, 1, 60, 'any', 3, 0, :now, 0)"),
            {"id": id_, "code": f"C{id_}", "now": NOW})
    conn.execute(text("INSERT INTO category (id, contest_id, name, description, position)"
                      " VALUES (1, 1, '组', '', 0)"))
    conn.execute(text("INSERT INTO entry (id, contest_id, category_id, creator_id, number, title, description,"
                      " state, created_at, updated_at) VALUES (1, 1, 1, 4, 'C1-0001', 't', '', 'submitted',"
                      " :now, :now)"), {"now": NOW})
    conn.execute(text("INSERT INTO assignment (id, judge_id, entry_id, created_at) VALUES (1, 2, 1, :now)"),
                 {"now": NOW})


def test_organizers_become_administrators_and_assigned_judges_get_their_contests(tmp_path):
    app = create_app("testing", DATABASE_URL=f"sqlite:///{tmp_path / 'm.db'}")
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            seed(conn)
        upgrade()
        with db.engine.connect() as conn:
            admins = conn.execute(text("SELECT username FROM user WHERE is_admin")).scalars().all()
            grants = conn.execute(text("SELECT contest_id, user_id, role FROM contest_role"
                                       " ORDER BY user_id, contest_id")).all()
            members = conn.execute(text("SELECT DISTINCT membership FROM user")).scalars().all()
        assert admins == ["boss"]
        assert [tuple(row) for row in grants] == [(1, 1, "organizer"), (2, 1, "organizer"), (1, 2, "judge")]
        assert members == ["approved"]
        downgrade(revision=BEFORE)
        with db.engine.connect() as conn:
            roles = conn.execute(text("SELECT username, role FROM user ORDER BY id")).all()
        assert [tuple(row) for row in roles] == [("boss", "organizer"), ("wang", "judge"), ("li", "creator"),
                                                 ("xiaoming", "creator")]
