"""The audit trail (审计日志): one append-only row per recorded action — who, when, from which address, on which
contest, entry and person, the values before and after, and the reason given.

Rows are written only by :func:`contest.services.audit.record.record` and never changed: the app has no code
that updates or deletes them, and the database refuses to (:data:`APPEND_ONLY_DDL`, created with the table by
the migration and by ``metadata.create_all``).

The ids of the contest, entry and people are kept without foreign keys: the trail outlives the rows it names
(a draft entry its creator deleted), and a foreign key's ``ON DELETE`` would have to change or remove rows of
the trail.
"""
import enum
from datetime import datetime

from sqlalchemy import DDL, JSON, BigInteger, Enum, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from contest.extensions import db
from contest.models.types import UTCDateTime, utcnow


class AuditAction(enum.StrEnum):
    """What happened: ``<object>.<verb>``, stored as is. Adding one needs no schema change."""

    SCORE_CHANGED = "review.score_changed"
    REVIEW_SUBMITTED = "review.submitted"
    REVIEW_REOPENED = "review.reopened"
    REVIEW_VOIDED = "review.voided"
    ASSIGNMENT_CREATED = "assignment.created"
    ASSIGNMENT_REMOVED = "assignment.removed"
    CONFLICT_RECUSED = "conflict.recused"
    CONFLICT_ADDED = "conflict.added"
    CONFLICT_REMOVED = "conflict.removed"
    ROUND_PROMOTED = "round.promoted"
    PROMOTION_REVERTED = "round.promotion_reverted"
    ROUND_ADDED = "round.added"
    ROUND_CLOSED = "round.closed"
    BLIND_TEXT_CHANGED = "entry.blind_text_changed"
    ROUND_SETTINGS_CHANGED = "round.settings_changed"
    ROLE_GRANTED = "role.granted"
    ROLE_REVOKED = "role.revoked"
    CONTEST_CREATED = "contest.created"
    CONTEST_SETTINGS_CHANGED = "contest.settings_changed"
    RUBRIC_CHANGED = "contest.rubric_changed"
    DECLARATIONS_CHANGED = "contest.declarations_changed"
    ENTRY_DISQUALIFIED = "entry.disqualified"
    ENTRY_WITHDRAWN = "entry.withdrawn"
    REPLACEMENT_ALLOWED = "replacement.allowed"
    REPLACEMENT_REVOKED = "replacement.revoked"
    DEADLINE_EXTENDED = "deadline.extended"
    ACCOUNT_DEACTIVATED = "account.deactivated"
    ACCOUNT_REACTIVATED = "account.reactivated"
    ACCOUNT_SIGNED_OUT = "account.signed_out"
    MEMBERSHIP_DECIDED = "account.membership_decided"


class AuditEvent(db.Model):
    """One recorded action. ``actor_id`` None: the system (a command, a background task); ``actor_ip``: the
    client's address as the app sees it behind ``PROXY_COUNT`` proxies. ``contest_id`` None: an action outside
    any contest (an account deactivated). ``subject_user_id``: the person acted upon (the judge of a review or
    assignment, the creator given an extension, the account deactivated). ``before``/``after``: JSON objects
    of the changed values only (decimals and times as text), None when there is nothing to show.

    Indexes serve the organizer's filters, newest first (keyset on ``id``): contest; contest + action;
    contest + time; entry; person; time.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_contest", "contest_id", "id"),
        Index("ix_audit_event_contest_action", "contest_id", "action", "id"),
        Index("ix_audit_event_contest_at", "contest_id", "at"),
        Index("ix_audit_event_entry", "entry_id", "id"),
        Index("ix_audit_event_subject", "subject_user_id", "id"),
        Index("ix_audit_event_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_ip: Mapped[str | None] = mapped_column(String(45))
    action: Mapped[AuditAction] = mapped_column(
        Enum(AuditAction, native_enum=False, length=40, validate_strings=True,
             values_callable=lambda cls: [member.value for member in cls]))
    contest_id: Mapped[int | None] = mapped_column(Integer)
    entry_id: Mapped[int | None] = mapped_column(Integer)
    subject_user_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    after: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    reason: Mapped[str] = mapped_column(Text, default="")


#: Triggers that make the database refuse to change or remove rows of the trail, per dialect (DDL text: a
#: literal ``%`` is written ``%%``). PostgreSQL: UPDATE, DELETE and TRUNCATE raise. SQLite: UPDATE and DELETE
#: abort (SQLite's batch migrations copy a table without its triggers: a migration that alters
#: ``audit_event`` in batch mode must create them again).
APPEND_ONLY_DDL = {
    "postgresql": [
        """CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: %% refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$""",
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()",
        "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()",
    ],
    "sqlite": [
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END",
        "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END",
    ],
}



def append_only_ddl(dialect: str) -> list[DDL]:
    """The statements of :data:`APPEND_ONLY_DDL` for ``dialect`` (none for others), as DDL elements."""
    return [DDL(statement) for statement in APPEND_ONLY_DDL.get(dialect, [])]


def _install_triggers() -> None:
    """Create the triggers whenever ``metadata.create_all`` creates the table (the tests' schemas)."""
    for dialect in APPEND_ONLY_DDL:
        for ddl in append_only_ddl(dialect):
            event.listen(AuditEvent.__table__, "after_create", ddl.execute_if(dialect=dialect))


_install_triggers()
