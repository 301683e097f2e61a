"""The trainee's and the content author's journeys, driven in Chromium as a person would.

Each test asserts what the person sees. Data that exists before the person arrives is created
by fixtures listed before `page` (see conftest.py for why that order matters); anything read
from the database mid-journey goes through `db_call`.
"""

import itertools
import re

import pytest
import yaml
from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    SOCKET_TRACKER,
    STREAM_RECORDER,
    TOAST_RECORDER,
    agent_messages,
    chat_input,
    customer_messages,
    drop_network,
    end_session,
    focused,
    log_in,
    recorded_toasts,
    restore_network,
    say,
    session_with,
    sign_up,
    tab_until,
    transcript,
    wait_connected,
)
from tests.factories import ROUTER_SCENARIO, ScenarioFactory, UserFactory, scenario_document
from tests.faults import database_refusing_agent_messages

FACT = ROUTER_SCENARIO["customer_persona"]["facts"][0]["answer"]
CONFIRM = ROUTER_SCENARIO["customer_persona"]["resolution"]["confirm"]
UNRESOLVED = ROUTER_SCENARIO["customer_persona"]["resolution"]["unresolved"]
KB_RESET = ROUTER_SCENARIO["knowledge_base_entries"][0]
# A second article, so that searching the knowledge base has something to leave out.
KB_WIFI = {
    "id": "kb-wifi-password",
    "title": "Change the Wi-Fi password",
    "body": "Open the router app, choose Wi-Fi, then Password, and save the new one.",
    "key_phrases": ["router app"],
}

pytestmark = pytest.mark.e2e


@pytest.fixture
def trainee(transactional_db):
    return UserFactory(first_name="Robin", last_name="Okafor")


@pytest.fixture
def router(transactional_db):
    """The contract's example scenario (docs/scenarios.md) with one more knowledge-base article."""
    return ScenarioFactory(
        slug="router-reboot-loop",
        title="Router stuck in a reboot loop",
        knowledge_base_entries=[KB_RESET, KB_WIFI],
    )


GOOD_CONVERSATION = [
    "Hello Dana, I'm sorry your internet keeps dropping, that sounds frustrating. I'll help.",
    "Could you tell me what colour the light on the front of the router is?",
    "Thanks. Please hold the reset button on the back for 10 seconds, then wait two minutes.",
]


def start_session(page: Page, url, slug: str) -> None:
    page.goto(url(f"/scenarios/{slug}/"))
    page.get_by_role("button", name=re.compile("^Start")).click()
    expect(page).to_have_url(re.compile(r"/sessions/[0-9a-f-]{36}/$"))
    wait_connected(page)


@pytest.fixture
def catalogue(transactional_db):
    """The contract's router scenario, a starter locked behind it, and an intermediate one."""
    router = ScenarioFactory(slug="router-reboot-loop", title="Router stuck in a reboot loop")
    locked = ScenarioFactory(slug="wifi-drops-at-night", title="Wi-Fi drops every evening")
    locked.prerequisites.add(router)
    ScenarioFactory(
        slug="billing-dispute", title="Billing dispute with a refund", difficulty="intermediate"
    )
    return {"router": router, "locked": locked}


