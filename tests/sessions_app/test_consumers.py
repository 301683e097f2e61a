"""The chat socket through the real ASGI application (origin check, auth middleware, routing),
on the in-memory channel layer and, with REDIS_URL, on Redis."""

import asyncio
import json
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.core.cache import cache

from core.groups import session_group
from sessions_app.consumers import INBOX_LIMIT
from sessions_app.models import ChatMessage, SessionStatus, UserSession
from sessions_app.services import _turn_lock_key, session_start
from tests.factories import ScenarioFactory, scenario_document
from tests.faults import database_refusing_agent_messages
from tests.sessions_app.conftest import connect, cookie_for, drain, frames_until, types

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("channel_layer", "close_thread_connections"),
]


def stored(session_id) -> list[tuple[int, str, str]]:
    return list(
        ChatMessage.objects.filter(session_id=session_id)
        .order_by("seq")
        .values_list("seq", "role", "content")
    )


astored = database_sync_to_async(stored)


async def refused_with(communicator) -> int:
    output = await communicator.receive_output(timeout=5)
    assert output["type"] == "websocket.close"
    return output["code"]


async def opened(chat, cookie):
    communicator = await connect(chat.pk, cookie)
    history = await communicator.receive_json_from(timeout=5)
    assert history["type"] == "history"
    return communicator, history


def agent(content, client_id=None):
    return {
        "type": "agent.message",
        "content": content,
        "client_id": client_id or str(uuid.uuid4()),
    }


# --- who may connect -------------------------------------------------------------------------


async def test_anonymous_visitors_are_closed_with_4401(chat):
    communicator = await connect(chat.pk, cookie=None)
    assert await refused_with(communicator) == 4401


async def test_a_stranger_and_an_unknown_session_are_closed_with_4404(chat, stranger):
    cookie = await database_sync_to_async(cookie_for)(stranger)
    communicator = await connect(chat.pk, cookie)
    assert await refused_with(communicator) == 4404
    communicator = await connect(uuid.uuid4(), cookie)
    assert await refused_with(communicator) == 4404


async def test_another_origin_is_refused(chat, trainee_cookie):
    from channels.testing.websocket import WebsocketCommunicator

    from config.asgi import application

    communicator = WebsocketCommunicator(
        application,
        f"/ws/sessions/{chat.pk}/",
        headers=[
            (b"host", b"testserver"),
            (b"origin", b"https://evil.example"),
            (b"cookie", trainee_cookie),
        ],
    )
    connected, _ = await communicator.connect(timeout=5)
    assert not connected


async def test_a_script_without_an_origin_header_may_connect_with_its_session_cookie(
    chat, trainee_cookie
):
    """Browsers always send Origin (so hijacking is refused above); scripts may omit it."""
    communicator = await connect(chat.pk, trainee_cookie, origin=None)
    history = await communicator.receive_json_from(timeout=5)
    assert history["type"] == "history"
    await communicator.disconnect()


async def test_a_script_without_origin_or_cookie_is_still_not_logged_in(chat):
    communicator = await connect(chat.pk, cookie=None, origin=None)
    assert await refused_with(communicator) == 4401


# --- the conversation ---------------------------------------------------------------------------


async def test_history_comes_first_with_status_outcome_and_mood(chat, trainee_cookie):
    communicator, history = await opened(chat, trainee_cookie)
    assert history["status"] == "active"
    assert history["outcome"] == ""
    assert history["mood"] in {"calm", "uneasy", "frustrated", "angry"}
    assert history["customer_typing"] is False
    [opening] = history["messages"]
    assert set(opening) == {"id", "seq", "role", "content", "created_at", "client_id"}
    assert opening["role"] == "customer"
    assert opening["seq"] == 1
    assert opening["content"] == "My internet keeps cutting out every few minutes. Fix it."
    await communicator.disconnect()


async def test_an_agent_message_is_echoed_then_the_reply_streams_then_is_stored(
    chat, trainee_cookie
):
    communicator, _ = await opened(chat, trainee_cookie)
    client_id = str(uuid.uuid4())
    await communicator.send_json_to(agent("Hi! Is the light on the router blinking?", client_id))
    frames = await frames_until(communicator, "customer.done")

    assert types(frames)[:2] == ["message", "customer.typing"]
    echo = frames[0]["message"]
    assert echo["role"] == "agent"
    assert echo["client_id"] == client_id
    assert echo["seq"] == 2
    deltas = [f for f in frames if f["type"] == "customer.delta"]
    assert len(deltas) > 1
    done = frames[-1]["message"]
    assert {d["message_id"] for d in deltas} == {done["id"]}
    assert "".join(d["delta"] for d in deltas) == done["content"]
    assert "blinking orange" in done["content"]
    assert done["role"] == "customer"
    assert done["seq"] == 3

    assert await astored(chat.pk) == [
        (1, "customer", "My internet keeps cutting out every few minutes. Fix it."),
        (2, "agent", "Hi! Is the light on the router blinking?"),
        (3, "customer", done["content"]),
    ]
    assert await drain(communicator) == []
    await communicator.disconnect()


