"""Issue 10 §5: abuse and cost limits, each refused with a clear error and no model call.

The customer is the OpenAI-compatible engine against a real local model server, so "no engine
call" is what the server saw, not a mock. Service-level checks of the same limits live in
tests/sessions_app; these go through the socket, the API and the pages a trainee uses.
"""

from __future__ import annotations

import uuid

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from rest_framework.test import APIClient

from sessions_app.models import ChatMessage, SessionStatus, UserSession
from sessions_app.services import session_start
from tests.factories import ScenarioFactory, UserFactory
from tests.sessions_app.conftest import connect, cookie_for, frames_until
from tests.sessions_app.fake_model import Stream, running_fake_model

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def model(settings):
    with running_fake_model() as fake:
        fake.default = Stream(["Okay."], usage={"total_tokens": 10})
        settings.CUSTOMER_ENGINE = "openai"
        settings.OPENAI_API_KEY = "test-key"
        settings.OPENAI_BASE_URL = fake.base_url
        settings.OPENAI_MODEL = "fake-model"
        settings.OPENAI_TIMEOUT = 2.0
        settings.OPENAI_MAX_RETRIES = 0
        yield fake


@pytest.fixture
def trainee(transactional_db):
    return UserFactory()


@pytest.fixture
def chat(trainee, model):
    return session_start(user=trainee, scenario=ScenarioFactory())


def _agent_messages(session_id) -> list[str]:
    return list(
        ChatMessage.objects.filter(session_id=session_id, role="agent")
        .order_by("seq")
        .values_list("content", flat=True)
    )


agent_messages = database_sync_to_async(_agent_messages)


async def _open(session, user):
    communicator = await connect(session.pk, await database_sync_to_async(cookie_for)(user))
    assert (await communicator.receive_json_from(timeout=5))["type"] == "history"
    return communicator


def _frame(text):
    return {"type": "agent.message", "content": text, "client_id": str(uuid.uuid4())}


def _clear(error: dict, code: str) -> None:
    assert error["type"] == "error"
    assert error["code"] == code
    assert len(error["detail"]) > 20  # a sentence a person can act on, not just a code


@pytest.mark.usefixtures("close_thread_connections")
async def test_sending_too_fast_on_one_socket_is_refused_before_anything_happens(
    chat, trainee, model, settings
):
    settings.CHAT_RATE_LIMIT = "2/10s"
    communicator = await _open(chat, trainee)
    for text in ("one", "two"):
        await communicator.send_json_to(_frame(text))
        await frames_until(communicator, "customer.done", timeout=10)
    await communicator.send_json_to(_frame("three"))
    error = await communicator.receive_json_from(timeout=5)
    _clear(error, "rate_limited")
    assert await communicator.receive_nothing(timeout=0.3)  # no typing, no reply
    assert len(model.requests) == 2
    assert await agent_messages(chat.pk) == ["one", "two"]
    await communicator.disconnect()


@pytest.mark.usefixtures("close_thread_connections")
async def test_the_turn_limit_refuses_the_next_message_without_a_model_call(
    chat, trainee, model, settings
):
    settings.CHAT_MAX_TURNS = 2
    communicator = await _open(chat, trainee)
    for text in ("one", "two"):
        await communicator.send_json_to(_frame(text))
        await frames_until(communicator, "customer.done", timeout=10)
    await communicator.send_json_to(_frame("three"))
    _clear(await communicator.receive_json_from(timeout=5), "turn_limit")
    assert await communicator.receive_nothing(timeout=0.3)
    assert len(model.requests) == 2
    assert await agent_messages(chat.pk) == ["one", "two"]
    await communicator.disconnect()


