"""Reading the audit trail: one page of events newest first (keyset on id: as quick on the millionth row as on
the first), and every event oldest first as a stream for the exports. Read-only.

Filters (:class:`AuditFilter`) are those the organizers' page offers; each is served by an index of
:class:`~contest.models.AuditEvent`. Names of people and entry numbers are joined in the same query.
"""
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from contest.extensions import db
from contest.models import AuditAction, AuditEvent, Contest, ContestRole, ContestRoleName, Entry, User

#: Rows fetched at a time while streaming an export.
STREAM_BATCH = 1000

#: What each action is called on the page and in the exports (translated: 修改评分, 提交评审 …).
ACTION_LABELS = {
    AuditAction.SCORE_CHANGED: _l("Score changed"),
    AuditAction.REVIEW_SUBMITTED: _l("Review submitted"),
    AuditAction.REVIEW_REOPENED: _l("Review reopened"),
    AuditAction.REVIEW_VOIDED: _l("Review voided"),
    AuditAction.ASSIGNMENT_CREATED: _l("Judge assigned"),
    AuditAction.ASSIGNMENT_REMOVED: _l("Assignment removed"),
    AuditAction.CONFLICT_RECUSED: _l("Judge recused"),
    AuditAction.CONFLICT_ADDED: _l("Conflict of interest added"),
    AuditAction.CONFLICT_REMOVED: _l("Conflict of interest removed"),
    AuditAction.ROUND_PROMOTED: _l("Promoted to the next round"),
    AuditAction.PROMOTION_REVERTED: _l("Promotion undone"),
    AuditAction.ROUND_ADDED: _l("Round added"),
    AuditAction.ROUND_CLOSED: _l("Round closed"),
    AuditAction.BLIND_TEXT_CHANGED: _l("Blind text changed"),
    AuditAction.ROUND_SETTINGS_CHANGED: _l("Round settings changed"),
    AuditAction.ROLE_GRANTED: _l("Role granted"),
    AuditAction.ROLE_REVOKED: _l("Role revoked"),
    AuditAction.MEMBERSHIP_DECIDED: _l("Membership decided"),
    AuditAction.CONTEST_CREATED: _l("Contest created"),
    AuditAction.CONTEST_SETTINGS_CHANGED: _l("Contest settings changed"),
    AuditAction.RUBRIC_CHANGED: _l("Rubric changed"),
    AuditAction.DECLARATIONS_CHANGED: _l("Declarations changed"),
    AuditAction.ENTRY_DISQUALIFIED: _l("Entry disqualified"),
    AuditAction.ENTRY_WITHDRAWN: _l("Entry withdrawn"),
    AuditAction.REPLACEMENT_ALLOWED: _l("New video allowed"),
    AuditAction.REPLACEMENT_REVOKED: _l("Permission for a new video withdrawn"),
    AuditAction.DEADLINE_EXTENDED: _l("Deadline extended"),
    AuditAction.ACCOUNT_DEACTIVATED: _l("Account deactivated"),
    AuditAction.ACCOUNT_REACTIVATED: _l("Account reactivated"),
    AuditAction.ACCOUNT_SIGNED_OUT: _l("Signed out everywhere"),
}


@dataclass(frozen=True)
class AuditFilter:
    """Which events: of ``contest_id`` (None: of every contest and of none); of the entry ``entry_id``; about
    the person ``subject_user_id`` (a judge: the reviews, assignments and conflicts concerning them); of
    ``action``; at or after ``since`` and before ``until`` (aware datetimes). None: no such filter."""

    contest_id: int | None = None
    entry_id: int | None = None
    subject_user_id: int | None = None
    action: AuditAction | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    """``rows`` newest first (see :func:`audit_page` for their columns); ``older``: the ``before_id`` of the
    next page, None on the last."""

    rows: list
    older: int | None


