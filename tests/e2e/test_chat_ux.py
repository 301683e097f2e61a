"""The chat page's review (issue 19) in Chromium: focus on load, two tabs sending at once, the
turn counter, the persona card, the mood line, the desktop fold and the phone's tabs.

Data that exists before the person arrives comes from fixtures listed before `page`; anything
read from the database mid-journey goes through `db_call` (see conftest.py)."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    agent_messages,
    axe_violations,
    chat_input,
    customer_messages,
    describe,
    focused,
    log_in,
    say,
    session_with,
    transcript,
    wait_connected,
)
from tests.factories import ROUTER_SCENARIO, ScenarioFactory, UserFactory, scenario_document

pytestmark = pytest.mark.e2e

PERSONA = ROUTER_SCENARIO["customer_persona"]
FACT = PERSONA["facts"][0]["answer"]
CONFIRM = PERSONA["resolution"]["confirm"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
GREETING = "Hello Dana, I'm sorry your internet keeps dropping. I'll help you fix it."
QUESTION = "Could you tell me what colour the light on the front of the router is?"
FIX = "Thanks. Please hold the reset button on the back for 10 seconds, then wait two minutes."
LONG_TITLE = (
    "Router stuck in a reboot loop in a busy family home where three people work from the "
    "kitchen table and the evening football match starts in less than an hour"
)
# Facts the customer gives only when asked: never on the page before the conversation.
HIDDEN = {
    "light_colour": FACT,
    "tried_already": "I unplugged it twice already. It comes back and does the same thing.",
}


@pytest.fixture
def trainee(transactional_db):
    return UserFactory(first_name="Robin", last_name="Okafor")


@pytest.fixture
def router(transactional_db):
    """The contract's router scenario with a second hidden fact about what was tried, and a
    ticket that itself says what the customer did before writing in."""
    document = scenario_document()
    persona = document["customer_persona"]
    persona["facts"].append(
        {"key": "tried_already", "asked_by": ["tried", "unplug"], "answer": HIDDEN["tried_already"]}
    )
    ticket = document["ticket_template"]
    ticket["technical_context"]["previous_contacts"] = "1 chat yesterday"
    return ScenarioFactory(
        slug="router-reboot-loop",
        title=LONG_TITLE,
        ticket_template=ticket,
        customer_persona=persona,
    )


@pytest.fixture
def active_session(trainee, router):
    return session_with(trainee, router, [])


@pytest.fixture
def long_session(trainee, router):
    """A conversation long enough to fill the transcript, one message short of the fix, with
    a customer patient enough to sit through the small talk."""
    persona = {**router.customer_persona, "personality": {"patience": 5, "temperament": "calm"}}
    patient = ScenarioFactory(
        slug="router-patient-customer",
        title=LONG_TITLE,
        ticket_template=router.ticket_template,
        customer_persona=persona,
    )
    small_talk = [
        f"Thank you for your patience, Dana. I am noting everything down for you ({n})."
        for n in range(1, 4)
    ]
    session = session_with(trainee, patient, [GREETING, *small_talk, QUESTION])
    assert session.status == "active"
    assert session.outcome == ""
    return session


def detail(card, term: str):
    """The description of `term` in the card's definition list."""
    return card.locator("dt", has_text=re.compile(f"^{term}$")).locator(
        "xpath=following-sibling::dd[1]"
    )


def open_chat(page: Page, url, session) -> None:
    page.goto(url(f"/sessions/{session.id}/"))
    wait_connected(page)


def test_the_reply_box_has_focus_on_load(
    trainee, active_session, password, page: Page, asgi_server
):
    log_in(page, asgi_server, trainee.email, password)
    open_chat(page, asgi_server, active_session)

    # The reply box is focused without a single Tab press
    assert focused(page)["id"] == "chat-input"
    expect(chat_input(page)).to_be_focused()

    # ... so typing and Enter send at once
    page.keyboard.type(GREETING)
    page.keyboard.press("Enter")
    expect(agent_messages(page).filter(has_text=GREETING)).to_have_count(1)
    expect(customer_messages(page)).to_have_count(2)

    # Shift+Tab goes back to the conversation above it (it scrolls with the arrow keys), then
    # into the knowledge base beside it, not through the whole page
    page.keyboard.press("Shift+Tab")
    assert focused(page)["id"] == "chat-transcript"
    page.keyboard.press("Shift+Tab")
    assert focused(page)["text"] == ROUTER_SCENARIO["knowledge_base_entries"][0]["title"]