def test_new_visitor_signs_up_and_starts_a_starter_scenario(catalogue, page: Page, asgi_server):
    # Given a visitor on the landing page
    page.goto(asgi_server("/"))
    page.get_by_role("link", name=re.compile("start training", re.I)).click()

    # When they sign up, they land on their dashboard at level 1
    sign_up(page, asgi_server, "new.trainee@example.com")
    expect(page).to_have_url(asgi_server("/"))
    expect(page.get_by_role("heading", name="Level 1")).to_be_visible()
    xp_bar = page.get_by_role("progressbar", name=re.compile("^XP into"))
    expect(xp_bar).to_have_attribute("value", "0")

    # They open the catalogue and filter it to starter scenarios
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Scenarios").click()
    expect(page.get_by_role("heading", name="Scenarios", level=1)).to_be_visible()
    page.get_by_label("Difficulty").select_option(label="Starter")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"difficulty=starter"))
    cards = page.get_by_role("list", name="Scenarios").get_by_role("article")
    expect(cards).to_have_count(2)
    expect(page.get_by_text("Billing dispute with a refund")).to_have_count(0)

    # The locked one says so, and what to finish first; the unlocked one does not
    locked = cards.filter(has_text="Wi-Fi drops every evening")
    expect(locked.get_by_text("Locked")).to_be_visible()
    expect(locked.get_by_role("link", name="Router stuck in a reboot loop")).to_be_visible()
    unlocked = cards.filter(has=page.get_by_role("heading", name="Router stuck in a reboot loop"))
    expect(unlocked.get_by_text("Locked")).to_have_count(0)

    # They open the unlocked one and start it: the chat opens with the customer's ticket
    unlocked.get_by_role("link", name="Router stuck in a reboot loop").click()
    title = page.get_by_role("heading", name="Router stuck in a reboot loop", level=1)
    expect(title).to_be_visible()
    page.get_by_role("button", name="Start session").click()
    expect(page).to_have_url(re.compile(r"/sessions/[0-9a-f-]{36}/$"))
    expect(page.get_by_text(ROUTER_SCENARIO["ticket_template"]["description"])).to_be_visible()


def _yaml(value) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True)


def test_author_fixes_a_bad_knowledge_base_reference_in_the_admin(
    staff_user, password, page: Page, asgi_server
):
    document = scenario_document(slug="printer-offline", title="Office printer offline")
    persona = document["customer_persona"]
    persona["resolution"]["requires"] = ["kb-missing"]

    # Given a content author logged in to the admin
    page.goto(asgi_server("/admin/"))
    page.get_by_label(re.compile("email", re.I)).fill(staff_user.email)
    page.get_by_label(re.compile("password", re.I)).fill(password)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # When they add a scenario whose resolution requires a knowledge-base entry that is not there
    page.goto(asgi_server("/admin/scenarios/scenario/add/"))
    page.get_by_label("Title").fill(document["title"])
    page.get_by_label("Slug").fill(document["slug"])
    page.get_by_label("Description").fill(document["description"])
    page.get_by_label("Difficulty").select_option("starter")
    page.get_by_label("Ticket template").fill(_yaml(document["ticket_template"]))
    page.get_by_label("Customer persona").fill(_yaml(persona))
    page.get_by_label("Knowledge base entries").fill(_yaml(document["knowledge_base_entries"]))
    page.get_by_label("Assessment criteria").fill(_yaml(document["assessment_criteria"]))
    page.get_by_role("button", name="Save", exact=True).click()

    # Then the error is shown next to the persona field, and nothing is saved
    persona_row = page.locator(".field-customer_persona")
    expect(persona_row.locator(".errorlist")).to_contain_text("kb-missing")
    expect(persona_row.locator(".errorlist")).to_contain_text("knowledge_base_entries")
    expect(page.locator(".field-knowledge_base_entries .errorlist")).to_have_count(0)

    # When they fix the reference and save again
    persona["resolution"]["requires"] = ["kb-reset"]
    page.get_by_label("Customer persona").fill(_yaml(persona))
    page.get_by_role("button", name="Save", exact=True).click()

    # Then the admin confirms, and the scenario is in the trainees' catalogue
    expect(page.locator(".messagelist")).to_contain_text("Office printer offline")
    page.goto(asgi_server("/scenarios/"))
    expect(page.get_by_role("link", name="Office printer offline").first).to_be_visible()


