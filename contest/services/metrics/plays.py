"""Play counts (播放量): which plays count, and the counters. Flushes, never commits.

A play counts once per viewer, entry and ``PLAY_WINDOW_S`` seconds (default 30 minutes); the plays of the
entry's creator, of its assigned judges and of organizers do not count. Counted plays are shown as 本站播放
(site plays); other platforms come later from the stats ledger.
"""
import hashlib
from datetime import datetime, timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from contest.extensions import db
from contest.models import SITE, Entry, PlayCount, PlayView, User, utcnow
from contest.services.contests import roles
from contest.services.submissions.access import is_assigned


class Play(NamedTuple):
    """The answer to a play report: ``counted`` whether it added one, ``plays`` the entry's site plays now."""

    counted: bool
    plays: int


def viewer_key(*, user: User | None = None, cookie: str | None = None, address: str | None = None,
               user_agent: str | None = None) -> str:
    """Who is watching, as a ``PlayView.viewer_key``: the signed-in user (``user:<id>``), else a visitor
    cookie (``cookie:<value>``, at most 64 characters kept), else the address and user agent
    (``addr:<sha256 hex, 32 digits>``, so that neither is stored as such)."""
    if user is not None and user.is_authenticated:
        return f"user:{user.id}"
    if cookie:
        return f"cookie:{cookie[:64]}"
    digest = hashlib.sha256(f"{address or ''}|{user_agent or ''}".encode()).hexdigest()
    return f"addr:{digest[:32]}"


def is_own_play(*, entry: Entry, user: User | None) -> bool:
    """True when ``user`` is the entry's creator, a judge assigned to it, or an organizer: their plays are not
    counted (they watch to work, not as the audience)."""
    if user is None or not user.is_authenticated:
        return False
    return user.id == entry.creator_id or roles.is_staff(user, entry.contest_id) or is_assigned(user, entry)


def record_play(*, entry: Entry, viewer_key: str, at: datetime | None = None, viewer: User | None = None,
                platform: str = SITE) -> Play:
    """Decide whether a play report of ``entry`` by ``viewer_key`` at ``at`` (aware UTC, default now) counts,
    and count it; ``viewer`` is the signed-in user behind the key, if any (see :func:`is_own_play`).

    It counts when the viewer's last counted play of this entry is at least ``PLAY_WINDOW_S`` seconds old, or
    when there is none: ``UPDATE play_view SET counted_at = at WHERE … AND counted_at <= at - window`` (one
    writer wins the row; the others see the new time), else a first INSERT in a savepoint, where the unique
    (entry, viewer) constraint refuses all but one concurrent first play. Then ``play_count.plays`` goes up by
    one (:func:`_add_one`). Returns :class:`Play`.
    """
    at = at or utcnow()
    counted = not is_own_play(entry=entry, user=viewer) and _claim(entry.id, viewer_key, at)
    if counted:
        _add_one(entry.id, platform)
    return Play(counted, plays_of(entry=entry, platform=platform))


def plays_of(*, entry: Entry, platform: str = SITE) -> int:
    """Plays counted so far for ``entry`` on ``platform`` (0 when none)."""
    return db.session.scalar(select(PlayCount.plays).where(
        PlayCount.entry_id == entry.id, PlayCount.platform == platform)) or 0


def _claim(entry_id: int, key: str, at: datetime) -> bool:
    """Take the viewer's window from ``at`` on; False when a play of theirs was counted within it."""
    window = timedelta(seconds=current_app.config["PLAY_WINDOW_S"])
    moved = db.session.execute(
        update(PlayView)
        .where(PlayView.entry_id == entry_id, PlayView.viewer_key == key, PlayView.counted_at <= at - window)
        .values(counted_at=at).execution_options(synchronize_session=False)
    )
    if moved.rowcount:
        return True
    mine = (PlayView.entry_id == entry_id, PlayView.viewer_key == key)
    if db.session.scalar(select(PlayView.id).where(*mine)):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(PlayView(entry_id=entry_id, viewer_key=key, counted_at=at))
    except IntegrityError:  # a concurrent first play of the same viewer won
        return False
    return True


def _add_one(entry_id: int, platform: str) -> None:
    """The one writer of ``PlayCount.plays``: ``UPDATE play_count SET plays = plays + 1`` (atomic on SQLite
    and PostgreSQL); the first play inserts the row with 1 in a savepoint, and when a concurrent request
    inserted it first (unique constraint) the increment is retried on that row."""
    if not _increment(entry_id, platform):
        try:
            with db.session.begin_nested():
                db.session.add(PlayCount(entry_id=entry_id, platform=platform, plays=1))
        except IntegrityError:
            _increment(entry_id, platform)


def _increment(entry_id: int, platform: str) -> bool:
    """Add one to an existing row; False when there is no row yet."""
    result = db.session.execute(
        update(PlayCount)
        .where(PlayCount.entry_id == entry_id, PlayCount.platform == platform)
        .values(plays=PlayCount.plays + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount > 0