def test_two_tabs_sending_at_once_both_get_an_answer_and_no_busy_alert_stays(
    trainee, active_session, password, settings, browser, asgi_server, db_call
):
    from sessions_app.models import ChatMessage

    # A slower customer, so that the second tab really sends while the first is answered
    settings.OFFLINE_ENGINE_PACE = 1.0  # a second between words: the other tab sends meanwhile
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    first = context.new_page()
    log_in(first, asgi_server, trainee.email, password)
    second = context.new_page()
    open_chat(first, asgi_server, active_session)
    open_chat(second, asgi_server, active_session)

    # The first tab greets; while the customer is typing that answer, the second tab asks
    chat_input(first).fill(GREETING)
    chat_input(second).fill(QUESTION)
    chat_input(first).press("Enter")
    expect(first.get_by_text("Dana Reyes is typing…")).to_be_visible()
    chat_input(second).press("Enter")

    # The second tab is told politely that its message waits its turn: a status, not an alert
    waiting = second.locator("#chat-wait")
    expect(waiting).to_be_visible()
    expect(waiting).to_have_attribute("role", "status")
    expect(waiting).to_contain_text("saved")
    expect(second.get_by_role("alert")).to_have_count(0)

    # Both questions are answered, in both tabs, and nothing about being busy is left
    for page in (first, second):
        expect(customer_messages(page)).to_have_count(3, timeout=20_000)
        expect(customer_messages(page).last).to_contain_text(FACT)
        expect(agent_messages(page)).to_have_count(2)
        expect(transcript(page).locator(".chat-msg-streaming, .chat-msg-pending")).to_have_count(0)
        expect(page.locator("#chat-wait")).to_be_hidden()
        expect(page.locator("#chat-alert")).to_be_hidden()
        expect(page.get_by_text(re.compile("answering another message"))).to_have_count(0)

    def replies_to():
        rows = list(ChatMessage.objects.filter(session=active_session).order_by("seq"))
        agents = {str(m.id): m.content for m in rows if m.role == "agent"}
        return {agents[m.meta["reply_to"]] for m in rows if m.meta.get("reply_to") in agents}

    assert db_call(replies_to) == {GREETING, QUESTION}
    context.close()


def test_the_turn_counter_counts_replies_against_the_usual_number(
    trainee, active_session, password, page: Page, asgi_server
):
    log_in(page, asgi_server, trainee.email, password)
    open_chat(page, asgi_server, active_session)

    # Greeting, two facts, one fix and a close: usually 5, up to 8 before it costs efficiency
    counter = page.locator("#chat-turns-box")
    expect(counter).to_contain_text(re.compile(r"Turn\s+0\s+· usually 5–8"))
    expect(counter).to_have_attribute("title", re.compile("estimate"))

    say(page, GREETING)
    expect(counter).to_contain_text(re.compile(r"Turn\s+1\b"))
    say(page, QUESTION)
    expect(counter).to_contain_text(re.compile(r"Turn\s+2\b"))

    # A reload counts the stored replies
    page.reload()
    wait_connected(page)
    expect(counter).to_contain_text(re.compile(r"Turn\s+2\b"))