def test_chat_streams_a_fact_and_resolves_with_the_knowledge_base(
    trainee, router, password, page: Page, asgi_server
):
    # Given a trainee who opens the router scenario
    log_in(page, asgi_server, trainee.email, password)
    start_session(page, asgi_server, "router-reboot-loop")

    # The customer's opening message is there
    opening = customer_messages(page).first
    expect(opening).to_contain_text(ROUTER_SCENARIO["ticket_template"]["description"])
    expect(opening).to_contain_text("Dana Reyes")

    # When the trainee greets and asks about the light, the answer streams in
    say(page, "Hello Dana, I'm sorry your internet keeps dropping. I'll help you fix it.")
    page.evaluate(STREAM_RECORDER)
    replies = customer_messages(page).count()
    box = chat_input(page)
    box.fill("Could you tell me what colour the light on the front of the router is?")
    box.press("Enter")
    expect(customer_messages(page)).to_have_count(replies + 1)
    answer = customer_messages(page).last
    expect(answer).to_contain_text(FACT)
    expect(answer).not_to_have_class(re.compile("chat-msg-streaming"))
    expect(page.get_by_text("Dana Reyes is typing…")).to_be_hidden()

    # ... the indicator came first, then the text grew piece by piece into the final answer
    frames = page.evaluate("() => window.__e2eStream")
    first_text = next(i for i, f in enumerate(frames) if f["text"])
    assert any(f["typing"] for f in frames[:first_text]), "no typing indicator before the reply"
    texts = [f["text"] for f in frames if f["text"]]
    growth = [t for i, t in enumerate(texts) if i == 0 or t != texts[i - 1]]
    assert len(growth) >= 3, f"the reply did not stream: {growth}"
    assert all(b.startswith(a) and len(b) > len(a) for a, b in itertools.pairwise(growth))
    assert FACT in answer.locator(".chat-text").inner_text()

    # The knowledge-base search narrows the panel to the procedure
    knowledge_base = page.get_by_role("complementary", name="Ticket and knowledge base")
    knowledge_base.get_by_role("searchbox", name="Search the knowledge base").fill("reset")
    articles = knowledge_base.locator("[data-kb-entry]")
    expect(articles.filter(has_text=KB_RESET["title"])).to_be_visible()
    expect(articles.filter(has_text=KB_WIFI["title"])).to_be_hidden()
    knowledge_base.get_by_text(KB_RESET["title"]).click()
    procedure = knowledge_base.get_by_text(KB_RESET["body"])
    expect(procedure).to_be_visible()

    # When the agent sends the procedure, the customer confirms and the session is resolved
    say(page, "Thanks. Please do this: " + procedure.inner_text())
    expect(customer_messages(page).last).to_contain_text(CONFIRM)
    expect(
        page.get_by_role("status").filter(has_text="The customer says it is fixed")
    ).to_be_visible()
    expect(transcript(page).locator(".chat-msg-agent")).to_have_count(3)


@pytest.fixture
def resolved_session(trainee, router):
    session = session_with(trainee, router, GOOD_CONVERSATION)
    assert session.outcome == "resolved", "the offline customer did not confirm the fix"
    return session


