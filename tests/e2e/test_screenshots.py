"""`make screenshots`: the product as a person sees it, at desktop and phone sizes.

Collected only with DOJO_SCREENSHOTS=1 (see conftest.py); writes artifacts/screenshots/.
"""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.helpers import chat_input, log_in, say
from tests.e2e.showcase import GREETING, PROCEDURE, QUESTION, build_showcase, open_new_attempt

pytestmark = [pytest.mark.e2e, pytest.mark.screenshots]

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