def test_the_persona_card_shows_the_ticket_and_nothing_the_customer_must_be_asked(
    trainee, active_session, password, page: Page, asgi_server
):
    log_in(page, asgi_server, trainee.email, password)
    open_chat(page, asgi_server, active_session)

    card = page.locator("#chat-persona")
    expect(card.get_by_role("heading", name="Dana Reyes")).to_be_visible()
    expect(card).to_contain_text("Technical level: novice")
    # Issue and goal are the ticket's own words; background its customer details
    expect(detail(card, "Issue")).to_have_text("My internet keeps cutting out every few minutes.")
    expect(detail(card, "Goal, in their words")).to_have_text("Fix it.")
    expect(detail(card, "Background")).to_contain_text("Plan: Fibre 500")
    expect(detail(card, "Background")).to_contain_text("Account id: AC-99812")
    # What they tried, as far as the ticket says
    expect(detail(card, "Tried so far")).to_have_text("Previous contacts: 1 chat yesterday")

    # The persona's hidden facts, temperament and resolution are nowhere on the page
    html = page.content()
    for secret in [*HIDDEN.values(), CONFIRM, PERSONA["resolution"]["unresolved"]]:
        assert secret not in html, secret
    assert "irritable" not in html
    assert "asked_by" not in html

    # ... until the trainee asks: then the answer is in the conversation, not the card
    say(page, GREETING + " " + QUESTION)
    expect(customer_messages(page).last).to_contain_text(FACT)
    expect(card).not_to_contain_text(FACT)


def test_the_mood_line_gains_a_marker_when_the_mood_changes(
    trainee, active_session, password, page: Page, asgi_server
):
    log_in(page, asgi_server, trainee.email, password)
    open_chat(page, asgi_server, active_session)

    # An irritable customer starts uneasy
    line = page.get_by_role("list", name="Mood so far")
    marks = line.get_by_role("listitem")
    expect(marks).to_have_count(1)
    expect(marks.first).to_have_text("At the start: uneasy")

    # Saying nothing useful frustrates them: a marker is added, with words, not only a colour
    say(page, "I see.")
    expect(marks).to_have_count(2)
    expect(marks.last).to_have_text("After turn 1: frustrated")
    expect(marks.last).to_have_attribute("data-mood", "frustrated")
    expect(page.locator("#chat-mood")).to_have_attribute("data-mood", "frustrated")

    # Help calms them again; a turn that leaves the mood as it was adds nothing
    say(page, GREETING + " " + QUESTION)
    expect(marks).to_have_count(3)
    expect(marks.last).to_have_text("After turn 2: uneasy")

    # The line survives a reload (it is rebuilt from the session's state)
    page.reload()
    wait_connected(page)
    texts = [" ".join(t.split()) for t in marks.all_text_contents()]
    assert texts == ["At the start: uneasy", "After turn 1: frustrated", "After turn 2: uneasy"]


