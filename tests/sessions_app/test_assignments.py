"""Assignments: a trainer sets scenarios for a team or a member, with a due date and a minimum
score; trainees see them first on their dashboard (due, overdue, done), hear of them live, and
get one e-mail reminder the day before, sent by the Celery beat task."""

import time
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core import mail
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.exceptions import TeamNotFound
from accounts.models import TeamMembership
from accounts.services import team_create, trainer_role_grant
from core.groups import user_group
from sessions_app.assignments import (
    AssignmentInvalid,
    assignment_create,
    assignment_reminders_send,
    assignments_for_trainee,
    assignments_of_team,
)
from sessions_app.models import AssignmentReminder, SessionStatus
from sessions_app.tasks import remind_due_assignments
from tests.factories import ScenarioFactory, UserFactory, UserSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainer():
    user = UserFactory(public_name="Coach")
    trainer_role_grant(user=user)
    return user


@pytest.fixture
def team(trainer, user):
    team = team_create(trainer=trainer, name="Tier 1")
    TeamMembership.objects.create(team=team, user=user)
    return team


def in_days(days: float):
    return timezone.now() + timedelta(days=days)


def scored(user, scenario, score):
    return UserSessionFactory(
        user=user, scenario=scenario, status=SessionStatus.SCORED, score=score, passed=score >= 70
    )


def status_of(user):
    return [
        (row.scenario.title, row.done, row.overdue) for row in assignments_for_trainee(user=user)
    ]


def test_a_team_assignment_is_due_then_done_at_the_minimum_score(trainer, team, user):
    first, second = ScenarioFactory(title="Alpha"), ScenarioFactory(title="Beta")
    scored(user, first, 95)  # before the assignment: does not count
    assignment_create(by=trainer, team=team, scenarios=[first, second], due_at=in_days(3))
    assert status_of(user) == [("Alpha", False, False), ("Beta", False, False)]

    scored(user, first, 60)  # below the minimum of 70
    [alpha, _] = assignments_for_trainee(user=user)
    assert (alpha.best_score, alpha.done) == (60, False)
    scored(user, first, 80)
    assert status_of(user) == [("Beta", False, False), ("Alpha", True, False)]  # done last


def test_an_assignment_past_its_date_is_overdue(trainer, team, user):
    assignment = assignment_create(
        by=trainer,
        team=team,
        assignee=user,
        scenarios=[ScenarioFactory(title="Late")],
        due_at=in_days(1),
    )
    type(assignment).objects.filter(pk=assignment.pk).update(due_at=in_days(-1))
    assert status_of(user) == [("Late", False, True)]


def test_only_a_trainer_of_the_team_assigns_and_only_to_its_members(trainer, team, user):
    scenario = ScenarioFactory()
    other_trainer = UserFactory()
    trainer_role_grant(user=other_trainer)
    with pytest.raises(TeamNotFound):
        assignment_create(by=other_trainer, team=team, scenarios=[scenario], due_at=in_days(2))
    with pytest.raises(TeamNotFound):
        assignment_create(by=user, team=team, scenarios=[scenario], due_at=in_days(2))
    stranger = UserFactory()
    with pytest.raises(TeamNotFound):
        assignment_create(
            by=trainer, team=team, assignee=stranger, scenarios=[scenario], due_at=in_days(2)
        )
    with pytest.raises(AssignmentInvalid):
        assignment_create(by=trainer, team=team, scenarios=[scenario], due_at=in_days(-1))
    with pytest.raises(AssignmentInvalid):
        assignment_create(by=trainer, team=team, scenarios=[], due_at=in_days(2))
    assert assignments_for_trainee(user=user) == []


