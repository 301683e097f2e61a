"""The opt-in hint in Chromium: the price is shown before a hint is taken, declining costs
nothing, the hint follows the conversation, survives a reload, and the report lists the hints
and charges for them."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    axe_violations,
    blocking,
    chat_input,
    describe,
    end_session,
    focused,
    log_in,
    say,
    session_with,
    wait_connected,
)
from tests.factories import ScenarioFactory, UserFactory

pytestmark = pytest.mark.e2e

GREETING = "Hello Dana, I'm sorry your internet keeps dropping. I'll help you fix it."
QUESTION = "Could you tell me what colour the light on the front of the router is?"
FIX = "Thanks. Please hold the reset button on the back for 10 seconds, then wait two minutes."
CLOSE = "Glad it's back. Is there anything else I can help with today? Have a good evening."


@pytest.fixture
def trainee(transactional_db):
    return UserFactory(first_name="Robin", last_name="Okafor")


@pytest.fixture
def active_session(trainee):
    router = ScenarioFactory(slug="router-reboot-loop", title="Router stuck in a reboot loop")
    return session_with(trainee, router, [])


def hint_button(page: Page):
    return page.get_by_role("button", name=re.compile(r"^Hint"))


def take_hint(page: Page) -> None:
    hint_button(page).click()
    dialog = page.get_by_role("dialog", name="Get a hint?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=re.compile("^Show a hint")).click()
    expect(dialog).to_be_hidden()


def test_a_hint_is_priced_before_it_is_taken_and_charged_in_the_report(
    trainee, active_session, password, page: Page, asgi_server, db_call
):
    from gamification.services import xp_for_session
    from sessions_app.models import SessionHint, UserSession

    log_in(page, asgi_server, trainee.email, password)
    page.goto(asgi_server(f"/sessions/{active_session.id}/"))
    wait_connected(page)
    coach = page.locator("#chat-coach")
    expect(coach).to_be_hidden()
    expect(hint_button(page)).to_have_text(re.compile(r"Hint\s*·\s*3 left"))

    # The dialog says the price and how many are left; declining takes nothing and gives the
    # reply box its focus back
    hint_button(page).click()
    dialog = page.get_by_role("dialog", name="Get a hint?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("takes 10% off the XP this session earns")
    expect(dialog).to_contain_text("You have 3 left")
    assert not blocking(axe_violations(page)), describe(axe_violations(page))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(chat_input(page)).to_be_focused()
    assert db_call(lambda: SessionHint.objects.count()) == 0

    # Taken: the hint shows above the reply box, and one fewer is left
    take_hint(page)
    expect(coach).to_be_visible()
    expect(coach).to_contain_text("Hint 1 of 3")
    expect(coach).to_contain_text("Greet Dana by name")
    expect(hint_button(page)).to_have_text(re.compile(r"2 left"))
    assert focused(page)["id"] == "chat-input"
    page.get_by_role("button", name="Hide the hint").click()
    expect(coach).to_be_hidden()
    expect(chat_input(page)).to_be_focused()

    # The next hint follows what was said: after a greeting, the question still to ask
    say(page, GREETING)
    take_hint(page)
    expect(coach).to_contain_text("Hint 2 of 3")
    expect(coach).to_contain_text("ask about the light colour")
    assert not blocking(axe_violations(page)), describe(axe_violations(page))

    # A reload keeps the latest hint and the count
    page.reload()
    wait_connected(page)
    expect(coach).to_contain_text("ask about the light colour")
    expect(hint_button(page)).to_have_text(re.compile(r"1 left"))

    # Once acted on, it fades, and the next load leaves it out (the report keeps it)
    say(page, QUESTION)
    expect(coach).to_have_class(re.compile("chat-coach-acted"))
    assert not blocking(axe_violations(page)), describe(axe_violations(page))
    page.reload()
    wait_connected(page)
    expect(coach).to_be_hidden()
    say(page, FIX)
    # With a hint and the "fixed" notice both shown, Send is still on a 1280×800 screen
    expect(page.locator("#chat-notice")).to_be_visible()
    send = page.locator("#chat-send").bounding_box()
    assert send["y"] + send["height"] <= page.viewport_size["height"], send
    say(page, CLOSE)
    end_session(page)
    page.wait_for_url(re.compile(rf"/sessions/{active_session.id}/"))
    hints = page.locator(".report-hints")
    expect(hints).to_be_visible(timeout=30_000)
    expect(hints.locator("summary")).to_have_text("2 hints used · −20% XP")
    hints.locator("summary").click()
    expect(hints.get_by_role("listitem")).to_have_count(2)
    expect(hints.get_by_role("listitem").nth(0)).to_contain_text("Before the first reply")
    expect(hints.get_by_role("listitem").nth(1)).to_contain_text("After your reply 1")

    session = db_call(lambda: UserSession.objects.get(pk=active_session.pk))
    assert session.passed
    without = xp_for_session(session=session)
    assert session.xp_awarded == xp_for_session(session=session, hints_used=2) < without
    expect(page.locator(".report-xp-gained")).to_contain_text(f"+{session.xp_awarded} XP")
