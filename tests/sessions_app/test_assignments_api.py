"""The assignments API: a trainee's own assigned work under /api/v1/assignments/, and a team's
assignments under /api/v1/teams/<id>/assignments/ for that team's trainers only (anyone else
gets the 404 of a team that does not exist, before the body is read)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import TeamMembership, TeamRole
from accounts.services import team_create, trainer_role_grant
from sessions_app.assignments import assignment_create
from sessions_app.models import Assignment, SessionStatus
from tests.factories import ScenarioFactory, UserFactory, UserSessionFactory

pytestmark = pytest.mark.django_db

MINE = "/api/v1/assignments/"


def of_team(team) -> str:
    return f"/api/v1/teams/{team.pk}/assignments/"


def in_days(days: float):
    return timezone.now() + timedelta(days=days)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def scored(user, scenario, score):
    return UserSessionFactory(
        user=user, scenario=scenario, status=SessionStatus.SCORED, score=score, passed=score >= 70
    )


def a_trainer(**fields):
    user = UserFactory(**fields)
    trainer_role_grant(user=user)
    return user


@pytest.fixture
def trainer():
    return a_trainer(public_name="Coach")


@pytest.fixture
def team(trainer, user):
    team = team_create(trainer=trainer, name="Tier 1")
    TeamMembership.objects.create(team=team, user=user)
    return team


@pytest.fixture
def coach(trainer):
    return client_for(trainer)


@pytest.fixture
def alpha():
    return ScenarioFactory(slug="alpha", title="Alpha")


@pytest.fixture
def beta():
    return ScenarioFactory(slug="beta", title="Beta")


def body(*slugs, **fields):
    return {"scenarios": list(slugs), "due_at": in_days(3).isoformat(), **fields}


# --- who may ask ---------------------------------------------------------------------------------


def test_a_trainer_of_another_team_gets_404_for_reading_and_assigning(team, alpha):
    other = a_trainer()
    team_create(trainer=other, name="Team A")
    client = client_for(other)
    ghost = client.get("/api/v1/teams/999999/assignments/")
    for response in (
        client.get(of_team(team)),
        client.post(of_team(team), body("alpha"), format="json"),
    ):
        assert response.status_code == 404
        assert response.json() == ghost.json()
        assert response.json()["details"] == {"code": "team_not_found"}
    assert not Assignment.objects.exists()


def test_a_member_of_the_team_gets_404_on_the_team_routes(team, user, alpha):
    member = client_for(user)
    assert member.get(of_team(team)).status_code == 404
    response = member.post(of_team(team), body("alpha"), format="json")
    assert response.status_code == 404
    assert response.json()["details"] == {"code": "team_not_found"}
    assert not Assignment.objects.exists()


def test_strangers_get_404_before_their_body_is_read(team, other_user):
    response = client_for(other_user).post(of_team(team), {"min_score": "lots"}, format="json")
    assert response.status_code == 404
    assert response.json()["details"] == {"code": "team_not_found"}


def test_without_credentials_every_route_is_401(team):
    anonymous = APIClient()
    for response in (
        anonymous.get(MINE),
        anonymous.get(of_team(team)),
        anonymous.post(of_team(team), body("alpha"), format="json"),
    ):
        assert response.status_code == 401
        assert response.json()["details"] == {"code": "not_authenticated"}


# --- assigning, and what the trainee sees ------------------------------------------------------


def test_a_team_assignment_is_due_for_the_member_then_done_after_a_scored_session(
    coach, team, user, alpha, beta
):
    created = coach.post(of_team(team), body("alpha", "beta", min_score=80), format="json")
    assert created.status_code == 201, created.json()
    data = created.json()["data"]
    assignment = Assignment.objects.get()
    assert data["id"] == assignment.pk
    assert data["scenarios"] == [
        {"slug": "alpha", "title": "Alpha"},
        {"slug": "beta", "title": "Beta"},
    ]
    assert (data["assignee"], data["min_score"]) == (None, 80)
    assert (data["done_count"], data["people_count"]) == (0, 1)
    assert data["people"] == [{"display_name": user.display_name, "done": False}]
    assert assignment.team == team

    member = client_for(user)
    rows = member.get(MINE).json()
    assert rows["meta"] == {"total": 2}
    assert [(r["scenario"]["slug"], r["status"], r["best_score"]) for r in rows["data"]] == [
        ("alpha", "due", None),
        ("beta", "due", None),
    ]
    first = rows["data"][0]
    assert (first["assignment_id"], first["min_score"]) == (assignment.pk, 80)
    assert first["scenario"] == {"slug": "alpha", "title": "Alpha"}

    scored(user, alpha, 75)  # below the minimum: still due, with the best so far
    scored(user, alpha, 90)
    rows = member.get(MINE).json()["data"]
    # Not done first.
    assert [(r["scenario"]["slug"], r["status"], r["best_score"]) for r in rows] == [
        ("beta", "due", None),
        ("alpha", "done", 90),
    ]

    scored(user, beta, 80)
    progress = coach.get(of_team(team)).json()
    assert progress["meta"] == {"total": 1}
    [row] = progress["data"]
    assert (row["done_count"], row["people_count"]) == (1, 1)
    assert row["people"] == [{"display_name": user.display_name, "done": True}]


def test_soonest_due_first_and_overdue_once_past_its_date(trainer, team, user, alpha, beta):
    later = assignment_create(by=trainer, team=team, scenarios=[alpha], due_at=in_days(5))
    assignment_create(by=trainer, team=team, scenarios=[beta], due_at=in_days(2))
    rows = client_for(user).get(MINE).json()["data"]
    assert [r["scenario"]["slug"] for r in rows] == ["beta", "alpha"]

    Assignment.objects.filter(pk=later.pk).update(due_at=in_days(-1))
    rows = client_for(user).get(MINE).json()["data"]
    assert [(r["scenario"]["slug"], r["status"]) for r in rows] == [
        ("alpha", "overdue"),
        ("beta", "due"),
    ]


def test_an_assignment_to_one_member_names_only_them(coach, team, user, alpha):
    other_member = UserFactory(public_name="Other")
    TeamMembership.objects.create(team=team, user=other_member)
    response = coach.post(of_team(team), body("alpha", assignee_id=user.pk), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert (data["assignee"], data["people_count"]) == (user.display_name, 1)
    assert data["min_score"] == 70  # the default
    assert Assignment.objects.get().assignee == user

    assert [r["status"] for r in client_for(user).get(MINE).json()["data"]] == ["due"]
    assert client_for(other_member).get(MINE).json() == {
        "success": True,
        "data": [],
        "meta": {"total": 0},
    }
    [listed] = coach.get(of_team(team)).json()["data"]
    assert listed["assignee"] == user.display_name


def test_a_session_before_the_assignment_does_not_count(trainer, team, user, alpha):
    scored(user, alpha, 100)
    assignment_create(by=trainer, team=team, scenarios=[alpha], due_at=in_days(1))
    [row] = client_for(user).get(MINE).json()["data"]
    assert (row["status"], row["best_score"]) == ("due", None)


# --- what is refused -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"scenarios": ["no-such-scenario"]}, "scenarios"),
        ({"scenarios": ["retired"]}, "scenarios"),
        ({"scenarios": ["alpha", "no-such-scenario"]}, "scenarios"),
        ({"scenarios": []}, "scenarios"),
        ({"scenarios": None}, "scenarios"),
        ({"min_score": 101}, "min_score"),
        ({"min_score": -1}, "min_score"),
        ({"due_at": "next tuesday"}, "due_at"),
        ({"due_at": None}, "due_at"),
    ],
)
def test_an_invalid_body_is_400_naming_the_field(coach, team, alpha, payload, field):
    ScenarioFactory(slug="retired", is_active=False)
    response = coach.post(of_team(team), {**body("alpha"), **payload}, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["details"]
    assert not Assignment.objects.exists()


def test_an_unknown_slug_is_named_in_the_error(coach, team, alpha):
    response = coach.post(of_team(team), body("alpha", "nope"), format="json")
    assert response.json()["details"] == {"scenarios": ["No active scenario with the slug nope."]}


def test_a_due_date_in_the_past_is_400_invalid_assignment(coach, team, alpha):
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    response = coach.post(of_team(team), {**body("alpha"), "due_at": past}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "error": "The due date must be in the future.",
        "details": {"code": "invalid_assignment"},
    }
    assert not Assignment.objects.exists()


def test_the_assignee_must_be_a_member_of_this_team(coach, trainer, team, alpha, other_user):
    # A member of another team the same trainer trains is still no member of this one.
    elsewhere = team_create(trainer=trainer, name="Tier 2")
    TeamMembership.objects.create(team=elsewhere, user=other_user)
    for assignee_id in (other_user.pk, trainer.pk, 999999):
        response = coach.post(of_team(team), body("alpha", assignee_id=assignee_id), format="json")
        assert response.status_code == 400, assignee_id
        assert response.json()["details"] == {
            "assignee_id": ["No member of this team has that id."]
        }
    assert not Assignment.objects.exists()


def test_a_null_assignee_means_the_whole_team(coach, team, alpha):
    response = coach.post(of_team(team), body("alpha", assignee_id=None), format="json")
    assert response.status_code == 201
    assert Assignment.objects.get().team == team


def test_read_only_and_unknown_fields_are_ignored(coach, trainer, team, user, alpha):
    response = coach.post(
        of_team(team),
        body("alpha", done_count=5, created_by=user.pk, team=12345, id=777),
        format="json",
    )
    assert response.status_code == 201
    assignment = Assignment.objects.get()
    assert (assignment.team_id, assignment.created_by_id) == (team.pk, trainer.pk)
    assert response.json()["data"]["done_count"] == 0


# --- cost ----------------------------------------------------------------------------------------


def _grow(team, trainer, *, members: int, assignments: int):
    """`members` members in all, `assignments` assignments (to the team, and to one member),
    each member with a scored attempt at every scenario."""
    scenarios = [ScenarioFactory(), ScenarioFactory()]
    have = TeamMembership.objects.filter(team=team, role=TeamRole.MEMBER).count()
    for person in UserFactory.create_batch(members - have):
        TeamMembership.objects.create(team=team, user=person)
    people = [m.user for m in TeamMembership.objects.filter(team=team, role=TeamRole.MEMBER)]
    have = Assignment.objects.count()
    for index in range(have, assignments):
        assignee = people[index % len(people)] if index % 2 else None
        assignment_create(
            by=trainer,
            team=team,
            assignee=assignee,
            scenarios=scenarios,
            due_at=in_days(index + 1),
        )
    for person in people:
        for scenario in scenarios:
            scored(person, scenario, 80)
    return people


def _queries(request) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = request()
    assert response.status_code in (200, 201), response.json()
    return len(queries)


def test_the_team_list_costs_the_same_however_many_members_and_assignments(coach, trainer, team):
    _grow(team, trainer, members=10, assignments=1)
    small = _queries(lambda: coach.get(of_team(team)))
    _grow(team, trainer, members=100, assignments=5)
    large = coach.get(of_team(team)).json()
    assert len(large["data"]) == 5
    assert large["data"][0]["people_count"] == 100
    assert _queries(lambda: coach.get(of_team(team))) == small


def test_assigning_costs_the_same_however_large_the_team(coach, trainer, team, alpha):
    _grow(team, trainer, members=10, assignments=1)
    small = _queries(lambda: coach.post(of_team(team), body("alpha"), format="json"))
    _grow(team, trainer, members=100, assignments=5)
    large = _queries(lambda: coach.post(of_team(team), body("alpha"), format="json"))
    assert large == small
    assert Assignment.objects.order_by("-pk").first().scenarios.get() == alpha


def test_the_trainees_list_costs_the_same_however_many_assignments(trainer, team, user):
    _grow(team, trainer, members=10, assignments=1)
    member = client_for(user)
    small = _queries(lambda: member.get(MINE))
    _grow(team, trainer, members=10, assignments=5)
    assert member.get(MINE).json()["meta"]["total"] > 2
    assert _queries(lambda: member.get(MINE)) == small
