"""What a browser review of the finished app asked for, checked in Chromium: the phone layout
(menu, performance page, chat composer), the chat's typing indicator, knowledge-base insert,
offline indicator and heartbeat, and the report's evidence and next-scenario button."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    STREAM_RECORDER,
    agent_messages,
    chat_input,
    customer_messages,
    focused,
    log_in,
    say,
    wait_connected,
)
from tests.factories import ROUTER_SCENARIO, ScenarioFactory, UserFactory
from tests.performance.helpers import scored_sessions

pytestmark = pytest.mark.e2e

FACT = ROUTER_SCENARIO["customer_persona"]["facts"][0]["answer"]
KB_RESET = ROUTER_SCENARIO["knowledge_base_entries"][0]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def trainee(transactional_db):
    return UserFactory(first_name="Robin", last_name="Okafor")


@pytest.fixture
def router(transactional_db):
    return ScenarioFactory(slug="router-reboot-loop", title="Router stuck in a reboot loop")


@pytest.fixture
def history(trainee, router):
    """Scored sessions, several on the same day, so the charts and the history have rows."""
    scored_sessions(user=trainee, scenario=router, count=3, days_ago=0)
    scored_sessions(user=trainee, scenario=router, count=3)
    return trainee


@pytest.fixture
def active_session(trainee, router):
    from sessions_app.services import session_start

    return session_start(user=trainee, scenario=router)


def _page_width(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def test_phone_menu_performance_page_and_chat_composer_fit_the_screen(
    history, active_session, password, browser, asgi_server
):
    context = browser.new_context(**PHONE, locale="en-GB")
    page = context.new_page()
    log_in(page, asgi_server, history.email, password)

    # Every item of the main menu is on screen, Profile included
    page.goto(asgi_server("/performance/"))
    menu = page.get_by_role("navigation", name="Main")
    for name in ("Dashboard", "Scenarios", "Performance", "Leaderboard", "Profile"):
        link = menu.get_by_role("link", name=name, exact=True)
        expect(link).to_be_in_viewport(ratio=1)
    box = menu.get_by_role("link", name="Profile").bounding_box()
    assert box
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390

    # The performance page is no wider than the phone, tables included
    assert _page_width(page) <= 390
    for table in page.locator("table.table").all():
        table_box = table.bounding_box()
        assert table_box["x"] + table_box["width"] <= 390, "a table runs off the screen"
    # ... and the date fields look like the dropdowns next to them
    select_box = page.get_by_label("Difficulty").bounding_box()
    date_box = page.get_by_label("From").bounding_box()
    assert abs(select_box["height"] - date_box["height"]) <= 4, (select_box, date_box)

    # The chat's reply box is on screen without scrolling
    page.goto(asgi_server(f"/sessions/{active_session.id}/"))
    wait_connected(page)
    expect(chat_input(page)).to_be_in_viewport(ratio=1)
    expect(page.get_by_role("button", name="Send")).to_be_in_viewport(ratio=1)
    assert _page_width(page) <= 390
    context.close()


def test_chat_typing_indicator_knowledge_base_insert_and_offline_indicator(
    trainee, active_session, password, page: Page, asgi_server
):
    log_in(page, asgi_server, trainee.email, password)
    page.goto(asgi_server(f"/sessions/{active_session.id}/"))
    wait_connected(page)
    typing = page.get_by_text("Dana Reyes is typing…")

    # The typing indicator stays on while the reply streams, and goes once it is complete
    page.evaluate(STREAM_RECORDER)
    say(page, "Hello Dana, I'm sorry. What colour is the light on the front of the router?")
    expect(customer_messages(page).last).to_contain_text(FACT)
    expect(typing).to_be_hidden()
    frames = page.evaluate("() => window.__e2eStream")
    streaming = [f for f in frames if f["text"]]
    assert streaming, "the reply did not stream"
    assert all(f["typing"] for f in streaming), "the indicator went away mid-stream"

    # "Insert into reply" puts the article's text at the cursor and focuses the reply box
    box = chat_input(page)
    box.fill("Thanks. Please do this:")
    page.get_by_text(KB_RESET["title"], exact=True).click()
    insert = page.get_by_role("button", name=f"Insert into reply: {KB_RESET['title']}")
    insert.focus()
    page.keyboard.press("Enter")
    expect(box).to_have_value("Thanks. Please do this: " + KB_RESET["body"])
    assert focused(page)["id"] == "chat-input"

    # Losing the network shows at once; coming back reconnects without waiting for a retry
    connection = page.locator("#chat-connection")
    page.context.set_offline(True)
    expect(connection).to_have_text(re.compile("^offline", re.I))
    expect(connection).to_have_attribute("data-state", "offline")
    page.context.set_offline(False)
    expect(connection).to_have_text("Connected", timeout=5_000)


def test_heartbeat_reconnects_after_a_silent_drop_and_resends(
    trainee, active_session, password, db_call, page: Page, asgi_server
):
    from sessions_app.models import ChatMessage

    # A link that dies without a close frame: the first socket stops carrying anything
    links = {"opened": 0, "dead": set()}

    def relay(ws):
        links["opened"] += 1
        number = links["opened"]
        server = ws.connect_to_server()
        ws.on_message(lambda m: None if number in links["dead"] else server.send(m))
        server.on_message(lambda m: None if number in links["dead"] else ws.send(m))

    page.clock.install()
    page.route_web_socket(re.compile(r"/ws/sessions/"), relay)
    log_in(page, asgi_server, trainee.email, password)
    page.goto(asgi_server(f"/sessions/{active_session.id}/"))
    wait_connected(page)
    assert links["opened"] == 1
    links["dead"].add(1)

    # A message sent into the dead link stays pending
    question = "What colour is the light on the front of the router?"
    chat_input(page).fill(question)
    chat_input(page).press("Enter")
    waiting = agent_messages(page).filter(has_text=question)
    expect(waiting).to_have_class(re.compile("chat-msg-pending"))

    # The heartbeat's ping goes unanswered: the page gives the socket up and says so
    connection = page.locator("#chat-connection")
    page.clock.run_for(15_000)
    expect(connection).to_have_text("Connected")
    page.clock.run_for(5_000)
    expect(connection).to_have_text("Reconnecting…")

    # ... reconnects, resends the message once, and the customer answers it
    page.clock.run_for(1_500)
    expect(connection).to_have_text("Connected")
    assert links["opened"] == 2
    expect(waiting).not_to_have_class(re.compile("chat-msg-pending"))
    expect(customer_messages(page).last).to_contain_text(FACT)
    expect(agent_messages(page).filter(has_text=question)).to_have_count(1)
    count = db_call(
        lambda: ChatMessage.objects.filter(session=active_session, content=question).count()
    )
    assert count == 1
