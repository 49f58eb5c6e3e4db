"""The submission window: when a creator may create, edit, upload, submit and withdraw.

``opens_at <= now < closes_at`` (aware UTC datetimes on :class:`~contest.models.Contest`), shown to people in
Beijing time (Asia/Shanghai). Two exceptions, for one creator at a time:

* **Extension**: an organizer granted the creator a later deadline for the contest
  (:class:`~contest.models.DeadlineExtension`); it replaces ``closes_at`` for that creator.
* **Grace**: an upload that *started* before the creator's deadline may finish within ``UPLOAD_GRACE_S``
  seconds after it, and the entry whose video it is may be submitted within the same grace (the video's
  ``upload_started_at`` is the proof). Nothing else is allowed in the grace: no new upload, edit or entry.
"""
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select

from contest.extensions import db
from contest.models import AuditAction, Contest, DeadlineExtension, User, utcnow
from contest.services.audit.record import record
from contest.services.contests import roles
from contest.services.submissions.errors import SubmissionError


class WindowClosed(SubmissionError):
    """The submission window is not open (before ``opens_at`` or from the creator's deadline on)."""


def beijing_time(at: datetime) -> str:
    """``at`` (aware) as ``yyyy-MM-dd HH:mm`` in the display time zone (Asia/Shanghai)."""
    return format_datetime(at, "yyyy-MM-dd HH:mm")


def extension_for(contest: Contest, creator_id: int | None) -> DeadlineExtension | None:
    """The later deadline an organizer granted ``creator_id`` in ``contest``, if any."""
    if creator_id is None:
        return None
    return db.session.scalar(select(DeadlineExtension).where(
        DeadlineExtension.contest_id == contest.id, DeadlineExtension.creator_id == creator_id))


def deadline_for(contest: Contest, creator_id: int | None = None) -> datetime:
    """The creator's deadline: an extension's ``closes_at`` when later than the contest's, else the
    contest's."""
    return deadline_with(contest, extension_for(contest, creator_id))


def deadline_with(contest: Contest, extension: DeadlineExtension | None) -> datetime:
    """The deadline of a creator whose extension (or None) is ``extension``; no query."""
    return max(contest.closes_at, extension.closes_at) if extension else contest.closes_at


def grace_ends(deadline: datetime) -> datetime:
    """When the grace for uploads begun before ``deadline`` ends (``UPLOAD_GRACE_S`` seconds after it)."""
    return deadline + timedelta(seconds=current_app.config["UPLOAD_GRACE_S"])


def require_open(contest: Contest, at: datetime | None = None, *, creator_id: int | None = None,
                 started_at: datetime | None = None) -> None:
    """Raise :class:`WindowClosed` unless the window is open at ``at`` (default now) for the creator
    ``creator_id`` (None: the contest's own window): ``opens_at <= at < deadline`` (:func:`deadline_for`),
    or, for an upload begun at ``started_at`` before that deadline (or the submit of its video),
    ``at < deadline + UPLOAD_GRACE_S``."""
    check_open(contest, deadline=deadline_for(contest, creator_id), at=at or utcnow(), started_at=started_at)


def check_open(contest: Contest, *, deadline: datetime, at: datetime,
               started_at: datetime | None = None) -> None:
    """:func:`require_open` for a creator whose ``deadline`` is known (no query)."""
    if at < contest.opens_at:
        raise WindowClosed(_("Submissions open at %(at)s (Beijing time).", at=beijing_time(contest.opens_at)))
    if at < deadline:
        return
    if started_at is not None and started_at < deadline and at < grace_ends(deadline):
        return
    raise WindowClosed(_("Submissions closed at %(at)s (Beijing time).", at=beijing_time(deadline)))


def extend_deadline(*, contest: Contest, creator: User, closes_at: datetime, reason: str, by: User,
                    at: datetime | None = None) -> DeadlineExtension:
    """Grant ``creator`` the deadline ``closes_at`` (aware) in ``contest``, with ``reason`` (shown to the
    organizers; at most 1000 characters), by the organizer ``by`` at ``at`` (default now); granted again, the
    same row takes the new deadline, reason, organizer and time.

    Raises :class:`SubmissionError` when ``closes_at`` is not later than the contest's deadline or already
    past, without a reason, or for an organizer, judge or supervisor of the contest or a site administrator.
    """
    at = at or utcnow()
    reasons = []
    if creator.is_admin or roles.roles_of(creator, contest.id):
        reasons.append(_("Only a creator's deadline can be extended."))
    if closes_at <= contest.closes_at or closes_at <= at:
        reasons.append(_(
            "The new deadline must be later than the contest's (%(at)s, Beijing time) and than now.",
            at=beijing_time(contest.closes_at)))
    reason = (reason or "").strip()
    if not reason:
        reasons.append(_("Give the reason for the extension."))
    elif len(reason) > 1000:
        reasons.append(_("The reason may have at most %(max)d characters.", max=1000))
    if reasons:
        raise SubmissionError(reasons)
    extension = extension_for(contest, creator.id) or DeadlineExtension(contest_id=contest.id,
                                                                        creator_id=creator.id)
    record(AuditAction.DEADLINE_EXTENDED, contest_id=contest.id, subject_user_id=creator.id,
           before={"closes_at": extension.closes_at or contest.closes_at}, after={"closes_at": closes_at},
           reason=reason)
    extension.closes_at, extension.reason, extension.granted_by_id, extension.granted_at = (
        closes_at, reason, by.id, at)
    db.session.add(extension)
    db.session.flush()
    return extension


def finished_in_grace(*, deadline: datetime, started_at: datetime | None,
                      finished_at: datetime | None) -> bool:
    """True when an upload begun at ``started_at`` before the creator's ``deadline`` was received at
    ``finished_at``, after it (in the grace)."""
    return started_at is not None and finished_at is not None and started_at < deadline <= finished_at
