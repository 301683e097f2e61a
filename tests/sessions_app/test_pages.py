"""The chat page: the live conversation while active, the report once ended."""

import re

import pytest
from django.utils.html import escape

from sessions_app.models import SessionStatus, UserSession
from sessions_app.services import message_post_agent, session_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(user, scenario):
    return session_start(user=user, scenario=scenario)


def page(client, session):
    return client.get(f"/sessions/{session.pk}/")


def test_the_chat_page_has_ticket_knowledge_base_transcript_and_composer(client_user, live):
    response = page(client_user, live)
    assert response.status_code == 200
    assert response.templates[0].name == "sessions_app/chat.html"
    html = response.content.decode()
    assert "High priority" in html
    assert "Connectivity" in html  # the category, as a label
    assert "AC-99812" in html  # customer info
    assert "Reset the HX-200" in html  # the knowledge base
    assert 'id="kb-search"' in html
    assert 'aria-live="polite"' in html
    assert "My internet keeps cutting out every few minutes. Fix it." in html
    assert 'maxlength="4000"' in html
    assert "0/4000" in html
    assert 'data-ws-path="/ws/sessions/' in html
    assert 'data-estimated-minutes="10"' in html
    assert 'id="chat-end-dialog"' in html
    assert "js/chat.js" in html
    assert "css/chat.css" in html


def test_the_page_has_no_inline_scripts_styles_or_cdn(client_user, live):
    html = page(client_user, live).content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert " style=" not in html
    assert "<style" not in html
    assert not re.search(r"""(src|href)=["']https?://""", html)


def test_hidden_scenario_data_never_reaches_the_page(client_user, live):
    html = page(client_user, live).content.decode()
    assert "blinking orange" not in html  # an unrevealed fact
    assert "it&#x27;s back up" not in html.lower()  # the resolution lines
    assert "manager" not in html
    assert "calm down" not in html  # forbidden phrases (assessment)


def test_messages_are_escaped(client_user, live):
    message_post_agent(session=live, content="<script>alert(1)</script>")
    html = page(client_user, live).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_preferences_reach_the_page(client_user, user, live):
    user.preferences = {"enter_sends": False, "show_customer_mood": False}
    user.save()
    html = page(client_user, live).content.decode()
    assert 'data-enter-sends="0"' in html
    assert 'data-show-mood="0"' in html
    assert 'id="chat-mood"' not in html
    user.preferences = {}
    user.save()
    html = page(client_user, live).content.decode()
    assert 'data-enter-sends="1"' in html
    assert 'id="chat-mood"' in html


def test_someone_elses_session_is_a_404(client, other_user, live):
    client.force_login(other_user)
    assert page(client, live).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, live):
    response = page(client, live)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("status", [SessionStatus.SCORING, SessionStatus.SCORED])
def test_an_ended_session_shows_its_report(client_user, live, status):
    UserSession.objects.filter(pk=live.pk).update(status=status, outcome="ended", score=80)
    response = page(client_user, live)
    assert response.status_code == 200
    names = [t.name for t in response.templates]
    assert "performance/report.html" in names
    assert "sessions_app/chat.html" not in names


def test_the_transcript_is_not_mistaken_for_flash_messages(client_user, live):
    html = page(client_user, live).content.decode()
    assert 'class="flashes"' not in html
    assert "#1 customer" not in html


def test_each_knowledge_base_article_has_an_insert_into_reply_button(client_user, live):
    html = page(client_user, live).content.decode()
    entries = re.findall(r"<li class=\"chat-kb-entry\" data-kb-entry>(.*?)</li>", html, re.S)
    assert len(entries) == len(live.scenario.knowledge_base_entries) >= 1
    for entry, article in zip(entries, live.scenario.knowledge_base_entries, strict=True):
        assert f"<p data-kb-body>{escape(article['body'])}</p>" in entry
        buttons = re.findall(r"<button\b[^>]*>.*?</button>", entry, re.S)
        assert len(buttons) == 1
        button = buttons[0]
        # A plain button (never submits the composer); its name starts with what it shows
        # and ends with the article's title, for screen readers
        assert 'type="button"' in button
        assert "data-kb-insert" in button
        assert 'aria-controls="chat-input"' in button
        assert f'aria-label="Insert into reply: {escape(article["title"])}"' in button
        assert re.sub(r"<[^>]+>", "", button) == "Insert into reply"
