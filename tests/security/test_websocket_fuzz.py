"""Issue 10 §4: the chat socket under random and hostile frames (hypothesis).

Random JSON of every shape, binary frames, arrays, deep nesting, huge strings, wrong types,
unknown types, NUL bytes and lone surrogates go to the real consumer through the real ASGI
stack. Every frame gets one `error` frame back, the socket stays open, nothing is stored and
the customer engine never runs (no `customer.typing`, no customer message).
"""

from __future__ import annotations

import json
import uuid

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from sessions_app.models import ChatMessage
from sessions_app.services import session_start
from tests.factories import ScenarioFactory, UserFactory
from tests.sessions_app.conftest import connect, cookie_for

pytestmark = pytest.mark.django_db(transaction=True)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)
hostile_text = st.one_of(
    st.text(max_size=30),
    st.just(""),
    st.just("   \n\t "),
    st.just("x" * 4001),
    st.just("a" * 100_000),
    st.text(max_size=20).map(lambda t: f"hi \x00 {t}"),
    st.just("broken \ud800 unicode"),
    st.just("\udfff"),
)
wrong_types = st.one_of(
    st.none(), st.integers(), st.floats(allow_nan=False), st.booleans(), st.lists(st.integers())
)
agent_frames = st.fixed_dictionaries(
    {"type": st.just("agent.message")},
    optional={
        "content": st.one_of(hostile_text, wrong_types, json_values),
        "client_id": st.one_of(st.text(max_size=40), wrong_types, st.just("\x00" * 36)),
    },
)
unknown_type_frames = st.fixed_dictionaries(
    {"type": st.one_of(st.text(max_size=30), wrong_types, st.just("x" * 50_000))},
    optional={"content": json_values},
).filter(lambda f: f["type"] not in ("agent.message", "session.end", "ping", "hint.request"))

# What goes on the wire: ("text", str) or ("bytes", bytes).
frames = st.one_of(
    json_values.map(lambda v: ("text", json.dumps(v))),
    agent_frames.map(lambda f: ("text", json.dumps(f))),
    unknown_type_frames.map(lambda f: ("text", json.dumps(f))),
    st.binary(max_size=200).map(lambda b: ("bytes", b)),
    st.text(max_size=200).map(lambda t: ("text", t)),  # mostly not JSON at all
    st.integers(min_value=1, max_value=50_000).map(lambda n: ("text", "[" * n + "]" * n)),
    st.integers(min_value=1, max_value=50_000).map(lambda n: ("text", '{"a":' * n + "1" + "}" * n)),
    st.just(("text", json.dumps({"type": "agent.message", "content": "\ud800"}))),
    st.just(("text", '{"type": "agent.message", "content": "\\u0000"}')),
)


def _is_valid_message(kind: str, data) -> bool:
    """A frame the consumer should accept and answer: the fuzzer must not produce one."""
    if kind != "text":
        return False
    try:
        frame = json.loads(data)
    except (ValueError, RecursionError):
        return False
    if not isinstance(frame, dict) or frame.get("type") != "agent.message":
        return False
    content, client_id = frame.get("content"), frame.get("client_id")
    if not isinstance(content, str) or not content.strip() or len(content) > 4000:
        return False
    if "\x00" in content or any("\ud800" <= c <= "\udfff" for c in content):
        return False
    if client_id in (None, ""):
        return True
    try:
        uuid.UUID(str(client_id))
    except ValueError:
        return False
    return isinstance(client_id, str)


@pytest.fixture
def chat_socket_target(transactional_db):
    user = UserFactory()
    session = session_start(user=user, scenario=ScenarioFactory())
    return session, cookie_for(user)


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(frames, min_size=1, max_size=4))
def test_hostile_frames_get_errors_store_nothing_and_never_reach_the_engine(
    chat_socket_target, batch
):
    session, cookie = chat_socket_target
    batch = [(kind, data) for kind, data in batch if not _is_valid_message(kind, data)]
    settings.CHAT_RATE_LIMIT = "1000/10s"  # the limit is tested elsewhere; here every frame
    before = ChatMessage.objects.filter(session=session).count()

    async def attack():
        communicator = await connect(session.pk, cookie)
        assert (await communicator.receive_json_from(timeout=5))["type"] == "history"
        answers = []
        for kind, data in batch:
            # send_input, not send_to: an empty frame is a frame too.
            key = "bytes" if kind == "bytes" else "text"
            await communicator.send_input({"type": "websocket.receive", key: data})
            answers.append(await communicator.receive_json_from(timeout=5))
        # Still open and answering, and nothing else was sent (no typing, no customer words).
        await communicator.send_json_to({"type": "ping"})
        answers.append(await communicator.receive_json_from(timeout=5))
        assert await communicator.receive_nothing(timeout=0.05)
        await communicator.disconnect()
        return answers

    answers = async_to_sync(attack)()
    *errors, pong = answers
    assert pong == {"type": "pong"}
    for (kind, data), answer in zip(batch, errors, strict=True):
        assert answer["type"] == "error", (kind, data[:80], answer)
        assert isinstance(answer["code"], str)
        assert answer["detail"]
        assert len(json.dumps(answer)) < 2000  # an error never echoes a huge frame back
    assert ChatMessage.objects.filter(session=session).count() == before
