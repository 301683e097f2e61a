"""The teams API: every boundary answers as docs/api.md promises. A team that is not yours is
absent (404, never 403, so ids reveal nothing), a member sees who trains the team but no one's
address, and an invitation's secret leaves the server once, in the answer that creates it."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import TeamInvitation, TeamMembership, TeamRole
from accounts.services import (
    team_create,
    team_invitation_create,
    team_join,
    trainer_role_grant,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _trainer(**fields):
    user = UserFactory(**fields)
    trainer_role_grant(user=user)
    return user


@pytest.fixture
def trainer():
    return _trainer(first_name="Tess", last_name="Trainer")


@pytest.fixture
def team(trainer):
    return team_create(trainer=trainer, name="Tier 1")


@pytest.fixture
def member(team, trainer):
    user = UserFactory(first_name="Mo", last_name="Member")
    team_join(user=user, token=team_invitation_create(team=team, by=trainer)[1])
    return user


def _error_code(response) -> str:
    body = response.json()
    assert set(body) == {"error", "details"}, body
    return body["details"]["code"]


# --- Who may do what -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/teams/"),
        ("post", "/api/v1/teams/"),
        ("get", "/api/v1/teams/{team}/"),
        ("delete", "/api/v1/teams/{team}/members/{trainer}/"),
        ("post", "/api/v1/teams/{team}/invitations/"),
        ("post", "/api/v1/teams/join/"),
    ],
)
def test_anonymous_callers_get_401_on_every_team_route(method, url, team, trainer):
    url = url.format(team=team.pk, trainer=trainer.pk)
    response = getattr(APIClient(), method)(url, {"name": "X", "token": "x"}, format="json")
    assert response.status_code == 401
    assert _error_code(response) == "not_authenticated"
    assert TeamMembership.objects.filter(team=team).count() == 1


def test_a_trainer_creates_a_team_and_becomes_its_first_trainer(trainer):
    response = _client(trainer).post("/api/v1/teams/", {"name": "  Night shift "}, format="json")
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["name"] == "Night shift"
    assert data["role"] == "trainer"
    assert (data["member_count"], data["trainer_count"]) == (0, 1)
    assert data["trainers"] == ["Tess Trainer"]
    assert [(m["user_id"], m["role"], m["email"]) for m in data["members"]] == [
        (trainer.pk, "trainer", trainer.email)
    ]


@pytest.mark.parametrize("body", [{"name": "Mine"}, {}, {"name": ""}])
def test_a_trainee_may_not_create_a_team_whatever_they_send(user, body):
    response = _client(user).post("/api/v1/teams/", body, format="json")
    assert response.status_code == 403
    assert _error_code(response) == "not_a_trainer"
    assert not TeamMembership.objects.filter(user=user).exists()


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, None])
def test_a_team_name_is_one_to_eighty_characters(trainer, name):
    body = {} if name is None else {"name": name}
    response = _client(trainer).post("/api/v1/teams/", body, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["details"]


def test_the_list_shows_each_team_with_the_callers_role_and_counts(trainer, team, member):
    other = team_create(trainer=_trainer(), name="Another")
    TeamMembership.objects.create(team=other, user=member)

    response = _client(member).get("/api/v1/teams/")
    assert response.status_code == 200
    body = response.json()
    assert body["meta"] == {"total": 2}
    assert [(t["name"], t["role"]) for t in body["data"]] == [
        ("Another", "member"),
        ("Tier 1", "member"),
    ]
    tier1 = body["data"][1]
    assert set(tier1) == {"id", "name", "role", "member_count", "trainer_count", "created_at"}
    assert (tier1["id"], tier1["member_count"], tier1["trainer_count"]) == (team.pk, 1, 1)

    mine = _client(trainer).get("/api/v1/teams/").json()["data"]
    assert [(t["name"], t["role"]) for t in mine] == [("Tier 1", "trainer")]
    assert _client(UserFactory()).get("/api/v1/teams/").json() == {
        "success": True,
        "data": [],
        "meta": {"total": 0},
    }


def test_a_trainer_of_the_team_sees_its_members_with_their_addresses(trainer, team, member):
    response = _client(trainer).get(f"/api/v1/teams/{team.pk}/")
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["id"], data["name"], data["role"]) == (team.pk, "Tier 1", "trainer")
    assert (data["member_count"], data["trainer_count"]) == (1, 1)
    members = {m["user_id"]: m for m in data["members"]}
    assert set(members) == {trainer.pk, member.pk}
    assert members[member.pk]["display_name"] == "Mo Member"
    assert members[member.pk]["email"] == member.email
    assert members[member.pk]["role"] == "member"
    assert members[trainer.pk]["role"] == "trainer"
    assert members[member.pk]["joined_at"]


def test_a_member_sees_the_name_their_role_and_the_trainers_names_only(trainer, team, member):
    response = _client(member).get(f"/api/v1/teams/{team.pk}/")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data == {"id": team.pk, "name": "Tier 1", "role": "member", "trainers": ["Tess Trainer"]}
    # No address at all, whoever's, anywhere in the answer.
    assert "@" not in response.content.decode()


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("get", "/api/v1/teams/{team}/", None),
        ("delete", "/api/v1/teams/{team}/members/{member}/", None),
        ("post", "/api/v1/teams/{team}/invitations/", {}),
        # Not a 400 either: what they sent must not matter before whether the team is theirs.
        ("post", "/api/v1/teams/{team}/invitations/", {"email": "not-an-address"}),
    ],
)
def test_a_trainer_of_another_team_finds_nothing(method, url, body, team, member):
    outsider = _trainer()
    team_create(trainer=outsider, name="Theirs")
    url = url.format(team=team.pk, member=member.pk)
    response = getattr(_client(outsider), method)(url, body, format="json")
    assert response.status_code == 404
    assert _error_code(response) == "team_not_found"
    assert TeamMembership.objects.filter(team=team).count() == 2
    assert TeamInvitation.objects.filter(team=team).count() == 1  # the member's own


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("delete", "/api/v1/teams/{team}/members/{trainer}/", None),
        ("delete", "/api/v1/teams/{team}/members/{member}/", None),
        ("post", "/api/v1/teams/{team}/invitations/", {}),
    ],
)
def test_a_member_finds_nothing_on_the_trainers_routes(method, url, body, team, trainer, member):
    url = url.format(team=team.pk, trainer=trainer.pk, member=member.pk)
    response = getattr(_client(member), method)(url, body, format="json")
    assert response.status_code == 404
    assert _error_code(response) == "team_not_found"
    assert TeamMembership.objects.filter(team=team).count() == 2
    assert TeamInvitation.objects.filter(team=team).count() == 1


def test_a_stranger_and_an_unknown_id_look_the_same(team):
    stranger = _client(UserFactory())
    for url in (f"/api/v1/teams/{team.pk}/", "/api/v1/teams/999999/"):
        response = stranger.get(url)
        assert response.status_code == 404
        assert response.json() == {"error": "No such team.", "details": {"code": "team_not_found"}}


# --- Removing people -----------------------------------------------------------------------------


def test_a_removed_member_no_longer_sees_the_team(trainer, team, member):
    response = _client(trainer).delete(f"/api/v1/teams/{team.pk}/members/{member.pk}/")
    assert response.status_code == 204
    assert response.content == b""
    assert not TeamMembership.objects.filter(team=team, user=member).exists()

    gone = _client(member).get(f"/api/v1/teams/{team.pk}/")
    assert gone.status_code == 404
    assert _error_code(gone) == "team_not_found"
    assert _client(member).get("/api/v1/teams/").json()["data"] == []
    # Removing them again: they are no member to remove.
    again = _client(trainer).delete(f"/api/v1/teams/{team.pk}/members/{member.pk}/")
    assert again.status_code == 404


def test_the_last_trainer_cannot_be_removed_but_one_of_two_can(trainer, team):
    response = _client(trainer).delete(f"/api/v1/teams/{team.pk}/members/{trainer.pk}/")
    assert response.status_code == 409
    assert _error_code(response) == "last_trainer"

    second = _trainer()
    TeamMembership.objects.create(team=team, user=second, role=TeamRole.TRAINER)
    response = _client(second).delete(f"/api/v1/teams/{team.pk}/members/{trainer.pk}/")
    assert response.status_code == 204
    assert _client(trainer).get(f"/api/v1/teams/{team.pk}/").status_code == 404


# --- Invitations and joining ---------------------------------------------------------------------


def test_an_invitation_link_is_shown_once_and_only_its_digest_is_stored(trainer, team):
    response = _client(trainer).post(
        f"/api/v1/teams/{team.pk}/invitations/", {"email": "new@example.com"}, format="json"
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) == {"url", "expires_at", "emailed"}
    assert data["emailed"] is True
    # Absolute, and the page route's own shape: /teams/join/<token>/.
    match = re.fullmatch(r"http://testserver/teams/join/([A-Za-z0-9_-]{20,})/", data["url"])
    assert match, data["url"]
    token = match.group(1)

    invitation = TeamInvitation.objects.get(team=team)
    assert invitation.email == "new@example.com"
    assert invitation.token_digest == hashlib.sha256(token.encode()).hexdigest()
    row = TeamInvitation.objects.filter(pk=invitation.pk).values().get()
    assert not any(token in str(value) for value in row.values())

    joiner = UserFactory()
    joined = _client(joiner).post("/api/v1/teams/join/", {"token": token}, format="json")
    assert joined.status_code == 200
    assert joined.json()["data"]["name"] == "Tier 1"


def test_an_invitation_with_an_email_sends_the_link_there(
    trainer, team, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        data = (
            _client(trainer)
            .post(
                f"/api/v1/teams/{team.pk}/invitations/",
                {"email": "hire@example.com"},
                format="json",
            )
            .json()["data"]
        )
    [mail] = mailoutbox
    assert mail.to == ["hire@example.com"]
    assert "Tier 1" in mail.subject
    assert data["url"] in mail.body
    # Without an address, only the link comes back: nothing is sent.
    with django_capture_on_commit_callbacks(execute=True):
        bare = _client(trainer).post(f"/api/v1/teams/{team.pk}/invitations/", {}, format="json")
        bare = bare.json()["data"]
    assert bare["emailed"] is False
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("email", ["not-an-address", "x" * 250 + "@example.com"])
def test_an_invitation_email_must_be_an_address(trainer, team, email):
    response = _client(trainer).post(
        f"/api/v1/teams/{team.pk}/invitations/", {"email": email}, format="json"
    )
    assert response.status_code == 400
    assert "email" in response.json()["details"]
    assert not TeamInvitation.objects.exists()


def test_joining_gives_the_member_view_and_twice_changes_nothing(trainer, team):
    token = team_invitation_create(team=team, by=trainer)[1]
    joiner = _client(UserFactory())
    for _ in range(2):
        response = joiner.post("/api/v1/teams/join/", {"token": token}, format="json")
        assert response.status_code == 200
        assert response.json()["data"] == {
            "id": team.pk,
            "name": "Tier 1",
            "role": "member",
            "trainers": ["Tess Trainer"],
        }
    assert TeamMembership.objects.filter(team=team, role=TeamRole.MEMBER).count() == 1

    # The trainer following their own link stays a trainer.
    own = _client(trainer).post("/api/v1/teams/join/", {"token": token}, format="json")
    assert own.json()["data"]["role"] == "trainer"


def test_joining_with_a_bad_token_is_404(trainer, team, user):
    token = team_invitation_create(team=team, by=trainer)[1]
    response = _client(user).post("/api/v1/teams/join/", {"token": token + "x"}, format="json")
    assert response.status_code == 404
    assert _error_code(response) == "invitation_not_found"
    assert not TeamMembership.objects.filter(user=user).exists()


def test_joining_with_an_expired_or_withdrawn_token_is_409(trainer, team, user):
    expired, expired_token = team_invitation_create(team=team, by=trainer)
    TeamInvitation.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    withdrawn, withdrawn_token = team_invitation_create(team=team, by=trainer)
    TeamInvitation.objects.filter(pk=withdrawn.pk).update(revoked_at=timezone.now())
    for token in (expired_token, withdrawn_token):
        response = _client(user).post("/api/v1/teams/join/", {"token": token}, format="json")
        assert response.status_code == 409
        assert _error_code(response) == "invitation_expired"
    assert not TeamMembership.objects.filter(user=user).exists()


@pytest.mark.parametrize("body", [{}, {"token": ""}, {"token": "x" * 101}, {"token": ["x"]}])
def test_a_join_request_needs_a_token_string_of_at_most_100_characters(user, body):
    response = _client(user).post("/api/v1/teams/join/", body, format="json")
    assert response.status_code == 400
    assert "token" in response.json()["details"]


# --- Cost ----------------------------------------------------------------------------------------


def _team_of(trainer, size):
    team = team_create(trainer=trainer, name=f"{size} members")
    members = UserFactory.create_batch(size)
    TeamMembership.objects.bulk_create(TeamMembership(team=team, user=m) for m in members)
    return team, members[0]


# The trainer's view: the team with its counts, then its memberships with their users. The
# member's: the trainer lookup that finds nothing, their membership, the trainers.
@pytest.mark.parametrize("size", [10, 200])
def test_reading_a_team_takes_the_same_queries_whatever_its_size(
    trainer, size, django_assert_num_queries
):
    team, member = _team_of(trainer, size)
    with django_assert_num_queries(2):
        response = _client(trainer).get(f"/api/v1/teams/{team.pk}/")
    assert len(response.json()["data"]["members"]) == size + 1
    with django_assert_num_queries(3):
        response = _client(member).get(f"/api/v1/teams/{team.pk}/")
    assert response.json()["data"]["trainers"] == ["Tess Trainer"]
    with django_assert_num_queries(2):
        response = _client(trainer).get("/api/v1/teams/")
    assert response.json()["data"][0]["member_count"] == size
