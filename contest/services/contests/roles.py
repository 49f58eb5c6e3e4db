"""Who may do what in which contest: the one place that reads ``User.is_admin`` and :class:`ContestRole`.

- A site administrator (``User.is_admin``) is organizer of every contest, creates contests and grants every
  contest role.
- An organizer of a contest manages it and grants or revokes its judges and supervisors.
- A supervisor (监督) of a contest sees what its organizers see and changes nothing.
- A judge of a contest scores the entries of that contest assigned to them.
- Anyone may take part as a creator where the contest lets them (:func:`entry_refusal`): not in a contest where they
  hold a role or as a site administrator, and in a members-only contest only as an approved member.

Grants flush, never commit.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, select

from contest.errors import DomainError
from contest.extensions import db
from contest.services.audit.record import record
from contest.models import AuditAction, Contest, ContestRole, ContestRoleName, Entry, User, utcnow

ORGANIZER, JUDGE, SUPERVISOR = ContestRoleName.ORGANIZER, ContestRoleName.JUDGE, ContestRoleName.SUPERVISOR
#: Roles that see a contest's organizer pages.
STAFF = frozenset({ORGANIZER, SUPERVISOR})


class RoleError(DomainError):
    """A grant or revocation was refused (not allowed to grant that role, unknown user, already granted)."""


def roles_of(user: User, contest_id: int) -> frozenset[ContestRoleName]:
    """The roles ``user`` holds in the contest (a site administrator counts as its organizer). Read from
    ``user.grants`` (loaded with the signed-in user; one query for another user)."""
    if not user.is_authenticated:
        return frozenset()
    held = {grant.role for grant in user.grants if grant.contest_id == contest_id}
    if user.is_admin:
        held.add(ORGANIZER)
    return frozenset(held)


def contest_ids_with(user: User, *roles: ContestRoleName) -> set[int] | None:
    """Ids of the contests where ``user`` holds one of ``roles``; None means every contest (a site
    administrator asking for organizer or supervisor rights)."""
    if user.is_admin and (ORGANIZER in roles or SUPERVISOR in roles):
        return None
    return {grant.contest_id for grant in user.grants if grant.role in roles}


def holds_any(user: User, *roles: ContestRoleName) -> bool:
    """Whether ``user`` holds one of ``roles`` in at least one contest (administrators: organizer everywhere)."""
    return bool(held_anywhere(user) & set(roles))


def is_staff(user: User, contest_id: int) -> bool:
    """Organizer or supervisor of the contest, or a site administrator: may read its organizer pages."""
    return user.is_authenticated and (user.is_admin or bool(roles_of(user, contest_id) & STAFF))


def is_organizer(user: User, contest_id: int) -> bool:
    """Organizer of the contest or a site administrator: may change it."""
    return user.is_authenticated and (user.is_admin or ORGANIZER in roles_of(user, contest_id))


def held_anywhere(user: User) -> frozenset[ContestRoleName]:
    """Every role ``user`` holds in some contest (administrators: organizer too)."""
    if not user.is_authenticated:
        return frozenset()
    held = {grant.role for grant in user.grants}
    if user.is_admin:
        held.add(ORGANIZER)
    return frozenset(held)


def is_judge(user: User, contest_id: int) -> bool:
    """Holds the judge grant of the contest (administrators too need one to judge)."""
    return JUDGE in roles_of(user, contest_id)


def people_of(contest_id: int) -> list[ContestRole]:
    """The contest's grants, by role then name."""
    return list(db.session.scalars(
        select(ContestRole).join(ContestRole.user).where(ContestRole.contest_id == contest_id)
        .order_by(ContestRole.role, User.display_name, User.id)))


def grantable_roles(by: User, contest_id: int) -> list[ContestRoleName]:
    """The roles ``by`` may grant or revoke in the contest: every role for a site administrator, judge and
    supervisor for its organizers, none for anyone else."""
    if by.is_admin:
        return [ORGANIZER, JUDGE, SUPERVISOR]
    if is_organizer(by, contest_id):
        return [JUDGE, SUPERVISOR]
    return []