def test_the_turn_limit_over_rest_is_a_409_in_the_envelope(chat, trainee, model, settings):
    settings.CHAT_MAX_TURNS = 1
    api = APIClient()
    api.force_authenticate(trainee)
    url = f"/api/v1/sessions/{chat.pk}/messages/"
    assert api.post(url, {"content": "one"}, format="json").status_code == 201
    refused = api.post(url, {"content": "two"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["details"]["code"] == "turn_limit"
    assert "limit" in refused.json()["error"]
    assert len(model.requests) == 1
    assert _agent_messages(chat.pk) == ["one"]


@pytest.mark.usefixtures("close_thread_connections")
async def test_each_reply_asks_for_at_most_the_per_reply_and_remaining_session_tokens(
    chat, trainee, model, settings
):
    settings.OPENAI_MAX_TOKENS_PER_REPLY = 50
    settings.OPENAI_MAX_TOKENS_PER_SESSION = 1000
    communicator = await _open(chat, trainee)
    await communicator.send_json_to(_frame("one"))
    await frames_until(communicator, "customer.done", timeout=10)
    assert model.requests[-1]["body"]["max_completion_tokens"] == 50
    # Near the end of the budget, a reply may only use what is left.
    await database_sync_to_async(UserSession.objects.filter(pk=chat.pk).update)(tokens_used=980)
    await communicator.send_json_to(_frame("two"))
    await frames_until(communicator, "customer.done", timeout=10)
    assert model.requests[-1]["body"]["max_completion_tokens"] == 20
    session = await database_sync_to_async(UserSession.objects.get)(pk=chat.pk)
    assert session.tokens_used == 990  # the server's usage was counted
    await communicator.disconnect()


@pytest.mark.usefixtures("close_thread_connections")
async def test_a_spent_session_budget_is_refused_on_the_socket_without_a_model_call(
    chat, trainee, model, settings
):
    settings.OPENAI_MAX_TOKENS_PER_SESSION = 100
    await database_sync_to_async(UserSession.objects.filter(pk=chat.pk).update)(tokens_used=100)
    communicator = await _open(chat, trainee)
    await communicator.send_json_to(_frame("hello?"))
    frames = await frames_until(communicator, "error", timeout=5)
    _clear(frames[-1], "token_budget_exhausted")
    assert "customer.typing" not in [f["type"] for f in frames]
    assert model.requests == []
    assert await agent_messages(chat.pk) == ["hello?"]  # the trainee's words are kept
    await communicator.disconnect()


def test_a_spent_session_budget_over_rest_is_a_429_in_the_envelope(chat, trainee, model, settings):
    settings.OPENAI_MAX_TOKENS_PER_SESSION = 100
    UserSession.objects.filter(pk=chat.pk).update(tokens_used=150)
    api = APIClient()
    api.force_authenticate(trainee)
    refused = api.post(f"/api/v1/sessions/{chat.pk}/messages/", {"content": "hi"}, format="json")
    assert refused.status_code == 429
    assert refused.json()["details"]["code"] == "token_budget_exhausted"
    assert refused.json()["error"]
    assert model.requests == []


def test_too_many_active_sessions_are_refused_on_the_api_and_the_page(trainee, model, settings):
    settings.CHAT_MAX_ACTIVE_SESSIONS = 2
    scenario = ScenarioFactory()
    api = APIClient()
    api.force_authenticate(trainee)
    start = f"/api/v1/scenarios/{scenario.slug}/start/"
    assert api.post(start, format="json").status_code == 201
    assert api.post(start, format="json").status_code == 201

    refused = api.post(start, format="json")
    assert refused.status_code == 409
    assert refused.json()["details"]["code"] == "too_many_active_sessions"
    assert "Finish or end one" in refused.json()["error"]

    browser = Client()
    browser.force_login(trainee)
    page = browser.post(f"/scenarios/{scenario.slug}/start/", follow=True)
    assert page.status_code == 200
    assert b"too many sessions open" in page.content
    assert UserSession.objects.filter(user=trainee, status=SessionStatus.ACTIVE).count() == 2
    assert model.requests == []

    # Ending one frees a place.
    first = UserSession.objects.filter(user=trainee).order_by("started_at").first()
    assert api.post(f"/api/v1/sessions/{first.pk}/complete/", format="json").status_code == 202
    assert api.post(start, format="json").status_code == 201
