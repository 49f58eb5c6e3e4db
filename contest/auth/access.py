"""Access checks, installed once per blueprint (never pasted per route), and the one rule for where a log-in may
send the user back to.

Contest pages resolve the contest of every URL from its arguments (:data:`CONTEST_OF`): ``contest_id`` itself,
``entry_id`` → the entry's contest, ``assignment_id`` / ``permit_id`` → their entry's contest, ``grant_id`` → the
grant's contest. The rules of who holds which role are in :mod:`contest.services.contests.roles`.
"""
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, request, url_for
from flask_login import current_user
from sqlalchemy import select

from contest.extensions import db
from contest.models import (
    Assignment,
    Conflict,
    Contest,
    ContestRole,
    ContestRoleName,
    Entry,
    ReplacementPermit,
    Review,
    Round,
)
from contest.services.contests import roles

#: Methods that only read: a supervisor may use them on their contest's organizer pages.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: URL argument → the query of the contest id it belongs to (a new kind of contest object adds a line here).
CONTEST_OF: dict[str, Callable[[int], object]] = {
    "contest_id": lambda id_: select(Contest.id).where(Contest.id == id_),
    "entry_id": lambda id_: select(Entry.contest_id).where(Entry.id == id_),
    "assignment_id": lambda id_: select(Entry.contest_id).join(Assignment, Assignment.entry_id == Entry.id)
    .where(Assignment.id == id_),
    "permit_id": lambda id_: select(Entry.contest_id)
    .join(ReplacementPermit, ReplacementPermit.entry_id == Entry.id).where(ReplacementPermit.id == id_),
    "grant_id": lambda id_: select(ContestRole.contest_id).where(ContestRole.id == id_),
    "round_id": lambda id_: select(Round.contest_id).where(Round.id == id_),
    "review_id": lambda id_: select(Entry.contest_id).join(Assignment, Assignment.entry_id == Entry.id)
    .join(Review, Review.assignment_id == Assignment.id).where(Review.id == id_),
    "conflict_id": lambda id_: select(Conflict.contest_id).where(Conflict.id == id_),
}


def require_login(bp: Blueprint) -> None:
    """Every view of ``bp`` needs a logged-in user (anonymous users are sent to the login page)."""

    @bp.before_request
    def _check_login():
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()


def require_admin(bp: Blueprint) -> None:
    """Every view of ``bp`` needs a site administrator (403 for other users)."""

    @bp.before_request
    def _check_admin():
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)


def require_any_grant(bp: Blueprint, *wanted: ContestRoleName) -> None:
    """Every view of ``bp`` needs a logged-in user holding one of ``wanted`` in at least one contest (403
    otherwise)."""

    @bp.before_request
    def _check_grant():
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if not roles.holds_any(current_user, *wanted):
            abort(403)


def require_contest_staff(bp: Blueprint) -> None:
    """Every view of ``bp`` is an organizer page. A URL naming a contest object (:data:`CONTEST_OF`) needs an
    organizer or supervisor of *that* contest (or a site administrator); 404 when the object does not exist;
    writes (any method but GET / HEAD / OPTIONS) need an organizer of it. A page naming no contest needs such a
    role in some contest (writes: organizer somewhere), and scopes itself (:func:`staff_contest_ids`). The
    contest id is kept in ``g.contest_id``."""

    @bp.before_request
    def _check_staff():
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        # a site administrator may use every contest's pages: the URL's contest is not looked up (the view
        # answers 404 for a missing object itself)
        g.contest_id = contest_id = None if current_user.is_admin else contest_of_url(request.view_args or {})
        writes = request.method not in READ_METHODS
        if current_user.is_admin:
            allowed = True
        elif contest_id is None:
            allowed = roles.holds_any(current_user, roles.ORGANIZER, *(() if writes else (roles.SUPERVISOR,)))
        else:
            allowed = (roles.is_organizer if writes else roles.is_staff)(current_user, contest_id)
        if not allowed:
            abort(403)


def contest_of_url(view_args: dict) -> int | None:
    """The contest id the URL's arguments name (None: no contest object); aborts 404 when the object is
    missing. Several arguments must name the same contest."""
    found = None
    for name, value in view_args.items():
        query = CONTEST_OF.get(name)
        if query is None or value is None:  # None: a route default ("every contest" pages)
            continue
        contest_id = db.session.scalar(query(value))
        if contest_id is None:
            abort(404)
        if found is not None and found != contest_id:
            abort(404)
        found = contest_id
    return found


def staff_contest_ids() -> set[int] | None:
    """Ids of the contests whose organizer pages the current user may read (None: every contest)."""
    return roles.contest_ids_with(current_user, roles.ORGANIZER, roles.SUPERVISOR)


def may_change() -> bool:
    """Whether the current user may change the contest of the current organizer page (templates hide the
    forms a supervisor may not send)."""
    contest_id = g.get("contest_id")
    if contest_id is None:
        return roles.holds_any(current_user, roles.ORGANIZER)
    return roles.is_organizer(current_user, contest_id)


def my_roles() -> frozenset[ContestRoleName]:
    """The roles the current user holds in some contest (loaded with the user: no query): what the navigation
    links to."""
    return roles.held_anywhere(current_user)


def safe_next(target: str | None) -> str:
    """``target`` when it is a same-site relative path (``/my/``), else the home page's URL: only such paths are
    followed after log-in or a language switch."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.index")