def test_desktop_keeps_the_send_button_on_screen_after_the_fixed_notice(
    trainee, long_session, password, page: Page, asgi_server
):
    log_in(page, asgi_server, trainee.email, password)
    open_chat(page, asgi_server, long_session)
    assert page.viewport_size == {"width": 1280, "height": 800}

    # The customer confirms the fix: the notice appears, and the composer is still on screen
    say(page, FIX)
    expect(customer_messages(page).last).to_contain_text(CONFIRM)
    notice = page.get_by_role("status").filter(has_text="The customer says it is fixed")
    expect(notice).to_be_visible()
    send = page.get_by_role("button", name="Send")
    expect(send).to_be_in_viewport(ratio=1)
    expect(chat_input(page)).to_be_in_viewport(ratio=1)
    assert send.bounding_box()["y"] + send.bounding_box()["height"] <= 800
    # ... and the newest message is visible above it, not hidden under it
    expect(customer_messages(page).last).to_be_in_viewport()
    last = customer_messages(page).last.bounding_box()
    composer = page.locator("#chat-form").bounding_box()
    assert last["y"] + last["height"] <= composer["y"] + 1

    # A long title stays on one line, cut with an ellipsis, its whole text still there
    title = page.get_by_role("heading", level=1)
    expect(title).to_have_text(LONG_TITLE)
    expect(title).to_have_attribute("title", LONG_TITLE)
    box = title.bounding_box()
    line_height = title.evaluate("(el) => parseFloat(getComputedStyle(el).lineHeight)")
    assert box["height"] <= line_height * 1.2, "the title wraps"
    assert title.evaluate("(el) => el.scrollWidth > el.clientWidth"), "the title is not cut"

    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_phone_reaches_ticket_and_knowledge_base_through_tabs_above_the_chat(
    trainee, active_session, password, browser, asgi_server
):
    context = browser.new_context(**PHONE, locale="en-GB")
    page = context.new_page()
    log_in(page, asgi_server, trainee.email, password)
    open_chat(page, asgi_server, active_session)

    # The conversation comes first: the reply box is on screen without scrolling, and the
    # ticket is not in the way (it is behind its tab)
    tabs = page.get_by_role("tablist", name="Chat panels")
    expect(tabs).to_be_visible()
    chat_tab = tabs.get_by_role("tab", name="Chat")
    ticket_tab = tabs.get_by_role("tab", name="Ticket")
    kb_tab = tabs.get_by_role("tab", name="Knowledge base")
    expect(chat_tab).to_have_attribute("aria-selected", "true")
    expect(chat_input(page)).to_be_in_viewport(ratio=1)
    expect(page.get_by_role("button", name="Send")).to_be_in_viewport(ratio=1)
    assert page.evaluate("() => window.scrollY") == 0
    expect(page.get_by_role("heading", name="Ticket")).to_be_hidden()
    violations = axe_violations(page)
    assert not violations, describe(violations)
    tabs_box = tabs.bounding_box()
    assert tabs_box["y"] + tabs_box["height"] <= chat_input(page).bounding_box()["y"]

    # A tap on "Ticket" shows the ticket and the persona card in place of the chat
    ticket_tab.click()
    expect(ticket_tab).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel", name="Ticket")).to_be_visible()
    expect(page.locator("#chat-persona")).to_be_in_viewport()
    expect(chat_input(page)).to_be_hidden()
    # Tabs, panels and card pass the accessibility smoke check (nothing at all flagged)
    violations = axe_violations(page)
    assert not violations, describe(violations)

    # The keyboard works too: the arrow keys move between tabs
    ticket_tab.focus()
    page.keyboard.press("ArrowRight")
    expect(kb_tab).to_be_focused()
    expect(kb_tab).to_have_attribute("aria-selected", "true")
    search = page.get_by_role("searchbox", name="Search the knowledge base")
    expect(search).to_be_in_viewport()
    expect(page.get_by_role("heading", name="Ticket")).to_be_hidden()

    # Inserting an article goes back to the chat with the text in the reply box
    article = ROUTER_SCENARIO["knowledge_base_entries"][0]
    page.get_by_text(article["title"], exact=True).click()
    page.get_by_role("button", name=f"Insert into reply: {article['title']}").click()
    expect(chat_tab).to_have_attribute("aria-selected", "true")
    expect(chat_input(page)).to_have_value(article["body"])
    expect(chat_input(page)).to_be_in_viewport(ratio=1)

    # Home goes back to the chat tab from the keyboard as well
    kb_tab.click()
    page.keyboard.press("Home")
    expect(chat_tab).to_be_focused()
    expect(chat_input(page)).to_be_visible()
    context.close()


def test_the_customer_reads_as_one_person_not_joined_up_lines(
    trainee, active_session, password, page: Page, asgi_server
):
    """The seams the review found, checked where the trainee sees them: a goodbye before the
    fix is not answered "Yes…", and no customer message says a sentence twice."""
    log_in(page, asgi_server, trainee.email, password)
    open_chat(page, asgi_server, active_session)
    say(page, GREETING)
    say(page, "Thanks for getting in touch, goodbye!")
    farewell = customer_messages(page).last.locator(".chat-text").inner_text()
    assert not farewell.startswith("Yes"), farewell
    say(page, "Sorry, one more thing: is there anything else I can help you with?")
    for text in customer_messages(page).locator(".chat-text").all_inner_texts():
        said = [s for s in re.split(r"(?<=[.!?…])\s+", text) if s]
        assert len(said) == len(set(said)), text