def audit_page(*, filters: AuditFilter, before_id: int | None = None, per_page: int = 50) -> AuditPage:
    """At most ``per_page`` events matching ``filters`` with an id below ``before_id`` (None: from the newest),
    newest first. Each row has the event's columns (``id``, ``at``, ``action``, ``actor_ip``, ``before``,
    ``after``, ``reason``, ``contest_id``, ``entry_id``) and ``actor_name``, ``actor_username``,
    ``subject_name``, ``subject_username``, ``entry_number``, ``contest_code`` (None where the event has none
    or the row is gone). One query."""
    stmt = _events(filters).order_by(AuditEvent.id.desc()).limit(per_page + 1)
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
    rows = db.session.execute(stmt).all()
    older = rows[per_page - 1].id if len(rows) > per_page else None
    return AuditPage(rows=rows[:per_page], older=older)


def audit_rows(*, filters: AuditFilter) -> Iterator:
    """Every event matching ``filters``, oldest first, with the columns of :func:`audit_page`, fetched
    :data:`STREAM_BATCH` rows at a time (a server-side cursor on PostgreSQL): memory stays flat however many
    rows match. Iterate inside the request or app context that owns the session."""
    stmt = _events(filters).order_by(AuditEvent.id).execution_options(yield_per=STREAM_BATCH)
    yield from db.session.execute(stmt)


def audit_count(*, filters: AuditFilter) -> int:
    """Number of events matching ``filters`` (one query)."""
    return db.session.scalar(select(func.count()).select_from(_events(filters).subquery()))


def entry_id_of(*, contest_id: int, number: str) -> int | None:
    """The id of the contest's entry numbered ``number`` (``XH2026-0001``, case ignored), or None."""
    number = (number or "").strip().upper()
    return db.session.scalar(select(Entry.id).where(Entry.contest_id == contest_id,
                                                    func.upper(Entry.number) == number))


def judge_choices(*, contest_id: int | None = None) -> list[tuple[int, str]]:
    """``[(id, "display name (username)")]`` of the accounts holding the judge grant of the contest (of any
    contest when None), active or not, by display name."""
    grants = select(ContestRole.user_id).where(ContestRole.role == ContestRoleName.JUDGE)
    if contest_id is not None:
        grants = grants.where(ContestRole.contest_id == contest_id)
    rows = db.session.execute(select(User.id, User.display_name, User.username).where(User.id.in_(grants))
                              .order_by(User.display_name, User.id))
    return [(user_id, f"{name} ({username})") for user_id, name, username in rows]


def _events(filters: AuditFilter) -> Select:
    actor, subject = aliased(User), aliased(User)
    stmt = (
        select(AuditEvent.id, AuditEvent.at, AuditEvent.action, AuditEvent.actor_ip, AuditEvent.before,
               AuditEvent.after, AuditEvent.reason, AuditEvent.contest_id, AuditEvent.entry_id,
               actor.display_name.label("actor_name"), actor.username.label("actor_username"),
               subject.display_name.label("subject_name"), subject.username.label("subject_username"),
               Entry.number.label("entry_number"), Contest.code.label("contest_code"))
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .outerjoin(subject, subject.id == AuditEvent.subject_user_id)
        .outerjoin(Entry, Entry.id == AuditEvent.entry_id)
        .outerjoin(Contest, Contest.id == AuditEvent.contest_id)
    )
    conditions = [
        (filters.contest_id, lambda: AuditEvent.contest_id == filters.contest_id),
        (filters.entry_id, lambda: AuditEvent.entry_id == filters.entry_id),
        (filters.subject_user_id, lambda: AuditEvent.subject_user_id == filters.subject_user_id),
        (filters.action, lambda: AuditEvent.action == filters.action),
        (filters.since, lambda: AuditEvent.at >= filters.since),
        (filters.until, lambda: AuditEvent.at < filters.until),
    ]
    return stmt.where(*(condition() for value, condition in conditions if value is not None))
