"""Blind judging text: an organizer's redacted title and description of an entry, which judges of a blind
round read instead of the originals (e.g. with the creator's name or school taken out). The judge's
projection (:func:`contest.services.submissions.projections.for_judge`) applies it."""
from flask_babel import gettext as _

from contest.errors import DomainError
from contest.extensions import db
from contest.models import AuditAction, Entry
from contest.services.audit.record import record_changes

#: Longest redacted title, characters (the column is VARCHAR(200)).
MAX_TITLE = 200


class BlindTextError(DomainError):
    """The redacted text breaks a rule; the message is for people."""


def set_blind_text(*, entry: Entry, title: str, description: str) -> bool:
    """Store the redacted title and description (stripped; empty = judges read the original) and return
    whether anything changed (audited as ``entry.blind_text_changed``). Raises :class:`BlindTextError` for a
    title over :data:`MAX_TITLE` characters."""
    title, description = (title or "").strip(), (description or "").strip()
    if len(title) > MAX_TITLE:
        raise BlindTextError(_("The blind title has at most %(n)s characters.", n=MAX_TITLE))
    before = {"blind_title": entry.blind_title, "blind_description": entry.blind_description}
    entry.blind_title, entry.blind_description = title or None, description or None
    db.session.flush()
    return record_changes(AuditAction.BLIND_TEXT_CHANGED, contest_id=entry.contest_id, entry_id=entry.id,
                          before=before, after={"blind_title": entry.blind_title,
                                                "blind_description": entry.blind_description}) is not None