def grant_role(*, contest: Contest, user: User, role: ContestRoleName, by: User | None) -> ContestRole:
    """Grant ``role`` in ``contest`` to ``user`` (``by`` None: the system, e.g. a migration or the CLI).

    Raises :class:`RoleError` (403) when ``by`` may not grant that role (:func:`grantable_roles`), and
    (422) when the user already holds it or is a site administrator given organizer (they are organizer
    everywhere already).
    """
    role = ContestRoleName(role)
    if by is not None and role not in grantable_roles(by, contest.id):
        raise RoleError(_("You may not grant this role in this contest."), status=403)
    if db.session.scalar(select(ContestRole.id).where(ContestRole.contest_id == contest.id,
                                                      ContestRole.user_id == user.id, ContestRole.role == role)):
        raise RoleError(_("%(name)s already holds this role in this contest.", name=user.display_name))
    grant = ContestRole(contest_id=contest.id, user_id=user.id, role=role,
                        granted_by_id=by.id if by is not None else None, granted_at=utcnow())
    db.session.add(grant)
    db.session.flush()
    record(AuditAction.ROLE_GRANTED, contest_id=contest.id, subject_user_id=user.id, after={"role": role})
    db.session.expire(user, ["grants"])
    return grant


def revoke_role(*, grant: ContestRole, by: User) -> None:
    """Take a role back. Raises :class:`RoleError` (403) when ``by`` may not grant that role in its contest.
    The judge's assignments and reviews stay; without the grant they no longer see them."""
    if grant.role not in grantable_roles(by, grant.contest_id):
        raise RoleError(_("You may not revoke this role in this contest."), status=403)
    record(AuditAction.ROLE_REVOKED, contest_id=grant.contest_id, subject_user_id=grant.user_id,
           before={"role": grant.role})
    db.session.execute(delete(ContestRole).where(ContestRole.id == grant.id))
    db.session.expire_all()


def user_named(username: str | None) -> User:
    """The account with this username (compared case-insensitively). Raises :class:`RoleError` when there is
    none."""
    name = (username or "").strip()
    user = db.session.scalar(select(User).where(func.lower(User.username) == name.lower()))
    if user is None:
        raise RoleError(_("There is no account with the username %(name)s.", name=name))
    return user


def grants_of(user_id: int, contest_ids: set[int] | None) -> list[ContestRole]:
    """The user's grants in ``contest_ids`` (None: every contest), by contest."""
    stmt = select(ContestRole).where(ContestRole.user_id == user_id).order_by(ContestRole.contest_id,
                                                                              ContestRole.role)
    if contest_ids is not None:
        stmt = stmt.where(ContestRole.contest_id.in_(contest_ids))
    return list(db.session.scalars(stmt))


def takes_part_in(user_id: int, contest_ids: set[int] | None) -> bool:
    """Whether the user holds a role or has an entry in one of the contests (None: any contest)."""
    grant = select(ContestRole.id).where(ContestRole.user_id == user_id)
    entry = select(Entry.id).where(Entry.creator_id == user_id)
    if contest_ids is not None:
        grant = grant.where(ContestRole.contest_id.in_(contest_ids))
        entry = entry.where(Entry.contest_id.in_(contest_ids))
    return db.session.scalar(select(exists(grant))) or db.session.scalar(select(exists(entry)))


def entry_refusal(user: User, contest: Contest) -> str | None:
    """Why ``user`` may not submit entries to ``contest`` (a sentence for people), or None when they may: site
    administrators and anyone holding a role in the contest may not (they would judge or run their own
    entries); in a members-only contest only approved alliance members may."""
    if user.is_admin or roles_of(user, contest.id):
        return _("Organizers, judges and supervisors of a contest cannot enter it.")
    if contest.members_only and not user.is_member:
        return _("Only approved alliance members may enter this contest.")
    return None