def test_report_appears_live_and_rewards_show_everywhere(
    trainee, resolved_session, password, db_call, page: Page, asgi_server
):
    # Given a trainee whose customer has confirmed the fix, back on the chat page
    page.context.add_init_script(TOAST_RECORDER)
    log_in(page, asgi_server, trainee.email, password)
    page.goto(asgi_server(f"/sessions/{resolved_session.id}/"))
    wait_connected(page)
    expect(page.get_by_text("The customer says it is fixed")).to_be_visible()

    # When they end the session, the report replaces the chat by itself once scored
    end_session(page)
    expect(page.get_by_text("The session has ended and is being scored")).to_be_visible()
    report = page.locator("#report")
    expect(report).to_have_attribute("data-status", "scored", timeout=30_000)
    session = db_call(lambda: type(resolved_session).objects.get(pk=resolved_session.pk))
    user = db_call(lambda: type(trainee).objects.get(pk=trainee.pk))
    assert session.status == "scored"
    assert session.passed
    assert session.xp_awarded > 0

    # The total, a bar per criterion, and the XP gained
    expect(report.locator("[data-total-score]")).to_have_text(str(session.score))
    expect(report.get_by_text("Passed", exact=True)).to_be_visible()
    criteria = report.locator(".criteria-list > li")
    expect(criteria).to_have_count(len(ROUTER_SCENARIO["assessment_criteria"]["criteria"]))
    for name in ("Greeting", "Empathy", "Resolution", "Professionalism"):
        bar = report.get_by_role("progressbar", name=re.compile(f"^{name}", re.I))
        expect(bar).to_be_visible()
    expect(report.get_by_text(f"+{session.xp_awarded} XP")).to_be_visible()

    # The evidence is highlighted in the transcript, and its links lead there
    evidence = report.locator(".transcript mark.evidence")
    expect(evidence.first).to_be_visible()
    assert evidence.count() >= 3
    link = report.locator("a.evidence-link").first
    target = link.get_attribute("href")
    link.click()
    expect(page).to_have_url(re.compile(re.escape(target) + "$"))
    expect(page.locator(target)).to_be_in_viewport()

    # An achievement toast appeared while the session was being scored
    assert any("First steps" in toast for toast in recorded_toasts(page)), recorded_toasts(page)

    # The dashboard's level and XP bar reflect the award
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    level = page.get_by_role("heading", name=f"Level {user.level}")
    expect(level).to_be_visible()
    bar = page.get_by_role("progressbar", name=re.compile("^XP into"))
    expect(bar).to_have_attribute("value", str(user.xp_into_level))
    expect(page.get_by_text(f"{user.xp} XP in total")).to_be_visible()

    # The leaderboard lists the trainee, marked as them
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leaderboard").click()
    me = page.get_by_role("row").filter(has_text="you")
    expect(me).to_contain_text("Robin")
    expect(me).to_contain_text(str(user.xp))


RUDE_LINES = [
    "CALM DOWN. Your router is not my problem, you probably broke it yourself.",
    "I SAID CALM DOWN. It is your fault for buying cheap equipment.",
    "Not my problem. Figure it out yourself.",
    "WHATEVER. You clearly did something wrong.",
]


@pytest.fixture
def active_session(trainee, router):
    return session_with(trainee, router, [])


def test_rude_agent_makes_the_customer_escalate_and_fails(
    trainee, active_session, password, page: Page, asgi_server
):
    # Given a trainee in a fresh conversation with an impatient customer
    log_in(page, asgi_server, trainee.email, password)
    page.goto(asgi_server(f"/sessions/{active_session.id}/"))
    wait_connected(page)

    # When they stay rude, the customer runs out of patience and asks for a manager
    escalated = page.get_by_text("The customer has asked for someone else")
    for line in RUDE_LINES:
        say(page, line)
        if UNRESOLVED in customer_messages(page).last.inner_text():
            break
    expect(escalated).to_be_visible()
    expect(customer_messages(page).last).to_contain_text(UNRESOLVED)
    expect(chat_input(page)).to_be_disabled()

    # The page stays on their last words until the trainee moves on
    page.wait_for_timeout(2500)
    expect(customer_messages(page).last).to_contain_text(UNRESOLVED)
    page.get_by_role("button", name="See your report").click()

    # Then the report shows a fail, and why
    report = page.locator("#report")
    expect(report).to_have_attribute("data-status", "scored", timeout=30_000)
    expect(report.get_by_text("Not passed", exact=True)).to_be_visible()
    expect(report.get_by_text("Escalated", exact=True)).to_be_visible()
    reason = report.locator(".report-forbidden")
    expect(reason).to_contain_text("forbidden phrase")
    expect(reason).to_contain_text("calm down", ignore_case=True)


