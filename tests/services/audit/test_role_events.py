"""Role grants and revocations and membership decisions each leave one audit row."""
from sqlalchemy import select

from contest.models import AuditAction, AuditEvent, ContestRole, ContestRoleName
from contest.services.accounts import membership
from contest.services.contests import roles
from tests.people import Role


def test_grant_revoke_and_membership_are_audited(db, make_user, make_contest):
    contest = make_contest()
    admin, person = make_user(Role.ORGANIZER), make_user()
    grant = roles.grant_role(contest=contest, user=person, role=ContestRoleName.SUPERVISOR, by=admin)
    roles.revoke_role(grant=grant, by=admin)
    person.membership = membership.Membership.PENDING
    membership.decide(user=person, by=admin, approve=False, reason="资料不全")
    db.session.commit()
    rows = {e.action: e for e in db.session.scalars(select(AuditEvent))}
    assert rows[AuditAction.ROLE_GRANTED].after == {"role": "supervisor"}
    assert rows[AuditAction.ROLE_GRANTED].subject_user_id == person.id
    assert rows[AuditAction.ROLE_REVOKED].before == {"role": "supervisor"}
    decided = rows[AuditAction.MEMBERSHIP_DECIDED]
    assert (decided.before, decided.after, decided.reason) == ({"membership": "pending"}, {"membership": "refused"},
                                                               "资料不全")
    assert db.session.scalars(select(ContestRole).where(ContestRole.user_id == person.id)).all() == []
