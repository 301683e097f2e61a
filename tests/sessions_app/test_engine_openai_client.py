"""The OpenAI engine's model client: one per event loop and settings, kept with its keep-alive
connection between replies, closed when its loop shuts down, and still usable after a failure.

The fake model server (tests/sessions_app/fake_model.py) serves each TCP connection in its own
thread, so the thread that answered a request tells which connection carried it.
"""

import asyncio
import threading

import pytest

from sessions_app.engines import EngineError, Turn, get_engine, openai_compat
from tests.factories import scenario_document
from tests.sessions_app.fake_model import Status, Stream, engine_on_fake_model, running_fake_model


def _transcript(document, question="What colour is the light?"):
    return [Turn("customer", document["ticket_template"]["description"]), Turn("agent", question)]


async def _reply(engine=None, question="What colour is the light?"):
    engine = engine or get_engine("openai")
    document = scenario_document()
    reply = engine.reply(scenario=document, transcript=_transcript(document, question), state={})
    deltas = [delta async for delta in reply]
    return "".join(deltas), reply.result


def _connections(model, monkeypatch) -> list[str]:
    """The server thread (= TCP connection) that answered each request, in order."""
    seen = []
    next_behaviour = model.next_behaviour

    def recording():
        seen.append(threading.current_thread().name)
        return next_behaviour()

    monkeypatch.setattr(model, "next_behaviour", recording)
    return seen


async def test_consecutive_replies_share_one_client_and_one_connection(fake_model, monkeypatch):
    connections = _connections(fake_model, monkeypatch)
    fake_model.then(Stream(["It's ", "orange."]), Stream(["Still ", "orange."]))

    text, result = await _reply()
    client = await openai_compat._pooled_client()
    assert text == "It's orange."
    assert result.text == "It's orange."
    text, _ = await _reply(question="And now?")
    assert text == "Still orange."

    assert await openai_compat._pooled_client() is client
    assert not client.is_closed()
    assert len(fake_model.requests) == 2
    assert len(connections) == 2
    assert connections[0] == connections[1], "the second reply opened a new connection"


async def test_other_settings_get_their_own_client(fake_model, settings):
    first, _ = await _reply()
    client = await openai_compat._pooled_client()
    assert first == "Okay."

    with running_fake_model() as other:
        other.then(Stream(["From ", "the other server."]))
        settings.OPENAI_BASE_URL = other.base_url
        text, _ = await _reply()
        other_client = await openai_compat._pooled_client()
        assert text == "From the other server."
        assert other_client is not client
        assert len(other.requests) == 1
    assert len(fake_model.requests) == 1

    settings.OPENAI_BASE_URL = fake_model.base_url
    assert await openai_compat._pooled_client() is client
    settings.OPENAI_API_KEY = "another-key"
    assert await openai_compat._pooled_client() is not client


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(Stream(["The light is ", "blink"], finish=False), id="stream-cut"),
        pytest.param(Status(500), id="http-500"),
    ],
)
async def test_a_failure_does_not_poison_the_kept_client(fake_model, monkeypatch, failure):
    connections = _connections(fake_model, monkeypatch)
    fake_model.then(Stream(["Hello."]), failure, Stream(["Orange, ", "blinking."]))
    await _reply()
    client = await openai_compat._pooled_client()

    with pytest.raises(EngineError):
        await _reply()
    text, result = await _reply()

    assert text == "Orange, blinking."
    assert result.text == "Orange, blinking."
    assert await openai_compat._pooled_client() is client
    assert len(connections) == 3
    if isinstance(failure, Stream):
        # The cut connection is dropped, never handed to the next reply.
        assert connections[2] != connections[1]


async def test_a_retry_after_a_failure_uses_the_same_client(fake_model, settings):
    settings.OPENAI_MAX_RETRIES = 2
    # Retried only before the first delta: a stream cut before it, then an overloaded server.
    fake_model.then(Stream([], finish=False), Status(503), Stream(["Finally."]))
    text, _ = await _reply()
    assert text == "Finally."
    assert len(fake_model.requests) == 3


async def test_the_customer_decides_once_per_reply_however_often_the_request_is_retried(
    fake_model, settings
):
    """The state machine's turn shapes the prompt, so it runs before the request, once."""
    settings.OPENAI_MAX_RETRIES = 1
    fake_model.then(Status(503), Stream(["Orange."]))
    engine = get_engine("openai")
    document = scenario_document()
    reply = engine.reply(scenario=document, transcript=_transcript(document), state={})
    assert [delta async for delta in reply] == ["Orange."]
    assert len(fake_model.requests) == 2
    assert reply.result.state["turns"] == 1
    assert reply.result.state["revealed"] == ["light_colour"]
    first, second = (request["body"]["messages"][0]["content"] for request in fake_model.requests)
    assert first == second


def test_a_loop_that_ends_closes_its_client(settings):
    """A REST reply runs in a loop of its own (`async_to_sync`): its client goes with it."""
    with engine_on_fake_model(settings) as model:
        seen = []

        async def one():
            text, _ = await _reply()
            seen.append((asyncio.get_running_loop(), await openai_compat._pooled_client()))
            return text

        assert asyncio.run(one()) == "Okay."
        assert asyncio.run(one()) == "Okay."
        assert len(model.requests) == 2

    (loop_a, client_a), (loop_b, client_b) = seen
    assert client_a is not client_b
    assert client_a.is_closed()
    assert client_b.is_closed()
    assert loop_a not in openai_compat._clients
    assert loop_b not in openai_compat._clients