def test_the_people_it_names_hear_of_it_live(
    trainer, team, user, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(user_group(user.pk), channel)
    with django_capture_on_commit_callbacks(execute=True):
        assignment_create(
            by=trainer, team=team, scenarios=[ScenarioFactory(title="Gamma")], due_at=in_days(2)
        )
    event = async_to_sync(layer.receive)(channel)
    assert event["payload"]["type"] == "assignment.new"
    assert event["payload"]["titles"] == ["Gamma"]


def test_the_dashboard_shows_assigned_work_first(trainer, team, user, client):
    assignment_create(
        by=trainer, team=team, scenarios=[ScenarioFactory(title="Assigned one")], due_at=in_days(2)
    )
    client.force_login(user)
    page = client.get("/").content.decode()
    assert page.index("Assigned to you") < page.index("Recent sessions")
    assert 'data-assignment-status="due"' in page
    assert "Assigned one" in page


def test_the_trainer_assigns_from_the_team_page_and_sees_progress(trainer, team, user):
    scenario = ScenarioFactory(title="Delta")
    coach = Client()
    coach.force_login(trainer)
    due = in_days(3).strftime("%Y-%m-%dT%H:%M")
    response = coach.post(
        f"/teams/{team.pk}/training/",
        {"scenarios": [scenario.pk], "assign_to": "team", "due_at": due, "min_score": 80},
    )
    assert response.status_code == 302
    scored(user, scenario, 85)
    page = coach.get(f"/teams/{team.pk}/training/").content.decode()
    assert "Delta" in page
    assert "1 of 1" in page
    outsider = Client()
    outsider.force_login(user)
    assert outsider.get(f"/teams/{team.pk}/training/").status_code == 404


def test_one_reminder_a_day_before_and_none_once_done(trainer, team, user):
    soon = assignment_create(
        by=trainer, team=team, scenarios=[ScenarioFactory()], due_at=in_days(0.5)
    )
    assignment_create(  # due in three days: not yet
        by=trainer, team=team, scenarios=[ScenarioFactory()], due_at=in_days(3)
    )
    done_scenario = ScenarioFactory()
    assignment_create(by=trainer, team=team, scenarios=[done_scenario], due_at=in_days(0.5))
    scored(user, done_scenario, 99)

    assert assignment_reminders_send() == 1
    assert assignment_reminders_send() == 0  # once
    [message] = mail.outbox
    assert message.to == [user.email]
    assert "Reminder" in message.subject
    assert set(AssignmentReminder.objects.values_list("assignment_id", flat=True)) == {soon.pk}


def test_the_dashboard_and_team_page_take_the_same_queries_whatever_the_numbers(
    trainer, team, user
):
    client, coach = Client(), Client()
    client.force_login(user)
    coach.force_login(trainer)

    def queries(path, as_client):
        as_client.get(path)
        with CaptureQueriesContext(connection) as captured:
            assert as_client.get(path).status_code == 200
        return len(captured)

    def grow(assignments, members):
        for _ in range(assignments):
            assignment_create(
                by=trainer, team=team, scenarios=ScenarioFactory.create_batch(2), due_at=in_days(2)
            )
        TeamMembership.objects.bulk_create(
            TeamMembership(team=team, user=u) for u in UserFactory.create_batch(members)
        )
        return queries("/", client), queries(f"/teams/{team.pk}/training/", coach)

    assert grow(1, 5) == grow(6, 100)


@pytest.mark.celery_worker
@pytest.mark.skipif(not settings.REDIS_URL, reason="Needs REDIS_URL: a real broker for the worker.")
@pytest.mark.django_db(transaction=True)
def test_the_real_worker_sends_the_reminder(trainer, team, user):
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    assignment_create(by=trainer, team=team, scenarios=[ScenarioFactory()], due_at=in_days(0.5))
    database = connections.settings["default"]
    previous_max_age = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 0
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            remind_due_assignments.delay()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not mail.outbox:
                time.sleep(0.2)
    finally:
        database["CONN_MAX_AGE"] = previous_max_age
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert AssignmentReminder.objects.filter(user=user).count() == 1


def test_an_assignment_unlocks_its_scenarios_for_the_people_it_names(trainer, team, user):
    from rest_framework.test import APIClient

    from scenarios.exceptions import ScenarioLocked
    from sessions_app.services import session_start

    basics = ScenarioFactory(slug="basics")
    advanced = ScenarioFactory(slug="advanced")
    advanced.prerequisites.add(basics)
    outsider = UserFactory()

    def locked_for(person):
        api = APIClient()
        api.force_authenticate(person)
        return api.get("/api/v1/scenarios/advanced/").json()["data"]["progress"]["locked"]

    assert locked_for(user) is True
    with pytest.raises(ScenarioLocked):
        session_start(user=user, scenario=advanced)

    assignment_create(by=trainer, team=team, scenarios=[advanced], due_at=in_days(2))
    assert locked_for(user) is False
    assert session_start(user=user, scenario=advanced).scenario == advanced
    # Prerequisites still hold for everyone it does not name.
    assert locked_for(outsider) is True
    with pytest.raises(ScenarioLocked):
        session_start(user=outsider, scenario=advanced)


def test_a_one_person_assignment_stays_with_the_team_it_was_set_in(trainer, team, user):
    """A trainee in two teams: what one team's trainer sets them is not shown to the other's."""
    other_trainer = UserFactory()
    trainer_role_grant(user=other_trainer)
    other_team = team_create(trainer=other_trainer, name="Other team")
    TeamMembership.objects.create(team=other_team, user=user)
    mine = assignment_create(
        by=trainer, team=team, assignee=user, scenarios=[ScenarioFactory()], due_at=in_days(2)
    )
    theirs = assignment_create(
        by=other_trainer, team=other_team, scenarios=[ScenarioFactory()], due_at=in_days(2)
    )
    assert [p.assignment for p in assignments_of_team(team=team)] == [mine]
    assert [p.assignment for p in assignments_of_team(team=other_team)] == [theirs]
    # The trainee sees both, and only the person named sees a one-person assignment.
    assert {row.assignment for row in assignments_for_trainee(user=user)} == {mine, theirs}
    teammate = UserFactory()
    TeamMembership.objects.create(team=team, user=teammate)
    assert assignments_for_trainee(user=teammate) == []