async def test_resolving_keeps_the_session_active_for_a_polite_close(chat, trainee_cookie):
    communicator, _ = await opened(chat, trainee_cookie)
    await communicator.send_json_to(agent("Hold the reset button for 10 seconds."))
    frames = await frames_until(communicator, "session.status")
    assert frames[-2]["message"]["content"] == "Oh, it's back up. Thanks!"
    assert frames[-1]["status"] == "active"
    assert frames[-1]["outcome"] == "resolved"

    await communicator.send_json_to(agent("Glad to help, goodbye!"))
    frames = await frames_until(communicator, "customer.done")
    assert "session.status" not in types(frames)
    session = await database_sync_to_async(UserSession.objects.get)(pk=chat.pk)
    assert (session.status, session.outcome) == ("active", "resolved")
    await communicator.disconnect()


async def test_escalation_ends_the_session_and_starts_scoring(trainee, trainee_cookie):
    def start():
        document = scenario_document()
        scenario = ScenarioFactory(
            slug="impatient",
            customer_persona={**document["customer_persona"], "personality": {"patience": 1}},
        )
        return session_start(user=trainee, scenario=scenario)

    chat = await database_sync_to_async(start)()
    communicator, _ = await opened(chat, trainee_cookie)
    await communicator.send_json_to(agent("Calm down. It is not my problem."))
    frames = await frames_until(communicator, "session.status")
    # The scenario's own line, which asks for a manager already: said once, not followed by
    # the tone's "get me someone else" as well.
    last_words = frames[-2]["message"]["content"]
    assert last_words.endswith("This isn't helping. I want to speak to a manager.")
    assert "someone else" not in last_words
    assert frames[-1]["status"] in ("scoring", "scored")
    assert frames[-1]["outcome"] == "escalated"

    await communicator.send_json_to(agent("Wait, please come back"))
    # (The scorer may announce `scored` in between; only the error matters here.)
    errors = [f for f in await drain(communicator) if f["type"] == "error"]
    assert [e["code"] for e in errors] == ["session_not_active"]
    await communicator.disconnect()


async def test_session_end_moves_to_scoring_and_tells_every_tab(chat, trainee_cookie):
    first, _ = await opened(chat, trainee_cookie)
    second, _ = await opened(chat, trainee_cookie)
    await first.send_json_to({"type": "session.end"})
    status = await frames_until(first, "session.status")
    assert status[-1]["status"] in ("scoring", "scored")
    assert status[-1]["outcome"] == "ended"
    other = await frames_until(second, "session.status")
    assert other[-1]["status"] in ("scoring", "scored")

    session = await database_sync_to_async(UserSession.objects.get)(pk=chat.pk)
    assert session.status in (SessionStatus.SCORING, SessionStatus.SCORED)
    assert session.ended_at is not None
    # Ending twice is harmless.
    await first.send_json_to({"type": "session.end"})
    again = await frames_until(first, "session.status")
    assert again[-1]["outcome"] == "ended"
    await first.disconnect()
    await second.disconnect()


async def test_two_tabs_both_see_every_message(chat, trainee_cookie):
    sender, _ = await opened(chat, trainee_cookie)
    watcher, _ = await opened(chat, trainee_cookie)
    await sender.send_json_to(agent("Hello, what colour is the light?"))
    sent = await frames_until(sender, "customer.done")
    seen = await frames_until(watcher, "customer.done")

    assert types(seen)[:2] == ["message", "customer.typing"]
    assert seen[0]["message"] == sent[0]["message"]
    assert seen[-1]["message"] == sent[-1]["message"]
    # The watcher gets the reply in coalesced chunks (or none), never more frames than tokens.
    watcher_deltas = [f for f in seen if f["type"] == "customer.delta"]
    sender_deltas = [f for f in sent if f["type"] == "customer.delta"]
    assert len(watcher_deltas) <= len(sender_deltas)
    if watcher_deltas:
        assert "".join(f["delta"] for f in watcher_deltas) == sent[-1]["message"]["content"]

    # And the other way round.
    await watcher.send_json_to(agent("Thanks. Please hold the reset button for ten seconds."))
    back = await frames_until(sender, "customer.done")
    assert back[0]["message"]["role"] == "agent"
    assert back[-1]["message"]["content"] == "Oh, it's back up. Thanks!"
    await frames_until(watcher, "customer.done")
    await sender.disconnect()
    await watcher.disconnect()


