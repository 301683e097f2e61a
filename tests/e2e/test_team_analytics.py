"""A trainer's team analytics in Chromium: both heat map views pass the accessibility smoke check
(the colour bands keep readable contrast, the empty cells are labelled) and run under the strict
Content-Security-Policy, on a desktop and on a phone."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e.helpers import PASSWORD, axe_violations, blocking, describe, log_in
from tests.factories import ScenarioFactory, UserFactory, UserSessionFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def analytics_team(transactional_db):
    """A team whose heat map has a cell in every band and an empty one, and one late person."""
    from accounts.models import TeamMembership
    from accounts.services import team_create, trainer_role_grant
    from performance.models import PerformanceMetric
    from sessions_app.models import Assignment, SessionStatus

    trainer = UserFactory(email="coach@example.com", public_name="Coach Kim")
    trainer.set_password(PASSWORD)
    trainer.save()
    trainer_role_grant(user=trainer)
    team = team_create(trainer=trainer, name="Tier 1")
    scenario = ScenarioFactory(title="Router woes")
    day = timezone.now() - dt.timedelta(days=8)
    for name, scores in (
        ("Ana", {"empathy": 92, "resolution": 64, "greeting": 30}),
        ("Ben", {"empathy": 55, "resolution": 81}),
        ("Cleo", {}),
    ):
        member = UserFactory(public_name=name, xp=100 * len(scores), on_leaderboard=bool(scores))
        TeamMembership.objects.create(team=team, user=member)
        if not scores:
            continue
        session = UserSessionFactory(
            user=member,
            scenario=scenario,
            status=SessionStatus.SCORED,
            started_at=day,
            ended_at=day + dt.timedelta(minutes=14),
            scored_at=day + dt.timedelta(minutes=14),
            score=sum(scores.values()) // len(scores),
            passed=len(scores) == 2,
        )
        for criterion, score in scores.items():
            PerformanceMetric.objects.create(
                session=session, user=member, criterion=criterion, score=score, weight=1.0
            )
    assignment = Assignment.objects.create(
        team=team, due_at=day + dt.timedelta(days=1), created_at=day - dt.timedelta(days=3)
    )
    assignment.scenarios.set([scenario])
    return trainer, team


def _watch_csp(page: Page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_team_analytics_is_accessible_in_both_views(
    analytics_team, page: Page, asgi_server, viewport
):
    trainer, team = analytics_team
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    csp = _watch_csp(page)
    log_in(page, asgi_server, trainer.email, PASSWORD)
    found = {}
    for view in ("latest", "average"):
        page.goto(asgi_server(f"/teams/{team.pk}/analytics/?view={view}"))
        heat_map = page.get_by_role("table", name="score of each trainee")
        expect(heat_map).to_be_visible()
        expect(heat_map.get_by_role("row", name="Cleo")).to_contain_text("No score")
        expect(page.locator(".heat-good").first).to_be_visible()
        expect(page.locator(".heat-mid").first).to_be_visible()
        expect(page.locator(".heat-low").first).to_be_visible()
        expect(page.locator("svg.chart")).to_be_visible()
        expect(page.get_by_role("table", name="past an assignment")).to_contain_text("Cleo")
        found[view] = axe_violations(page)
    failures = {view: blocking(v) for view, v in found.items() if blocking(v)}
    assert not failures, "\n".join(f"{view}:\n{describe(v)}" for view, v in failures.items())
    assert csp == []
