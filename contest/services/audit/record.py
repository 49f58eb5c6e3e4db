"""Writing the audit trail (审计日志): :func:`record` adds one :class:`~contest.models.AuditEvent` to the
caller's transaction, so the row commits or rolls back with the change it describes. Who acted and from which
address come from :func:`contest.infra.actor.current_actor`.

Values are stored as JSON: decimals as text with their digits (``"8.50"``), times as ISO 8601 UTC text, enums
as their values, sets and tuples as lists. Rows are never updated or deleted (the database refuses).
"""
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from enum import Enum

from sqlalchemy import insert

from contest.extensions import db
from contest.infra.actor import current_actor
from contest.models import AuditAction, AuditEvent, utcnow


def record(action: AuditAction | str, *, contest_id: int | None, entry_id: int | None = None,
           subject_user_id: int | None = None, before: Mapping | None = None, after: Mapping | None = None,
           reason: str = "") -> AuditEvent:
    """Add one event to the session (flushed with the caller's next flush or commit) and return it.

    ``action``: an :class:`AuditAction` or its value (ValueError for another). ``before``/``after``: the
    changed values (mapping of name → value; see the module docstring for how values are stored).
    """
    actor = current_actor()
    event = AuditEvent(action=AuditAction(action), at=utcnow(), actor_id=actor.user_id, actor_ip=actor.ip,
                       contest_id=contest_id, entry_id=entry_id, subject_user_id=subject_user_id,
                       before=jsonable(before), after=jsonable(after), reason=reason or "")
    db.session.add(event)
    return event


def record_many(action: AuditAction | str, *, contest_id: int | None, rows: Iterable[Mapping]) -> int:
    """Insert one event per item of ``rows`` in one statement (bulk actions: thousands of assignments at once)
    and return how many. Each item may hold ``entry_id``, ``subject_user_id``, ``before``, ``after`` and
    ``reason``; action, contest, actor and time are those given here, the same for all."""
    actor, at, action = current_actor(), utcnow(), AuditAction(action)
    values = [{"action": action, "at": at, "actor_id": actor.user_id, "actor_ip": actor.ip,
               "contest_id": contest_id, "entry_id": row.get("entry_id"),
               "subject_user_id": row.get("subject_user_id"), "before": jsonable(row.get("before")),
               "after": jsonable(row.get("after")), "reason": row.get("reason") or ""} for row in rows]
    if values:
        db.session.execute(insert(AuditEvent), values)
    return len(values)


def record_changes(action: AuditAction | str, *, contest_id: int | None, before: Mapping, after: Mapping,
                   entry_id: int | None = None, subject_user_id: int | None = None,
                   reason: str = "") -> AuditEvent | None:
    """:func:`record` the keys whose values differ between ``before`` and ``after`` (compared as stored), with
    only those keys on each side; nothing (None) when no value changed."""
    old, new = changed_values(before, after)
    if not old and not new:
        return None
    return record(action, contest_id=contest_id, entry_id=entry_id, subject_user_id=subject_user_id,
                  before=old, after=new, reason=reason)


def changed_values(before: Mapping, after: Mapping) -> tuple[dict, dict]:
    """``(before, after)`` cut to the keys whose stored values differ; a key missing on one side counts as
    None there."""
    old, new = jsonable(before) or {}, jsonable(after) or {}
    keys = [key for key in {**old, **new} if old.get(key) != new.get(key)]
    return {key: old.get(key) for key in keys}, {key: new.get(key) for key in keys}


def jsonable(value):
    """``value`` as JSON-ready data (see the module docstring); None stays None."""
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(item) for item in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return value
