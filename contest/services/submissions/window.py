"""The submission window: when a creator may create, edit, upload, submit and withdraw.

``opens_at <= now < closes_at`` (aware UTC datetimes on :class:`~contest.models.Contest`), shown to people in
Beijing time (Asia/Shanghai).
"""
from datetime import datetime

from flask_babel import format_datetime
from flask_babel import gettext as _

from contest.models import Contest, utcnow
from contest.services.submissions.errors import SubmissionError


class WindowClosed(SubmissionError):
    """The submission window is not open (before ``opens_at`` or from ``closes_at`` on)."""


def beijing_time(at: datetime) -> str:
    """``at`` (aware) as ``yyyy-MM-dd HH:mm`` in the display time zone (Asia/Shanghai)."""
    return format_datetime(at, "yyyy-MM-dd HH:mm")


def require_open(contest: Contest, at: datetime | None = None, *, creator_id: int | None = None) -> None:
    """Raise :class:`WindowClosed` unless ``opens_at <= at < closes_at`` (``at`` defaults to now) for the
    creator ``creator_id`` (None: the contest's own window)."""
    at = at or utcnow()
    if at < contest.opens_at:
        raise WindowClosed(_("Submissions open at %(at)s (Beijing time).",
                                at=beijing_time(contest.opens_at)))
    if at >= contest.closes_at:
        raise WindowClosed(_("Submissions closed at %(at)s (Beijing time).",
                                at=beijing_time(contest.closes_at)))
