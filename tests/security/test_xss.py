"""Issue 10 §4: script payloads are inert on every page that shows them.

The payloads sit everywhere a person can write: an author's scenario (title, description,
ticket, customer details, knowledge base, the persona's answers and confirm line), a trainee's
messages and name, and the customer's replies (the offline engine repeating the persona's
lines, the OpenAI-compatible engine answering with HTML). Each page is checked on its raw
HTML: the payload is shown — escaped — and nothing of it became markup.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

from scenarios.validation import validate_scenario_document
from sessions_app.models import SessionStatus
from sessions_app.services import customer_reply, message_post_agent, session_end, session_start
from tests.factories import ScenarioFactory, UserFactory, scenario_document
from tests.sessions_app.fake_model import Stream, running_fake_model

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JS_LINK = '<a href="javascript:alert(1)">click</a>'
JS_URL = "javascript:alert(1)"
BEACON = "![x](http://evil.example/b.png)"
PAYLOADS = (SCRIPT, IMG, JS_LINK, BEACON)
ALL = " ".join(PAYLOADS)

STATIC_JS = Path(__file__).resolve().parents[2] / "static" / "js"


class _Markup(HTMLParser):
    """What a browser would build from the page: tags, attributes, script bodies."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler")
            if name in ("href", "src", "action", "formaction", "xlink:href") and (
                value.replace(" ", "").startswith("javascript:")
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in ("src", "href", "srcset", "poster") and "evil.example" in value:
                self.problems.append(f"<{tag} {name}={value!r}> loads a beacon")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert(" in data:
            self.problems.append(f"script body runs {data.strip()[:40]!r}")


def assert_inert(html: str, where: str) -> None:
    for payload in PAYLOADS:
        if payload != BEACON:  # plain text: it is only dangerous if rendered as markdown
            assert payload not in html, f"{where}: raw {payload!r} in the page"
    parser = _Markup()
    parser.feed(html)
    parser.close()
    assert not parser.problems, f"{where}: payload became markup: {parser.problems}"


def assert_shown_escaped(html: str, where: str) -> None:
    """At least one payload is on the page as text: the check above is not vacuous."""
    shown = [p for p in (SCRIPT, IMG, JS_LINK) if escape(p) in html or escape(p, False) in html]
    assert shown, f"{where}: no payload shown at all, so nothing was tested"


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def hostile_document() -> dict:
    document = scenario_document(
        slug="hostile",
        title=f"Router {SCRIPT}",
        description=f"An author wrote {ALL} here.",
    )
    ticket = document["ticket_template"]
    ticket["description"] = f"My internet is down {IMG} {JS_LINK}"
    ticket["category"] = f"conn {SCRIPT}"
    ticket["customer_info"] = {"name": f"Dana {IMG}", "plan": BEACON, "notes": JS_URL}
    ticket["technical_context"] = {"device": f"HX {SCRIPT}"}
    persona = document["customer_persona"]
    persona["name"] = f"Dana {SCRIPT}"
    persona["facts"][0]["answer"] = f"It blinks orange {IMG} {SCRIPT}"
    persona["resolution"]["confirm"] = f"Fixed! {JS_LINK} {BEACON}"
    entry = document["knowledge_base_entries"][0]
    entry["title"] = f"Reset {IMG}"
    entry["body"] = f"Hold the reset button {ALL}"
    return document


@pytest.fixture
def hostile_scenario():
    document = hostile_document()
    assert validate_scenario_document(document, check_prerequisites=False) == []
    fields = {k: v for k, v in document.items() if k != "prerequisites"}
    return ScenarioFactory(**fields)


@pytest.fixture
def trainee():
    return UserFactory(first_name=f"Eve {SCRIPT}", last_name=IMG)


@pytest.fixture
def signed_in(trainee):
    client = Client()
    client.force_login(trainee)
    return client


def _talk(session, lines):
    for line in lines:
        posted = message_post_agent(session=session, content=line)
        customer_reply(session=session, reply_to=posted.message)


@pytest.fixture
def conversations(trainee, hostile_scenario, django_capture_on_commit_callbacks):
    """An active chat and a scored one, both full of payloads from every side."""
    active = session_start(user=trainee, scenario=hostile_scenario)
    _talk(active, [f"Hello {SCRIPT}! What colour is the light? {JS_LINK}"])
    scored = session_start(user=trainee, scenario=hostile_scenario)
    _talk(
        scored,
        [
            f"Hi {IMG}, what colour is the light?",
            f"Hold the reset button for 10 seconds. {BEACON}",
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):  # scoring runs after commit
        session_end(session=scored, by=trainee)
    scored.refresh_from_db()
    assert scored.status == SessionStatus.SCORED
    customer_lines = " ".join(
        scored.messages.filter(role="customer").values_list("content", flat=True)
    )
    assert IMG in customer_lines  # the engine said the persona's lines
    assert JS_LINK in customer_lines
    return active, scored


def test_the_catalogue_and_detail_pages(signed_in, hostile_scenario):
    for url in ("/scenarios/", f"/scenarios/{hostile_scenario.slug}/"):
        html = page(signed_in, url)
        assert_inert(html, url)
        assert_shown_escaped(html, url)


def test_the_chat_page(signed_in, conversations):
    active, _ = conversations
    html = page(signed_in, f"/sessions/{active.pk}/")
    assert_inert(html, "chat")
    assert_shown_escaped(html, "chat")
    # Each side's payload is there as text: trainee, customer (persona answer), ticket, KB.
    for text in (f"Hello {SCRIPT}", f"It blinks orange {IMG}", f"down {IMG}", f"Reset {IMG}"):
        assert escape(text) in html, text


def test_the_report_dashboard_and_performance_pages(signed_in, conversations):
    _, scored = conversations
    for url in (f"/sessions/{scored.pk}/", "/", "/performance/", "/leaderboard/", "/profile/"):
        html = page(signed_in, url)
        assert_inert(html, url)
        assert_shown_escaped(html, url)


def test_the_admin_pages(conversations, hostile_scenario, trainee):
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    urls = [
        "/admin/scenarios/scenario/",
        f"/admin/scenarios/scenario/{hostile_scenario.pk}/change/",
        "/admin/sessions_app/usersession/",
        f"/admin/sessions_app/usersession/{conversations[1].pk}/change/",
        "/admin/accounts/user/",
    ]
    for url in urls:
        html = page(staff, url)
        assert_inert(html, url)
        assert_shown_escaped(html, url)


def test_the_api_returns_payloads_as_json_text_never_html(signed_in, conversations):
    _, scored = conversations
    response = signed_in.get(f"/api/v1/sessions/{scored.pk}/")
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    contents = [m["content"] for m in response.json()["data"]["messages"]]
    assert any(IMG in c for c in contents)  # stored verbatim; escaping is the renderer's job


@pytest.mark.django_db(transaction=True)
def test_an_openai_engine_answering_with_html_is_inert_on_the_page(settings, signed_in, trainee):
    with running_fake_model() as model:
        settings.CUSTOMER_ENGINE = "openai"
        settings.OPENAI_API_KEY = "test-key"
        settings.OPENAI_BASE_URL = model.base_url
        settings.OPENAI_TIMEOUT = 2.0
        settings.OPENAI_MAX_RETRIES = 0
        model.then(Stream([f"<b>Sure</b> {IMG[:9]}", f"{IMG[9:]} {SCRIPT} {JS_LINK}"]))
        session = session_start(user=trainee, scenario=ScenarioFactory())
        _talk(session, ["Can you describe the problem?"])
    reply = session.messages.get(seq=3).content
    assert IMG in reply
    assert SCRIPT in reply
    html = page(signed_in, f"/sessions/{session.pk}/")
    assert_inert(html, "chat with the OpenAI engine")
    assert "<b>Sure</b>" not in html
    assert escape(IMG) in html


# --- the signed_in side: the chat's scripts only ever write text --------------------------------

_HTML_SINKS = re.compile(
    r"\.innerHTML\s*[+]?=|\.outerHTML\s*[+]?=|insertAdjacentHTML|document\.write|"
    r"\beval\s*\(|new\s+Function\s*\(|setTimeout\s*\(\s*['\"`]|\.html\s*\(|createContextualFragment"
)


def test_our_scripts_have_no_html_sinks():
    scripts = sorted(STATIC_JS.glob("*.js"))
    assert scripts, "no scripts found"
    for script in scripts:
        for number, line in enumerate(script.read_text(encoding="utf-8").splitlines(), 1):
            assert not _HTML_SINKS.search(line), f"{script.name}:{number}: {line.strip()}"


def test_the_chat_script_renders_message_content_as_text():
    chat = (STATIC_JS / "chat.js").read_text(encoding="utf-8")
    assert re.search(r"textContent\s*=\s*message\.content", chat)
    assert re.search(r"textContent\s*\+=\s*delta", chat)
