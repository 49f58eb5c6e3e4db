"""Roles per contest (contest.services.contests.roles): who may grant what, and who may enter a contest."""
import pytest

from contest.models import ContestRoleName, Membership
from contest.services.contests import roles
from tests.people import Role

ORGANIZER, JUDGE, SUPERVISOR = ContestRoleName.ORGANIZER, ContestRoleName.JUDGE, ContestRoleName.SUPERVISOR


@pytest.fixture
def contest(make_contest):
    return make_contest()


def test_administrators_grant_every_role_organizers_judges_and_supervisors_only(db, make_user, contest,
                                                                                make_contest):
    admin, organizer, supervisor = make_user(Role.ORGANIZER), make_user(), make_user()
    roles.grant_role(contest=contest, user=organizer, role=ORGANIZER, by=admin)
    roles.grant_role(contest=contest, user=supervisor, role=SUPERVISOR, by=organizer)
    assert roles.grantable_roles(admin, contest.id) == [ORGANIZER, JUDGE, SUPERVISOR]
    assert roles.grantable_roles(organizer, contest.id) == [JUDGE, SUPERVISOR]
    assert roles.grantable_roles(supervisor, contest.id) == []
    assert roles.grantable_roles(organizer, make_contest().id) == []
    with pytest.raises(roles.RoleError) as refused:
        roles.grant_role(contest=contest, user=make_user(), role=ORGANIZER, by=organizer)
    assert refused.value.status == 403
    assert roles.roles_of(supervisor, contest.id) == {SUPERVISOR}
    assert roles.is_staff(supervisor, contest.id) and not roles.is_organizer(supervisor, contest.id)
    assert roles.is_organizer(admin, contest.id) and roles.contest_ids_with(admin, ORGANIZER) is None
    assert roles.contest_ids_with(organizer, ORGANIZER, SUPERVISOR) == {contest.id}


def test_a_role_is_held_once_and_revoked_by_whoever_may_grant_it(db, make_user, contest):
    admin, organizer, judge = make_user(Role.ORGANIZER), make_user(), make_user()
    roles.grant_role(contest=contest, user=organizer, role=ORGANIZER, by=admin)
    grant = roles.grant_role(contest=contest, user=judge, role=JUDGE, by=organizer)
    with pytest.raises(roles.RoleError, match="在本大赛中已有此角色"):
        roles.grant_role(contest=contest, user=judge, role=JUDGE, by=admin)
    organizer_grant = next(g for g in roles.people_of(contest.id) if g.role == ORGANIZER)
    with pytest.raises(roles.RoleError):
        roles.revoke_role(grant=organizer_grant, by=organizer)
    roles.revoke_role(grant=grant, by=organizer)
    assert roles.roles_of(judge, contest.id) == frozenset()
    assert [(g.user_id, g.role) for g in roles.people_of(contest.id)] == [(organizer.id, ORGANIZER)]


def test_staff_and_non_members_of_a_members_only_contest_may_not_enter(db, make_user, make_contest, contest):
    judge, creator = make_user(), make_user()
    roles.grant_role(contest=contest, user=judge, role=JUDGE, by=None)
    assert roles.entry_refusal(judge, contest) == "大赛的主办方、评委和监督不能参赛。"
    assert roles.entry_refusal(make_user(Role.ORGANIZER), contest) == "大赛的主办方、评委和监督不能参赛。"
    assert roles.entry_refusal(creator, contest) is None
    assert roles.entry_refusal(judge, make_contest()) is None  # judging one contest, entering another
    closed = make_contest(members_only=True)
    assert roles.entry_refusal(creator, closed) is None
    creator.membership = Membership.REFUSED
    assert roles.entry_refusal(creator, closed) == "本大赛仅限审核通过的联盟成员参赛。"
