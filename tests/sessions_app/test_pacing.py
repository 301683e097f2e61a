"""The customer's typing pace (sessions_app/pacing.py), on a fake clock."""

import asyncio
import time
import uuid

import pytest

from sessions_app.pacing import (
    CHARS_PER_SECOND,
    READ_BASE,
    READ_MAX,
    READ_PER_CHAR,
    Pacing,
    paced,
    pacing_for,
    verbosity_of,
)
from sessions_app.services import _turn_context, message_post_agent, session_start
from tests.factories import ScenarioFactory, UserFactory
from tests.sessions_app.conftest import connect, frames_until


class FakeTime:
    """A clock that only moves when something sleeps, or when a slow source takes time."""

    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def run(stream, pacing, fake) -> list[tuple[str, float]]:
    async def collect():
        return [
            (delta, fake.now)
            async for delta in paced(stream, pacing, clock=fake.clock, sleep=fake.sleep)
        ]

    return asyncio.run(collect())


@pytest.mark.parametrize(
    ("verbosity", "expected"),
    [
        ("short", "short"),
        ("Terse, clipped", "short"),
        ("long-winded", "long"),
        ("verbose", "long"),
        ("", "normal"),
        ("medium", "normal"),
    ],
)
def test_verbosity_reads_the_personas_own_words(verbosity, expected):
    assert verbosity_of({"communication_style": {"verbosity": verbosity}}) == expected


def test_no_communication_style_is_normal():
    assert verbosity_of({}) == "normal"


def test_the_pause_to_read_grows_with_the_message_and_is_capped():
    persona = {"communication_style": {"verbosity": "short"}}
    short = pacing_for(persona=persona, agent_text="Hi!", enabled=True)
    assert short.read_seconds == pytest.approx(READ_BASE + 3 * READ_PER_CHAR)
    assert short.chars_per_second == CHARS_PER_SECOND["short"]
    essay = pacing_for(persona=persona, agent_text="x" * 5000, enabled=True)
    assert essay.read_seconds == READ_MAX


def test_a_reply_takes_the_reading_pause_then_the_typing_time():
    fake = FakeTime()
    pacing = Pacing(read_seconds=1.0, chars_per_second=10.0)
    out = run(["Hello ", "there."], pacing, fake)
    assert [delta for delta, _ in out] == ["Hello ", "there."]
    # "Hello " (6 chars) is out at 1.0 + 0.6; "there." at 1.6 + 0.6.
    assert [at for _, at in out] == pytest.approx([1.6, 2.2])


def test_a_slow_source_is_not_slowed_further():
    fake = FakeTime()

    async def slow_model():
        for token in ("Sure", ", ", "one", " moment"):
            fake.now += 5.0  # each token takes longer than typing it would
            yield token

    out = run(slow_model(), Pacing(read_seconds=1.0, chars_per_second=10.0), fake)
    assert len(out) == 4
    assert fake.sleeps == []


def test_off_adds_no_time():
    fake = FakeTime()
    out = run(["a", "b", "c"], pacing_for(persona={}, agent_text="hi", enabled=False), fake)
    assert [delta for delta, _ in out] == ["a", "b", "c"]
    assert fake.sleeps == []
    assert fake.now == 0.0


# --- wired into a chat turn ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("site", "trainee", "expected"),
    [(True, True, True), (True, False, False), (False, True, False)],
)
def test_a_turn_is_paced_unless_the_site_or_the_trainee_turned_it_off(
    settings, site, trainee, expected
):
    settings.CUSTOMER_PACING = site
    user = UserFactory(paced_replies=trainee)
    session = session_start(user=user, scenario=ScenarioFactory())
    text = "Hello, what is the light on the router doing?"
    message_post_agent(session=session, content=text)
    context = _turn_context(session.pk)
    assert context.paced is expected
    pacing = context.pacing
    assert pacing.enabled is expected
    if expected:  # it read the trainee's latest message, not the customer's opening
        assert pacing.read_seconds == pytest.approx(READ_BASE + len(text) * READ_PER_CHAR)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("channel_layer", "close_thread_connections")
async def test_the_first_word_waits_for_the_reading_pause(chat, trainee_cookie, settings):
    """A lower bound only: the customer never answers before a person could have read."""
    settings.CUSTOMER_PACING = True
    communicator = await connect(chat.pk, trainee_cookie)
    await communicator.receive_json_from(timeout=5)  # history
    text = "Hello Dana, could you tell me what the light on the front of the router is doing?"
    started = time.monotonic()
    await communicator.send_json_to(
        {"type": "agent.message", "content": text, "client_id": str(uuid.uuid4())}
    )
    await frames_until(communicator, "customer.delta", timeout=10)
    assert time.monotonic() - started >= READ_BASE + len(text) * READ_PER_CHAR
    await communicator.disconnect()
