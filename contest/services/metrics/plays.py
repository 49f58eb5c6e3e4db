"""Play counts (播放量). Flushes, never commits."""
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from contest.extensions import db
from contest.models import SITE, Entry, PlayCount, utcnow


def record_play(*, entry: Entry, platform: str = SITE) -> int:
    """Count one play of ``entry`` on ``platform`` and return the new number of plays.

    The one writer of ``PlayCount.plays``: ``UPDATE play_count SET plays = plays + 1`` (atomic on SQLite and
    PostgreSQL, no lost updates under concurrency). When the (entry, platform) row does not exist yet it is
    inserted with 1 inside a savepoint; if a concurrent request inserted it first (unique constraint), the
    increment is retried on that row.
    """
    if not _increment(entry.id, platform):
        try:
            with db.session.begin_nested():
                db.session.add(PlayCount(entry_id=entry.id, platform=platform, plays=1))
        except IntegrityError:
            _increment(entry.id, platform)
    return plays_of(entry=entry, platform=platform)


def plays_of(*, entry: Entry, platform: str = SITE) -> int:
    """Plays counted so far for ``entry`` on ``platform`` (0 when none)."""
    return db.session.scalar(select(PlayCount.plays).where(
        PlayCount.entry_id == entry.id, PlayCount.platform == platform)) or 0


def _increment(entry_id: int, platform: str) -> bool:
    """Add one to an existing row; False when there is no row yet."""
    result = db.session.execute(
        update(PlayCount)
        .where(PlayCount.entry_id == entry_id, PlayCount.platform == platform)
        .values(plays=PlayCount.plays + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount > 0
