"""Reads about scenarios and a trainee's progress through them."""

from django.db.models import Exists, OuterRef

from scenarios.exceptions import ScenarioNotFound
from scenarios.models import Scenario


def completed_scenario_ids(*, user) -> set[int]:
    """Scenarios the trainee has passed at least once (previews never count)."""
    from sessions_app.models import SessionStatus, UserSession

    if not user.is_authenticated:
        return set()
    return set(
        UserSession.objects.filter(
            user=user, status=SessionStatus.SCORED, passed=True, is_preview=False
        )
        .values_list("scenario_id", flat=True)
        .distinct()
    )


def missing_prerequisites(*, user, scenario: Scenario) -> list[Scenario]:
    """The prerequisites of `scenario` the trainee has not passed yet, in title order."""
    from sessions_app.models import SessionStatus, UserSession

    passed = UserSession.objects.filter(
        user=user,
        scenario=OuterRef("pk"),
        status=SessionStatus.SCORED,
        passed=True,
        is_preview=False,
    )
    return list(
        scenario.prerequisites.annotate(done=Exists(passed)).filter(done=False).order_by("title")
    )


def scenario_get_active(*, slug: str) -> Scenario:
    try:
        return Scenario.objects.active().get(slug=slug)
    except Scenario.DoesNotExist:
        raise ScenarioNotFound() from None