def test_message_typed_while_offline_is_delivered_once_after_reconnecting(
    trainee, active_session, password, db_call, page: Page, asgi_server
):
    from sessions_app.models import ChatMessage

    def stored(content):
        return db_call(
            lambda: ChatMessage.objects.filter(session=active_session, content=content).count()
        )

    # Given a trainee mid-conversation
    page.context.add_init_script(SOCKET_TRACKER)
    log_in(page, asgi_server, trainee.email, password)
    page.goto(asgi_server(f"/sessions/{active_session.id}/"))
    wait_connected(page)
    say(page, "Hello Dana, I'm sorry about the outages. Let's sort this out together.")
    connection = page.locator("#chat-connection")

    # When the network drops, the page says so
    drop_network(page)
    expect(connection).to_have_text(re.compile("offline|reconnecting", re.I))

    # and a message typed meanwhile waits in the transcript, not yet sent
    question = "While we wait: what colour is the light on the front of the router?"
    box = chat_input(page)
    box.fill(question)
    box.press("Enter")
    waiting = agent_messages(page).filter(has_text=question)
    expect(waiting).to_have_count(1)
    expect(waiting).to_have_class(re.compile("chat-msg-pending"))
    assert stored(question) == 0

    # When the network comes back, the page reconnects and delivers it
    restore_network(page)
    expect(connection).to_have_text("Connected", timeout=20_000)
    expect(customer_messages(page).last).to_contain_text(FACT)

    # Then it was delivered exactly once, and answered exactly once
    expect(agent_messages(page).filter(has_text=question)).to_have_count(1)
    expect(waiting).not_to_have_class(re.compile("chat-msg-pending"))
    expect(customer_messages(page).filter(has_text=FACT)).to_have_count(1)
    assert stored(question) == 1
    page.reload()
    expect(agent_messages(page).filter(has_text=question)).to_have_count(1)
    expect(customer_messages(page).filter(has_text=FACT)).to_have_count(1)


def test_a_message_the_database_refuses_is_marked_failed_and_retried_once(
    trainee, active_session, password, db_call, page: Page, asgi_server
):
    from sessions_app.models import ChatMessage

    def stored(content):
        return db_call(
            lambda: ChatMessage.objects.filter(session=active_session, content=content).count()
        )

    # Given a trainee mid-conversation, and a database that cannot store their next message
    log_in(page, asgi_server, trainee.email, password)
    page.goto(asgi_server(f"/sessions/{active_session.id}/"))
    wait_connected(page)
    refusing = database_refusing_agent_messages()
    db_call(refusing.__enter__)
    question = "Could you tell me what colour the light on the front of the router is?"
    try:
        box = chat_input(page)
        box.fill(question)
        box.press("Enter")

        # Then the message is shown as failed, not left "sending", and the page says so
        failed = agent_messages(page).filter(has_text=question)
        expect(failed).to_have_class(re.compile("chat-msg-failed"))
        expect(failed).not_to_have_class(re.compile("chat-msg-pending"))
        expect(page.locator("#chat-alert")).to_be_visible()
        assert stored(question) == 0
    finally:
        db_call(refusing.__exit__, None, None, None)

    # When the trainee retries it once the database is back
    failed.get_by_role("button", name="Retry").click()

    # Then it is delivered once and answered once, in place of the failed one
    expect(customer_messages(page).last).to_contain_text(FACT)
    expect(agent_messages(page).filter(has_text=question)).to_have_count(1)
    expect(failed).not_to_have_class(re.compile("chat-msg-failed"))
    expect(failed.get_by_role("button", name="Retry")).to_have_count(0)
    assert stored(question) == 1


