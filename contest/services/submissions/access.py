"""Object-level permission checks, one place for all areas (roles are checked per blueprint)."""
from flask import abort
from sqlalchemy import select

from contest.extensions import db
from contest.models import Assignment, Entry, User
from contest.services.contests import roles


def is_assigned(user: User, entry: Entry) -> bool:
    """True if ``user`` is assigned to ``entry`` and holds the judge grant of its contest."""
    return db.session.scalar(
        select(Assignment.id).where(Assignment.judge_id == user.id, Assignment.entry_id == entry.id)
    ) is not None and roles.is_judge(user, entry.contest_id)


def can_view_entry(user: User, entry: Entry) -> bool:
    """Who may see an entry and play its video: its creator, a judge of its contest assigned to it, the
    organizers and supervisors of its contest (and site administrators)."""
    if not user.is_authenticated:
        return False
    if entry.creator_id == user.id:
        return True
    return roles.is_staff(user, entry.contest_id) or is_assigned(user, entry)


def get_entry_or_404(entry_id: int) -> Entry:
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        abort(404)
    return entry


def load_viewable_entry(user: User, entry_id: int) -> Entry:
    """The entry if ``user`` may view it; 404 if it does not exist *or* the user may not see it (so that
    other creators' entry ids are not disclosed)."""
    entry = get_entry_or_404(entry_id)
    if not can_view_entry(user, entry):
        abort(404)
    return entry
