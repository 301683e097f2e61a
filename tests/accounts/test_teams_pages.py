"""The trainer's team pages and the invitation link, through the real views and templates."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import TeamInvitation, TeamMembership, TeamRole
from accounts.services import team_create, team_invitation_create, team_join, trainer_role_grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainer():
    user = UserFactory(public_name="Coach")
    trainer_role_grant(user=user)
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_trainer_creates_a_team_and_a_trainee_cannot(trainer, user):
    response = client_for(trainer).post("/teams/", {"name": "Night shift"})
    team = TeamMembership.objects.get(user=trainer).team
    assert response.status_code == 302
    assert response["Location"] == f"/teams/{team.pk}/"
    assert client_for(user).post("/teams/", {"name": "Mine"}).status_code == 403
    page = client_for(user).get("/teams/").content.decode()
    assert "New team" not in page
    assert "not in a team yet" in page


def test_an_invitation_link_brings_a_new_trainee_through_sign_up_into_the_team(trainer, client):
    team = team_create(trainer=trainer, name="Tier 1")
    trainer_client = client_for(trainer)
    trainer_client.post(f"/teams/{team.pk}/invite/")
    page = trainer_client.get(f"/teams/{team.pk}/").content.decode()
    link = re.search(r'value="(http://testserver/teams/join/[^"]+)"', page).group(1)
    path = link.removeprefix("http://testserver")
    # Shown once: the next visit no longer has it.
    assert link not in trainer_client.get(f"/teams/{team.pk}/").content.decode()

    to_sign_up = client.get(path)
    assert to_sign_up.status_code == 302
    assert to_sign_up["Location"].startswith("/accounts/signup/?next=/teams/join/")
    signed_up = client.post(
        to_sign_up["Location"],
        {
            "email": "new.hire@example.com",
            "public_name": "New hire",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert signed_up["Location"] == path
    assert "Tier 1" in client.get(path).content.decode()
    joined = client.post(path)
    assert joined["Location"] == f"/teams/{team.pk}/"
    membership = TeamMembership.objects.get(user__email="new.hire@example.com")
    assert (membership.team, membership.role) == (team, TeamRole.MEMBER)


def test_an_invitation_by_email_sends_the_link_and_a_bad_address_sends_nothing(
    trainer, mailoutbox, django_capture_on_commit_callbacks
):
    team = team_create(trainer=trainer, name="Tier 1")
    coach = client_for(trainer)
    with django_capture_on_commit_callbacks(execute=True):
        sent = coach.post(f"/teams/{team.pk}/invite/", {"email": "hire@example.com"}, follow=True)
    assert "Invitation e-mailed to hire@example.com" in sent.content.decode()
    [mail] = mailoutbox
    assert mail.to == ["hire@example.com"]
    link = re.search(r"http://testserver(/teams/join/[\w-]+/)", mail.body).group(1)
    assert client_for(UserFactory()).post(link)["Location"] == f"/teams/{team.pk}/"
    # The link is not shown on the page when it went by e-mail.
    assert link not in sent.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        bad = coach.post(f"/teams/{team.pk}/invite/", {"email": "not-an-address"}, follow=True)
    assert "valid email address" in bad.content.decode()
    assert len(mailoutbox) == 1
    assert TeamInvitation.objects.count() == 1


def test_a_bad_link_says_so(user):
    page = client_for(user).get("/teams/join/not-a-real-token/")
    assert page.status_code == 404
    assert "not valid" in page.content.decode()


def test_each_sees_only_what_their_role_allows(trainer, user, other_user):
    team = team_create(trainer=trainer, name="Tier 1")
    team_join(user=user, token=team_invitation_create(team=team, by=trainer)[1])
    other_trainer = UserFactory()
    trainer_role_grant(user=other_trainer)

    as_trainer = client_for(trainer).get(f"/teams/{team.pk}/").content.decode()
    assert user.email in as_trainer
    as_member = client_for(user).get(f"/teams/{team.pk}/").content.decode()
    assert "Coach" in as_member
    assert trainer.email not in as_member
    assert "Make an invitation link" not in as_member
    for outsider in (other_user, other_trainer):
        client = client_for(outsider)
        assert client.get(f"/teams/{team.pk}/").status_code == 404
        assert client.post(f"/teams/{team.pk}/invite/").status_code == 404
        remove = f"/teams/{team.pk}/members/{user.pk}/remove/"
        assert client.post(remove).status_code == 404
    assert client_for(user).post(f"/teams/{team.pk}/invite/").status_code == 404


def test_a_removed_member_loses_the_team(trainer, user):
    team = team_create(trainer=trainer, name="Tier 1")
    team_join(user=user, token=team_invitation_create(team=team, by=trainer)[1])
    response = client_for(trainer).post(f"/teams/{team.pk}/members/{user.pk}/remove/")
    assert response.status_code == 302
    assert client_for(user).get(f"/teams/{team.pk}/").status_code == 404
    refused = client_for(trainer).post(
        f"/teams/{team.pk}/members/{trainer.pk}/remove/", follow=True
    )
    assert "at least one trainer" in refused.content.decode()


def test_the_team_page_runs_the_same_queries_whatever_the_team_size(trainer):
    team = team_create(trainer=trainer, name="Big")
    client = client_for(trainer)

    def queries_with(size):
        missing = size - team.memberships.count()
        TeamMembership.objects.bulk_create(
            TeamMembership(team=team, user=member) for member in UserFactory.create_batch(missing)
        )
        client.get(f"/teams/{team.pk}/")  # warm: the session, the user
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/teams/{team.pk}/").status_code == 200
        return len(queries)

    assert queries_with(10) == queries_with(500)
