"""Contests: read helpers and set-up rules (categories, rubric). Flushes, never commits."""
from datetime import datetime

from sqlalchemy import select

from contest.extensions import db
from contest.models import Contest, utcnow


def open_contests(at: datetime | None = None) -> list[Contest]:
    """Contests whose submission window contains ``at`` (default: now), soonest closing first."""
    at = at or utcnow()
    return list(db.session.scalars(
        select(Contest).where(Contest.opens_at <= at, Contest.closes_at > at).order_by(Contest.closes_at)
    ))
