"""Deleting a draft entry (its creator, inside the submission window). Flushes, never commits.

The entry's rows go at once; its stored files (original, poster, rendition, preview) once the transaction
commits (:mod:`contest.infra.after_commit`). Its number is not handed out again: numbers come from
``contest.entry_seq``, which only grows. The contest's kept entry count
(:func:`contest.services.contests.queries.entry_total`) is dropped after the commit.
"""
from flask_babel import gettext as _
from sqlalchemy import delete, exists, select, update

from contest.extensions import db
from contest.infra.after_commit import on_commit
from contest.infra.cache import forget_after_commit
from contest.infra.storage import get_storage
from contest.models import (
    Assignment,
    DeclarationAcceptance,
    Entry,
    EntryState,
    PlayCount,
    PlayView,
    Video,
)
from contest.services.contests.queries import ENTRY_TOTALS
from contest.services.submissions.errors import SubmissionError
from contest.services.submissions.window import require_open
from contest.services.uploads.admission import video_keys


def delete_draft(*, entry: Entry) -> str:
    """Delete the draft ``entry`` of its creator for good; returns its number (for the message).

    Raises :class:`SubmissionError` outside the creator's submission window, for an entry that is not a draft
    (a submitted entry is withdrawn instead, with a reason), or when judges are already assigned to it.
    Plays counted and the entry's video go with it; another video flagged as similar to it loses the flag.
    """
    require_open(entry.contest, creator_id=entry.creator_id)
    if entry.state != EntryState.DRAFT:
        raise SubmissionError(_("Only a draft can be deleted; withdraw a submitted entry instead."))
    if db.session.scalar(select(exists().where(Assignment.entry_id == entry.id))):
        raise SubmissionError(_("Judges are assigned to this entry; withdraw it instead of deleting it."))
    keys, number, contest_id = video_keys(entry.video), entry.number, entry.contest_id
    for table in (PlayCount, PlayView, DeclarationAcceptance):
        db.session.execute(delete(table).where(table.entry_id == entry.id))
    db.session.execute(update(Video).where(Video.similar_entry_id == entry.id)
                       .values(similar_entry_id=None, similar_distance=None)
                       .execution_options(synchronize_session=False))
    db.session.delete(entry)
    db.session.flush()
    if keys:
        on_commit(lambda: _delete_files(keys))
    forget_after_commit(ENTRY_TOTALS, contest_id)
    return number


def _delete_files(keys: list[str]) -> None:
    storage = get_storage()
    for key in keys:
        storage.delete(key)