async def test_a_reconnect_resending_the_same_client_id_stores_and_answers_nothing_twice(
    chat, trainee_cookie
):
    client_id = str(uuid.uuid4())
    first, _ = await opened(chat, trainee_cookie)
    await first.send_json_to(agent("Is the LED blinking?", client_id))
    original = await frames_until(first, "customer.done")
    await first.disconnect()

    second, history = await opened(chat, trainee_cookie)
    assert [m["id"] for m in history["messages"]][1:] == [
        original[0]["message"]["id"],
        original[-1]["message"]["id"],
    ]
    await second.send_json_to(agent("Is the LED blinking?", client_id))
    resent = await drain(second)
    assert types(resent) == ["message", "message"]
    assert resent[0]["message"] == original[0]["message"]
    assert resent[1]["message"] == original[-1]["message"]
    assert len(await astored(chat.pk)) == 3
    await second.disconnect()


async def test_a_second_sender_while_the_customer_answers_gets_busy_but_is_stored(
    chat, trainee_cookie
):
    communicator, _ = await opened(chat, trainee_cookie)
    # Another process holds this session's turn.
    await database_sync_to_async(cache.add)(_turn_lock_key(chat.pk), "other", 30)
    late_tab, history = await opened(chat, trainee_cookie)
    assert history["customer_typing"] is True
    await late_tab.disconnect()
    await communicator.send_json_to(agent("Are you there?"))
    frames = await drain(communicator)
    assert types(frames) == ["message", "error"]
    assert frames[1]["code"] == "busy"
    assert (await astored(chat.pk))[-1] == (2, "agent", "Are you there?")

    await database_sync_to_async(cache.delete)(_turn_lock_key(chat.pk))
    await communicator.send_json_to(agent("What colour is the light?"))
    frames = await frames_until(communicator, "customer.done")
    assert "blinking orange" in frames[-1]["message"]["content"]
    await communicator.disconnect()


async def test_events_for_the_session_group_reach_the_socket_as_is(chat, trainee_cookie):
    communicator, _ = await opened(chat, trainee_cookie)
    payload = {"type": "session.status", "status": "scored", "outcome": "ended", "score": 88}
    await get_channel_layer().group_send(
        session_group(chat.pk), {"type": "session.event", "payload": payload}
    )
    assert await communicator.receive_json_from(timeout=5) == payload
    # An event type nobody handles is ignored, not fatal.
    await get_channel_layer().group_send(session_group(chat.pk), {"type": "mystery.event"})
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    await communicator.disconnect()


# --- bad frames: an error, and the connection stays open ------------------------------------


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "bad_json"),
        (b"\x00\x01binary", "invalid_frame"),
        ("[1, 2, 3]", "invalid_frame"),
        ('"a string"', "invalid_frame"),
        ({"type": "dance"}, "unknown_type"),
        ({"content": "no type"}, "unknown_type"),
        ({"type": 5}, "unknown_type"),
        ({"type": "agent.message"}, "invalid_message"),
        ({"type": "agent.message", "content": 42}, "invalid_message"),
        ({"type": "agent.message", "content": "hi", "client_id": 7}, "invalid_message"),
        ({"type": "agent.message", "content": "hi", "client_id": "not-a-uuid"}, "invalid_message"),
        ({"type": "agent.message", "content": "   "}, "empty"),
        ({"type": "agent.message", "content": "x" * 4001}, "too_long"),
    ],
)
async def test_every_bad_frame_gets_an_error_and_the_socket_stays_usable(
    chat, trainee_cookie, frame, code
):
    communicator, _ = await opened(chat, trainee_cookie)
    if isinstance(frame, bytes):
        await communicator.send_to(bytes_data=frame)
    elif isinstance(frame, str):
        await communicator.send_to(text_data=frame)
    else:
        await communicator.send_to(text_data=json.dumps(frame))
    error = await communicator.receive_json_from(timeout=5)
    assert error["type"] == "error"
    assert error["code"] == code
    assert error["detail"]
    assert len(await astored(chat.pk)) == 1  # nothing stored

    await communicator.send_json_to(agent("Still there? What colour is the light?"))
    frames = await frames_until(communicator, "customer.done")
    assert frames[0]["type"] == "message"
    await communicator.disconnect()


