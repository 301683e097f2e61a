"""Two tabs of one session sending at once (issue 19): the second message, refused with `busy`
while the customer answers the first, is answered once that turn is over, and every tab sees
the answer."""

import uuid

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache

from performance.services import transcript_for_session
from sessions_app.engines.base import Turn
from sessions_app.models import ChatMessage
from sessions_app.services import (
    _turn_lock_key,
    conversation_order,
    customer_turn_owed,
    message_post_agent,
)
from tests.factories import ROUTER_SCENARIO
from tests.sessions_app.conftest import connect, frames_until

pytestmark = pytest.mark.django_db(transaction=True)
# The socket tests run on the in-memory channel layer and, with REDIS_URL, on Redis.
on_sockets = pytest.mark.usefixtures("channel_layer", "close_thread_connections")

FACT = ROUTER_SCENARIO["customer_persona"]["facts"][0]["answer"]


def agent(content):
    return {"type": "agent.message", "content": content, "client_id": str(uuid.uuid4())}


def replies(session_id) -> dict[str, str]:
    """agent message content -> the content of the customer's reply to it."""
    rows = ChatMessage.objects.filter(session_id=session_id).order_by("seq")
    by_id = {str(m.id): m.content for m in rows if m.role == "agent"}
    return {
        by_id[m.meta["reply_to"]]: m.content
        for m in rows
        if m.role == "customer" and (m.meta or {}).get("reply_to") in by_id
    }


async def opened(chat, cookie):
    communicator = await connect(chat.pk, cookie)
    history = await communicator.receive_json_from(timeout=5)
    assert history["type"] == "history"
    return communicator


@on_sockets
async def test_a_message_refused_as_busy_is_answered_after_the_running_turn(
    chat, trainee_cookie, settings
):
    settings.OFFLINE_ENGINE_PACE = 0.7  # the first reply takes seconds: room for the second
    first = await opened(chat, trainee_cookie)
    second = await opened(chat, trainee_cookie)
    greeting = "Hello Dana, I'm sorry your internet keeps dropping. I'll help you fix it."
    question = "What colour is the light on the front of the router?"

    await first.send_json_to(agent(greeting))
    # The first tab's turn has started (it holds the turn lock) when the second tab sends.
    await frames_until(first, "customer.typing")
    await second.send_json_to(agent(question))

    # The second tab hears `busy` for its own message, then both answers, as every tab does.
    seen_by_second = []
    while sum(f["type"] == "customer.done" for f in seen_by_second) < 2:
        seen_by_second.append(await second.receive_json_from(timeout=10))
    busy = [f for f in seen_by_second if f["type"] == "error"]
    assert [f["code"] for f in busy] == ["busy"]
    seen_by_first = []
    while sum(f["type"] == "customer.done" for f in seen_by_first) < 2:
        seen_by_first.append(await first.receive_json_from(timeout=10))
    done_first = [f["message"] for f in seen_by_first if f["type"] == "customer.done"]
    done_second = [f["message"] for f in seen_by_second if f["type"] == "customer.done"]
    assert done_first == done_second
    # No `customer.cancelled` for a turn that never started: it would hide the typing indicator.
    assert not [f for f in seen_by_first if f["type"] == "customer.cancelled"]

    answered = await database_sync_to_async(replies)(chat.pk)
    assert set(answered) == {greeting, question}
    assert FACT in answered[question]
    assert FACT not in answered[greeting]
    # Nothing is left owed, and the turn lock is free.
    assert await database_sync_to_async(customer_turn_owed)(chat.pk) is None
    assert await database_sync_to_async(cache.get)(_turn_lock_key(chat.pk)) is None
    await first.disconnect()
    await second.disconnect()


@on_sockets
async def test_a_turn_held_elsewhere_is_not_followed_up_by_the_busy_tab(chat, trainee_cookie):
    """The busy tab does not answer by itself: the turn that runs (here: another process that
    holds the lock and never finishes) is the one that follows up."""
    communicator = await opened(chat, trainee_cookie)
    await database_sync_to_async(cache.add)(_turn_lock_key(chat.pk), "other", 30)
    await communicator.send_json_to(agent("Are you there?"))
    frames = [await communicator.receive_json_from(timeout=5) for _ in range(2)]
    assert [f["type"] for f in frames] == ["message", "error"]
    assert await communicator.receive_nothing(timeout=0.5)
    await database_sync_to_async(cache.delete)(_turn_lock_key(chat.pk))
    await communicator.disconnect()


def test_the_engine_reads_a_late_message_after_the_reply_it_did_not_see(chat):
    """Seq order is storage order: B (stored while A was being answered) comes before A's reply.
    The customer never saw B, so the next turn's transcript puts it after that reply."""
    opening = chat.messages.get()
    a = message_post_agent(session=chat, content="Hello Dana.").message
    b = message_post_agent(session=chat, content="What colour is the light?").message
    reply = ChatMessage.objects.create(
        session=chat, seq=4, role="customer", content="Hi.", meta={"reply_to": str(a.id)}
    )
    rows = [
        (m.id, m.seq, m.role, (m.meta or {}).get("reply_to"), m.content)
        for m in (opening, a, b, reply)
    ]
    assert [t.content for t in conversation_order(rows)] == [
        opening.content,
        "Hello Dana.",
        "Hi.",
        "What colour is the light?",
    ]
    # The rubric reads the same order: B counts as asked after the reply, not before it.
    scored = transcript_for_session(session=chat)
    assert [m.content for m in scored.messages] == [
        opening.content,
        "Hello Dana.",
        "Hi.",
        "What colour is the light?",
    ]

    lock, context, message = customer_turn_owed(chat.pk)
    try:
        assert message == b
        assert context.transcript[-1] == Turn(role="agent", content="What colour is the light?")
        assert context.seq == 4
        # While it is held, nobody else gets the turn.
        assert customer_turn_owed(chat.pk) is None
    finally:
        lock.release()


def test_nothing_is_owed_when_the_customer_has_the_last_word(chat):
    assert customer_turn_owed(chat.pk) is None
    assert cache.get(_turn_lock_key(chat.pk)) is None
