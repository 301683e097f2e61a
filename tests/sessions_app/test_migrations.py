"""Migration 0003: a one-person assignment set before it gets the team its trainer shares with
the person; one whose trainer shares no team with them any more is dropped."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("sessions_app", "0002_assignments")]
AFTER = [("sessions_app", "0003_assignment_team_required")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def back_to_the_latest_schema():
    """Going back to 0002 also unapplies other apps' later migrations: re-apply all of them."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_one_person_assignments_get_the_shared_team():
    apps = migrate(BEFORE)
    try:
        User = apps.get_model("accounts", "User")
        Team = apps.get_model("accounts", "Team")
        Membership = apps.get_model("accounts", "TeamMembership")
        Assignment = apps.get_model("sessions_app", "Assignment")
        trainer = User.objects.create(email="coach@example.com")
        trainee = User.objects.create(email="trainee@example.com")
        elsewhere = User.objects.create(email="elsewhere@example.com")
        unrelated = Team.objects.create(name="Unrelated")
        shared = Team.objects.create(name="Shared")
        Membership.objects.create(team=unrelated, user=trainee, role="member")
        Membership.objects.create(team=shared, user=trainer, role="trainer")
        Membership.objects.create(team=shared, user=trainee, role="member")
        due = timezone.now()
        kept = Assignment.objects.create(assignee=trainee, created_by=trainer, due_at=due)
        orphan = Assignment.objects.create(assignee=elsewhere, created_by=trainer, due_at=due)
        whole = Assignment.objects.create(team=unrelated, created_by=trainer, due_at=due)
    finally:
        apps = migrate(AFTER)
    Assignment = apps.get_model("sessions_app", "Assignment")
    assert Assignment.objects.get(pk=kept.pk).team_id == shared.pk
    assert not Assignment.objects.filter(pk=orphan.pk).exists()
    assert Assignment.objects.get(pk=whole.pk).team_id == unrelated.pk