async def test_a_database_error_storing_a_message_is_reported_with_its_client_id(
    chat, trainee_cookie
):
    """Issue 17 §4: the `server_error` frame had no client_id, so the page could not tell which
    message failed and left it pending for ever. With the id it marks it failed, and resending
    the same client_id once the database is back stores it once and gets it answered."""
    communicator, _ = await opened(chat, trainee_cookie)
    client_id = str(uuid.uuid4())
    refusing = database_refusing_agent_messages()
    await database_sync_to_async(refusing.__enter__)()
    try:
        await communicator.send_json_to(agent("Is the light blinking?", client_id))
        [error] = await drain(communicator)
    finally:
        await database_sync_to_async(refusing.__exit__)(None, None, None)

    assert error["type"] == "error"
    assert error["code"] == "server_error"
    assert error["client_id"] == client_id
    assert "space" not in error["detail"]  # the database's words stay in the log
    assert [role for _, role, _ in await astored(chat.pk)] == ["customer"]

    await communicator.send_json_to(agent("Is the light blinking?", client_id))
    frames = await frames_until(communicator, "customer.done")
    assert frames[0]["message"]["client_id"] == client_id
    assert [role for _, role, _ in await astored(chat.pk)] == ["customer", "agent", "customer"]
    await communicator.disconnect()


async def test_exactly_4000_characters_is_accepted(chat, trainee_cookie):
    communicator, _ = await opened(chat, trainee_cookie)
    await communicator.send_json_to(agent("a" * 3990 + " light?..."))
    frames = await frames_until(communicator, "customer.done")
    assert len(frames[0]["message"]["content"]) == 4000
    await communicator.disconnect()


async def test_sending_too_fast_is_refused_per_connection(chat, trainee_cookie, settings):
    settings.CHAT_RATE_LIMIT = "2/10s"
    communicator, _ = await opened(chat, trainee_cookie)
    for text in ("one", "two"):
        await communicator.send_json_to(agent(text))
        await frames_until(communicator, "customer.done")
    await communicator.send_json_to(agent("three"))
    error = await communicator.receive_json_from(timeout=5)
    assert (error["type"], error["code"]) == ("error", "rate_limited")
    assert [row[2] for row in await astored(chat.pk)][-1] != "three"
    # A fresh connection has its own allowance.
    await communicator.disconnect()
    other, _ = await opened(chat, trainee_cookie)
    await other.send_json_to(agent("three"))
    assert (await frames_until(other, "customer.done"))[0]["message"]["content"] == "three"
    await other.disconnect()


async def test_messages_to_an_ended_session_are_refused(chat, trainee_cookie):
    await database_sync_to_async(UserSession.objects.filter(pk=chat.pk).update)(
        status=SessionStatus.SCORED
    )
    communicator, history = await opened(chat, trainee_cookie)
    assert history["status"] == "scored"
    await communicator.send_json_to(agent("hello?"))
    error = await communicator.receive_json_from(timeout=5)
    assert (error["type"], error["code"]) == ("error", "session_not_active")
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from(timeout=5))["type"] == "pong"
    await communicator.disconnect()


# --- a reply being written does not block the socket -----------------------------------------


async def test_pings_are_answered_while_the_customer_is_typing(chat, trainee_cookie, settings):
    settings.OFFLINE_ENGINE_PACE = 0.05  # a reply of ~10 deltas takes half a second
    communicator, _ = await opened(chat, trainee_cookie)
    await communicator.send_json_to(agent("Hello, what colour is the light on the router?"))
    frames = await frames_until(communicator, "customer.delta")
    await communicator.send_json_to({"type": "ping"})
    frames = await frames_until(communicator, "pong")
    # The pong overtook the rest of the reply.
    assert "customer.done" not in types(frames)
    frames = await frames_until(communicator, "customer.done")
    assert "blinking orange" in frames[-1]["message"]["content"]
    await communicator.disconnect()