def test_an_answer_the_customer_could_not_give_is_asked_for_again_with_retry(
    trainee, active_session, password, db_call, page: Page, asgi_server, monkeypatch
):
    from sessions_app.engines.offline import OfflineEngine
    from sessions_app.models import ChatMessage

    # Given a trainee mid-conversation, and a customer engine that fails once
    answer = OfflineEngine.reply
    failures = []

    def fails_once(self, **kwargs):
        if not failures:
            failures.append(True)
            raise RuntimeError("the engine fell over")
        return answer(self, **kwargs)

    monkeypatch.setattr(OfflineEngine, "reply", fails_once)
    log_in(page, asgi_server, trainee.email, password)
    page.goto(asgi_server(f"/sessions/{active_session.id}/"))
    wait_connected(page)
    question = "Could you tell me what colour the light on the front of the router is?"
    box = chat_input(page)
    box.fill(question)
    box.press("Enter")

    # Then the stored message is marked unanswered at once, with a Retry button
    unanswered = agent_messages(page).filter(has_text=question)
    expect(unanswered).to_have_class(re.compile("chat-msg-failed"))
    expect(page.locator("#chat-alert")).to_be_visible()

    # When the trainee retries, the customer answers it, once, and the message is not resent
    unanswered.get_by_role("button", name="Retry").click()
    expect(customer_messages(page).last).to_contain_text(FACT)
    expect(unanswered).not_to_have_class(re.compile("chat-msg-failed"))
    expect(agent_messages(page).filter(has_text=question)).to_have_count(1)
    stored = db_call(
        lambda: ChatMessage.objects.filter(session=active_session, content=question).count()
    )
    assert stored == 1


def test_chat_can_be_used_with_the_keyboard_alone(
    trainee, active_session, password, page: Page, asgi_server
):
    log_in(page, asgi_server, trainee.email, password)
    page.goto(asgi_server(f"/sessions/{active_session.id}/"))
    wait_connected(page)

    # The reply box has focus on arrival
    assert focused(page)["id"] == "chat-input"

    # Shift+Tab back to the top of the page, then Tab through it: the skip link first, then the
    # page in reading order, each with a ring
    tab_until(page, lambda f: f["text"] == "Skip to content", key="Shift+Tab", limit=60)
    stops = [focused(page), *tab_until(page, lambda f: f["id"] == "chat-input")]
    assert stops[0]["text"] == "Skip to content"
    order = [s["id"] or s["text"] for s in stops]
    assert order.index("chat-end") < order.index("kb-search") < order.index("chat-input")
    assert KB_RESET["title"] in order, order
    unringed = [s["id"] or s["text"] for s in stops if not s["ring"]]
    assert not unringed, f"no visible focus indicator on {unringed}"

    # Typing and Enter send a message; the customer answers
    page.keyboard.type("Hello Dana, sorry about this. What colour is the light on the router?")
    page.keyboard.press("Enter")
    expect(customer_messages(page).last).to_contain_text(FACT)
    assert focused(page)["id"] == "chat-input", "focus left the composer after sending"

    # Shift+Tab reaches the knowledge base; Enter opens an article
    tab_until(page, lambda f: f["text"] == KB_RESET["title"], key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_text(KB_RESET["body"])).to_be_visible()

    # Back to the composer: Shift+Enter makes a new line, Enter sends both lines
    tab_until(page, lambda f: f["id"] == "chat-input")
    page.keyboard.type("Please hold the reset button on the back for 10 seconds,")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("then wait two minutes.")
    page.keyboard.press("Enter")
    expect(customer_messages(page).last).to_contain_text(CONFIRM)
    expect(agent_messages(page).last).to_contain_text("10 seconds,\nthen wait", use_inner_text=True)

    # Ending the session: the button, the confirmation dialog, and its default answer
    tab_until(page, lambda f: f["id"] == "chat-end", key="Shift+Tab")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="End this session?")
    expect(dialog).to_be_visible()
    assert focused(page)["text"] == "Keep chatting"
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert focused(page)["id"] == "chat-end"
    page.keyboard.press("Enter")
    tab_until(page, lambda f: f["text"] == "End and score", limit=3)
    page.keyboard.press("Enter")
    expect(page.get_by_text("The session has ended and is being scored")).to_be_visible()
