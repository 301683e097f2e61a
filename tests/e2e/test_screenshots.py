"""`make screenshots`: the product as a person sees it, at desktop and phone sizes.

Collected only with DOJO_SCREENSHOTS=1 (see conftest.py); writes artifacts/screenshots/.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.helpers import chat_input, log_in, say
from tests.e2e.showcase import (
    GREETING,
    LIBRARY,
    PROCEDURE,
    QUESTION,
    build_showcase,
    open_new_attempt,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.screenshots]

TRAINER, TRAINER_PASSWORD = "trainer@example.com", "dojo-trainer-pass"
OUT = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


@pytest.fixture
def showcase(transactional_db):
    return build_showcase()


def _shot(page: Page, name: str, size: str, *, full_page: bool = True) -> None:
    path = OUT / f"{name}-{size}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="initial")
    assert path.stat().st_size > 5_000, f"{path} looks empty"


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_screenshots(showcase, size, browser, asgi_server, settings):
    # Slow enough that the customer is still typing when the chat is captured.
    settings.OFFLINE_ENGINE_PACE = 0.15
    OUT.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(**VIEWPORTS[size], device_scale_factor=1, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(20_000)

    log_in(page, asgi_server, showcase.email, PASSWORD)
    _shot(page, "dashboard", size)
    page.goto(asgi_server("/scenarios/"))
    _shot(page, "catalogue", size)

    open_new_attempt(page, asgi_server)
    say(page, GREETING)
    page.get_by_role("button", name=re.compile("^Hint")).click()
    page.get_by_role("dialog", name="Get a hint?").get_by_role(
        "button", name=re.compile("^Show a hint")
    ).click()
    expect(page.locator("#chat-coach")).to_be_visible()
    chat_input(page).fill(QUESTION)
    chat_input(page).press("Enter")
    expect(page.locator(".chat-msg-streaming")).to_be_visible()
    page.wait_for_timeout(300)
    _shot(page, "chat", size, full_page=False)
    expect(page.locator(".chat-msg-streaming")).to_have_count(0)
    say(page, PROCEDURE)
    page.get_by_role("button", name="End session").click()
    page.get_by_role("dialog").get_by_role("button", name="End and score").click()
    expect(page.locator("#report")).to_have_attribute("data-status", "scored", timeout=30_000)
    _shot(page, "report", size)

    page.goto(asgi_server("/performance/"))
    _shot(page, "performance", size)
    page.goto(asgi_server("/leaderboard/"))
    _shot(page, "leaderboard", size)
    context.close()


@pytest.fixture
def demo_team(transactional_db, settings):
    """`make run`'s demo data: the library, the demo trainer's team and its generated history."""
    from django.core.management import call_command

    settings.OFFLINE_ENGINE_PACE = 0
    call_command("load_achievements", verbosity=0)
    call_command("import_scenarios", *sorted(str(p) for p in LIBRARY.glob("*.yaml")), verbosity=0)
    call_command("create_demo_accounts", force=True, verbosity=0)
    call_command("create_demo_history", force=True, verbosity=0)
    from accounts.models import TeamMembership, TeamRole
    from sessions_app.models import UserSession

    team = TeamMembership.objects.get(user__email=TRAINER, role=TeamRole.TRAINER).team
    return {"team": team, "session": UserSession.objects.order_by("-score").first()}


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_trainer_screenshots(demo_team, size, browser, asgi_server):
    OUT.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(**VIEWPORTS[size], device_scale_factor=1, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(20_000)
    team = demo_team["team"]

    log_in(page, asgi_server, TRAINER, TRAINER_PASSWORD)
    page.goto(asgi_server("/teams/"))
    _shot(page, "teams", size)
    page.goto(asgi_server(f"/teams/{team.pk}/"))
    _shot(page, "team", size)
    page.goto(asgi_server(f"/teams/{team.pk}/training/"))
    _shot(page, "team-training", size)
    page.goto(asgi_server(f"/teams/{team.pk}/analytics/"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    _shot(page, "team-analytics", size)
    page.goto(asgi_server(f"/review/{demo_team['session'].pk}/"))
    _shot(page, "review", size)
    context.close()


@pytest.fixture
def author(transactional_db):
    """The library, and a content author about to import a changed copy of one file."""
    from django.core.management import call_command

    call_command("import_scenarios", *sorted(str(p) for p in LIBRARY.glob("*.yaml")), verbosity=0)
    return UserFactory(email="author@example.com", is_staff=True, is_superuser=True)


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_author_screenshots(author, size, browser, asgi_server):
    OUT.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(**VIEWPORTS[size], device_scale_factor=1, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(asgi_server("/admin/"))
    page.get_by_label(re.compile("email", re.I)).fill(author.email)
    page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    page.goto(asgi_server("/admin/scenarios/scenario/import/"))
    _shot(page, "admin-import", size)
    changed = (
        (LIBRARY / "router-reboot-loop.yaml")
        .read_text()
        .replace("estimated_time: 10", "estimated_time: 12")
    )
    page.get_by_label("Scenario file").set_input_files(
        files=[{"name": "router.yaml", "mimeType": "application/yaml", "buffer": changed.encode()}]
    )
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    _shot(page, "admin-import-preview", size)
    context.close()
