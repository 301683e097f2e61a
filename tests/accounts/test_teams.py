"""Teams: who may create one, invitation links, joining, removing; and that a team is seen only
by its own trainers (in full) and members."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.exceptions import (
    InvitationExpired,
    InvitationNotFound,
    LastTrainer,
    NotATrainer,
    TeamNotFound,
)
from accounts.models import TeamInvitation, TeamMembership, TeamRole
from accounts.selectors import is_trainer, team_get_for_member, team_get_for_trainer, teams_for_user
from accounts.services import (
    TRAINER_PERMISSIONS,
    TRAINERS_GROUP,
    team_create,
    team_invitation_create,
    team_join,
    team_member_remove,
    trainer_role_grant,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainer():
    user = UserFactory()
    trainer_role_grant(user=user)
    return user


def test_migrate_creates_the_trainers_group_with_its_permissions():
    group = Group.objects.get(name=TRAINERS_GROUP)
    assert set(group.permissions.values_list("codename", flat=True)) == set(TRAINER_PERMISSIONS)


def test_only_trainers_create_teams_and_become_their_first_trainer(trainer, user):
    assert is_trainer(trainer)
    assert not is_trainer(user)
    with pytest.raises(NotATrainer):
        team_create(trainer=user, name="Night shift")
    team = team_create(trainer=trainer, name="  Night shift ")
    assert team.name == "Night shift"
    assert TeamMembership.objects.get(team=team).role == TeamRole.TRAINER


def test_an_invitation_link_adds_a_member_once_and_stores_no_secret(trainer, user):
    team = team_create(trainer=trainer, name="Tier 1")
    invitation, token = team_invitation_create(team=team, by=trainer)
    assert token not in invitation.token_digest
    assert team_join(user=user, token=token) == team
    assert team_join(user=user, token=token) == team  # twice: still one membership
    assert TeamMembership.objects.filter(team=team, user=user, role=TeamRole.MEMBER).count() == 1
    # The trainer following their own link stays a trainer.
    team_join(user=trainer, token=token)
    assert TeamMembership.objects.get(team=team, user=trainer).role == TeamRole.TRAINER


def test_wrong_expired_and_withdrawn_links_are_refused(trainer, user):
    team = team_create(trainer=trainer, name="Tier 1")
    invitation, token = team_invitation_create(team=team, by=trainer)
    with pytest.raises(InvitationNotFound):
        team_join(user=user, token=token + "x")
    TeamInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(InvitationExpired):
        team_join(user=user, token=token)
    other, other_token = team_invitation_create(team=team, by=trainer)
    TeamInvitation.objects.filter(pk=other.pk).update(revoked_at=timezone.now())
    with pytest.raises(InvitationExpired):
        team_join(user=user, token=other_token)
    assert not TeamMembership.objects.filter(user=user).exists()


def test_a_trainer_sees_only_their_own_teams(trainer, user):
    ours = team_create(trainer=trainer, name="Ours")
    other_trainer = UserFactory()
    trainer_role_grant(user=other_trainer)
    theirs = team_create(trainer=other_trainer, name="Theirs")
    assert team_get_for_trainer(user=trainer, team_id=ours.pk) == ours
    for team_id in (theirs.pk, 999_999, "not-a-number"):
        with pytest.raises(TeamNotFound):
            team_get_for_trainer(user=trainer, team_id=team_id)
    with pytest.raises(TeamNotFound):
        team_invitation_create(team=theirs, by=trainer)
    assert [t.name for t in teams_for_user(user=trainer)] == ["Ours"]


def test_a_member_sees_the_team_but_not_as_a_trainer_and_loses_it_when_removed(trainer, user):
    team = team_create(trainer=trainer, name="Tier 1")
    team_join(user=user, token=team_invitation_create(team=team, by=trainer)[1])
    assert team_get_for_member(user=user, team_id=team.pk).role == TeamRole.MEMBER
    with pytest.raises(TeamNotFound):
        team_get_for_trainer(user=user, team_id=team.pk)
    with pytest.raises(TeamNotFound):
        team_member_remove(team=team, by=user, user_id=trainer.pk)  # members remove nobody
    team_member_remove(team=team, by=trainer, user_id=user.pk)
    with pytest.raises(TeamNotFound):
        team_get_for_member(user=user, team_id=team.pk)
    with pytest.raises(LastTrainer):
        team_member_remove(team=team, by=trainer, user_id=trainer.pk)


@pytest.mark.parametrize("size", [10, 500])
def test_reading_a_team_takes_the_same_queries_whatever_its_size(
    trainer, size, django_assert_num_queries
):
    team = team_create(trainer=trainer, name="Big")
    members = UserFactory.create_batch(size)
    TeamMembership.objects.bulk_create(TeamMembership(team=team, user=m) for m in members)
    with django_assert_num_queries(2):
        loaded = team_get_for_trainer(user=trainer, team_id=team.pk)
        assert len(loaded.memberships.all()) == size + 1
        assert loaded.member_count == size
    with django_assert_num_queries(2):
        assert teams_for_user(user=trainer)[0].member_count == size
