import datetime as dt

import pytest
from django.utils import timezone

from sessions_app.models import SessionStatus
from tests.factories import ScenarioFactory, UserSessionFactory


def make_scored(
    *,
    user,
    scenario=None,
    score=80,
    passed=None,
    at=None,
    outcome="resolved",
    minutes=5,
    preview=False,
    **extra,
):
    """A session already scored at `at` (default now), lasting `minutes`."""
    scenario = scenario or ScenarioFactory()
    at = at or timezone.now()
    started = at - dt.timedelta(minutes=minutes)
    return UserSessionFactory(
        user=user,
        scenario=scenario,
        status=SessionStatus.SCORED,
        score=score,
        passed=score >= 70 if passed is None else passed,
        outcome=outcome,
        is_preview=preview,
        started_at=started,
        ended_at=at,
        scored_at=at,
        **extra,
    )


@pytest.fixture(autouse=True)
def _default_achievements(request):
    """The data migration's achievements, even after a transactional test elsewhere flushed
    every table (those run in file order here, e.g. the browser tests before this folder)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    from django.core.management import call_command

    from gamification.models import Achievement

    if not Achievement.objects.exists():
        call_command("load_achievements", verbosity=0)


@pytest.fixture
def scored():
    return make_scored
