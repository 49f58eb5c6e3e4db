"""What the audit trail keeps of a contest's set-up: its settings (every column but the bookkeeping ones, and
the category names) and its rubric, compared before and after a change
(:func:`contest.services.audit.record.record_changes`)."""
from sqlalchemy import inspect

from contest.models import AuditAction, Contest
from contest.services.audit.record import jsonable, record_changes

#: Columns of a contest that are bookkeeping, not settings: never recorded.
NOT_SETTINGS = frozenset({"id", "entry_seq", "created_at"})


def contest_settings(contest: Contest) -> dict:
    """``{column: value, …, "categories": [names in order]}`` of ``contest`` as stored in the trail."""
    values = {attr.key: getattr(contest, attr.key) for attr in inspect(Contest).column_attrs
              if attr.key not in NOT_SETTINGS}
    values["categories"] = [category.name for category in contest.categories]
    return jsonable(values)


def rubric_lines(contest: Contest) -> dict:
    """``{"criteria": [{"name", "max_points", "weight", "description"}, …]}`` in rubric order."""
    return {"criteria": [{"name": c.name, "max_points": c.max_points, "weight": c.weight,
                          "description": c.description or ""} for c in contest.criteria]}


def record_contest_changes(contest: Contest, *, settings: dict, rubric: dict) -> None:
    """After :func:`~contest.services.contests.setup.update_contest`: one ``contest.settings_changed`` row with
    the settings that changed (``settings``: :func:`contest_settings` taken before), and one
    ``contest.rubric_changed`` row with the whole rubric before and after when it changed (``rubric``:
    :func:`rubric_lines` taken before). Nothing for what did not change."""
    record_changes(AuditAction.CONTEST_SETTINGS_CHANGED, contest_id=contest.id, before=settings,
                   after=contest_settings(contest))
    record_changes(AuditAction.RUBRIC_CHANGED, contest_id=contest.id, before=rubric, after=rubric_lines(contest))
