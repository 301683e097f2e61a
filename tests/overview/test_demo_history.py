"""`make run`'s demo data: the demo trainer's team with generated trainees and real history."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import TeamMembership, TeamRole, User
from performance.models import PerformanceMetric
from sessions_app.models import Assignment, ChatMessage, SessionStatus, UserSession

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("load_achievements", verbosity=0)
    call_command("import_scenarios", *sorted(str(p) for p in LIBRARY.glob("*.yaml")), verbosity=0)
    call_command("create_demo_accounts", verbosity=0)
    call_command("create_demo_history", verbosity=0)


def test_the_demo_team_gets_trainees_with_weeks_of_scored_history_once(demo):
    trainer = User.objects.get(email="trainer@example.com")
    team = TeamMembership.objects.get(user=trainer, role=TeamRole.TRAINER).team
    members = set(
        team.memberships.filter(role=TeamRole.MEMBER).values_list("user__email", flat=True)
    )
    generated = {email for email in members if email.endswith("@team.example.com")}
    assert "demo@example.com" in members
    assert len(generated) == 4

    sessions = UserSession.objects.filter(user__email__in=generated)
    assert sessions.count() == 24
    assert set(sessions.values_list("status", flat=True)) == {SessionStatus.SCORED}
    # Played for real: every session has a conversation and a metric per criterion.
    assert ChatMessage.objects.filter(session__in=sessions).count() > 24 * 4
    assert PerformanceMetric.objects.filter(session__in=sessions).count() >= 24 * 3
    # Spread over the weeks, with passes and failures, so the analytics have a shape.
    weeks = {s.started_at.isocalendar()[:2] for s in sessions}
    assert len(weeks) >= 5
    assert {True, False} <= set(sessions.values_list("passed", flat=True))
    assert all(s.ended_at > s.started_at for s in sessions)
    # One assignment due soon and one overdue.
    dues = sorted(Assignment.objects.filter(team=team).values_list("due_at", flat=True))
    assert dues[0] < timezone.now() < dues[1]

    # A second run (every `make run` after the first) adds nothing.
    before = (User.objects.count(), UserSession.objects.count(), Assignment.objects.count())
    call_command("create_demo_history", verbosity=0)
    assert (User.objects.count(), UserSession.objects.count(), Assignment.objects.count()) == (
        before
    )


def test_outside_debug_it_refuses(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("create_demo_history")


def test_with_a_model_configured_the_history_is_still_played_offline(settings):
    """A first `make run` with OPENAI_API_KEY set must not spend 150 model calls on demo data
    (nor wait for them: the model here is a port nobody listens on)."""
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    settings.CUSTOMER_ENGINE = "openai"
    settings.SCORING_JUDGE = True
    settings.DEBUG = True
    call_command("load_achievements", verbosity=0)
    call_command("import_scenarios", *sorted(str(p) for p in LIBRARY.glob("*.yaml")), verbosity=0)
    call_command("create_demo_accounts", verbosity=0)
    call_command("create_demo_history", verbosity=0)
    sessions = UserSession.objects.filter(user__email__endswith="@team.example.com")
    assert sessions.count() == 24
    assert set(sessions.values_list("engine", flat=True)) == {"offline"}
    assert not any("coach" in (s.feedback or {}) for s in sessions)
