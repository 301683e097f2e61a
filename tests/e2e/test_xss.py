"""Issue 10 §4 in a real browser: script payloads in the chat stay text.

The trainee types markup, the customer's streamed answer carries markup (the author put it in
the persona's answer), and the opening ticket does too. Chromium must show all of it as text:
no element is created from it and nothing runs. The DOM check does not depend on the CSP (which
would also block inline handlers): it fails if the chat ever renders message content as HTML.
"""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import customer_messages, log_in, say, transcript, wait_connected
from tests.factories import ScenarioFactory, UserFactory, scenario_document

pytestmark = pytest.mark.e2e

ANSWER = 'Orange <img src=x onerror="window.__xss=1"> <b id="xss-bold">bold</b>'
TYPED = '<img src=x onerror="window.__xss=2"><script>window.__xss=3</script> colour of the light?'


@pytest.fixture
def trainee(transactional_db):
    return UserFactory()


@pytest.fixture
def hostile_session(transactional_db, trainee):
    from sessions_app.services import session_start

    document = scenario_document(slug="hostile-chat")
    document["ticket_template"]["description"] = 'Help <img src=x onerror="window.__xss=4">'
    document["customer_persona"]["facts"][0]["answer"] = ANSWER
    fields = {k: v for k, v in document.items() if k != "prerequisites"}
    return session_start(user=trainee, scenario=ScenarioFactory(**fields))


def test_markup_in_typed_streamed_and_opening_messages_is_shown_as_text(
    trainee, hostile_session, password, page: Page, asgi_server
):
    log_in(page, asgi_server, trainee.email, password)
    page.goto(asgi_server(f"/sessions/{hostile_session.pk}/"))
    wait_connected(page)

    say(page, TYPED)

    expect(customer_messages(page).last).to_contain_text(ANSWER)
    expect(transcript(page)).to_contain_text(TYPED)
    expect(customer_messages(page).first).to_contain_text('Help <img src=x onerror="')
    chat = transcript(page)
    assert chat.locator("img").count() == 0
    assert chat.locator("script").count() == 0
    assert page.locator("#xss-bold").count() == 0
    assert page.evaluate("() => window.__xss") is None
    # After a reload the stored messages (server-rendered, then history) are text too.
    page.reload()
    wait_connected(page)
    expect(customer_messages(page).last).to_contain_text(ANSWER)
    assert transcript(page).locator("img, script, b").count() == 0
    assert page.evaluate("() => window.__xss") is None