async def test_messages_sent_during_a_reply_are_answered_in_order(chat, trainee_cookie, settings):
    settings.OFFLINE_ENGINE_PACE = 0.02
    communicator, _ = await opened(chat, trainee_cookie)
    await communicator.send_json_to(agent("Hello there."))
    await communicator.send_json_to(agent("What colour is the light?"))
    await communicator.send_json_to({"type": "session.end"})
    frames = await frames_until(communicator, "session.status")
    echoed = [f["message"]["content"] for f in frames if f["type"] == "message"]
    assert echoed == ["Hello there.", "What colour is the light?"]
    assert types(frames).count("customer.done") == 2
    assert frames[-1]["status"] in ("scoring", "scored")
    roles = [role for _, role, _ in await astored(chat.pk)]
    assert roles == ["customer", "agent", "customer", "agent", "customer"]
    await communicator.disconnect()


async def settled(session_id, count: int) -> list[tuple[int, str, str]]:
    """The stored transcript once it has `count` messages (the socket's worker outlives it)."""
    for _ in range(200):
        messages = await astored(session_id)
        if len(messages) >= count:
            return messages
        await asyncio.sleep(0.05)
    return await astored(session_id)


async def test_messages_waiting_when_the_socket_drops_are_still_stored(
    chat, trainee_cookie, settings
):
    settings.OFFLINE_ENGINE_PACE = 0.02
    communicator, _ = await opened(chat, trainee_cookie)
    await communicator.send_json_to(agent("Hello there."))
    await communicator.send_json_to(agent("What colour is the light?"))
    await communicator.disconnect()
    messages = await settled(chat.pk, 4)
    agent_lines = [content for _, role, content in messages if role == "agent"]
    assert agent_lines == ["Hello there.", "What colour is the light?"]


async def test_a_flood_beyond_the_inbox_is_refused_not_queued(chat, trainee_cookie, settings):
    settings.CHAT_RATE_LIMIT = "1000/1s"
    settings.OFFLINE_ENGINE_PACE = 0.2  # the first reply takes ~2 s: the rest must wait
    communicator, _ = await opened(chat, trainee_cookie)
    sent = INBOX_LIMIT + 10
    for index in range(sent):
        await communicator.send_json_to(agent(f"Message {index}"))
    errors = []
    while len(errors) < sent - INBOX_LIMIT - 2:
        frame = await communicator.receive_json_from(timeout=5)
        if frame["type"] == "error":
            errors.append(frame)
    assert {error["code"] for error in errors} == {"rate_limited"}
    await communicator.disconnect()
    # One answered, the rest kept: nothing that was accepted is lost.
    settings.OFFLINE_ENGINE_PACE = 0
    messages = await settled(chat.pk, 2 + INBOX_LIMIT + 1)
    kept = [role for _, role, _ in messages if role == "agent"]
    assert sent - INBOX_LIMIT - 2 <= sent - len(kept) <= sent - INBOX_LIMIT


# --- hints -----------------------------------------------------------------------------------


async def test_a_hint_goes_to_every_tab_and_comes_back_with_the_history(chat, trainee_cookie):
    first, history = await opened(chat, trainee_cookie)
    assert (history["hints"], history["hints_left"]) == ([], 3)
    second, _ = await opened(chat, trainee_cookie)
    await first.send_json_to({"type": "hint.request"})
    frame = await first.receive_json_from(timeout=5)
    assert frame["type"] == "hint"
    assert (frame["hints_used"], frame["hints_left"], frame["xp_cost_percent"]) == (1, 2, 10)
    assert frame["hint"]["kind"] == "greet"
    assert "Dana" in frame["hint"]["text"]
    assert (await second.receive_json_from(timeout=5)) == frame

    # Asked again with nothing said since: the same hint, to the asker only, and no charge.
    await first.send_json_to({"type": "hint.request"})
    assert (await first.receive_json_from(timeout=5)) == frame
    assert await second.receive_nothing(timeout=0.3)
    await first.disconnect()
    await second.disconnect()

    third, history = await opened(chat, trainee_cookie)
    assert history["hints"] == [frame["hint"]]
    assert history["hints_left"] == 2
    await third.disconnect()


async def test_a_hint_on_an_ended_session_is_a_clear_error(chat, trainee_cookie):
    communicator, _ = await opened(chat, trainee_cookie)
    await communicator.send_json_to({"type": "session.end"})
    await frames_until(communicator, "session.status")
    await drain(communicator)
    await communicator.send_json_to({"type": "hint.request"})
    error = await communicator.receive_json_from(timeout=5)
    assert (error["type"], error["code"]) == ("error", "session_not_active")
    assert not await database_sync_to_async(chat.hints.exists)()
    await communicator.disconnect()
