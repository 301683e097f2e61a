"""Session services: storing the agent's words first, the customer's turn, ending, expiring."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.utils import timezone

from sessions_app.exceptions import (
    EngineBusy,
    MessageEmpty,
    MessageInvalid,
    MessageTooLong,
    SessionNotActive,
    TooManyActiveSessions,
    TurnLimitReached,
)
from sessions_app.models import ChatMessage, SessionStatus, UserSession
from sessions_app.services import (
    _turn_lock_key,
    customer_reply,
    message_post_agent,
    session_end,
    session_start,
)
from sessions_app.tasks import expire_idle_sessions
from tests.factories import ScenarioFactory, UserSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(user, scenario):
    return session_start(user=user, scenario=scenario)


def test_starting_stores_the_customers_opening_message(live):
    [opening] = live.messages.all()
    assert (opening.seq, opening.role) == (1, "customer")
    assert opening.content == live.scenario_snapshot["ticket_template"]["description"]
    assert live.engine == "offline"
    assert live.engine_state["mood"]


def test_the_agents_message_is_stored_once_per_client_id(live):
    client_id = uuid.uuid4()
    first = message_post_agent(session=live, content="  Hello there  ", client_id=client_id)
    again = message_post_agent(session=live, content="Hello there", client_id=str(client_id))
    assert first.created
    assert not again.created
    assert again.message.pk == first.message.pk
    assert first.message.content == "Hello there"
    assert first.message.seq == 2
    assert live.messages.filter(role="agent").count() == 1


def test_a_resent_message_comes_back_with_the_stored_reply(live):
    posted = message_post_agent(session=live, content="Is the light on?", client_id=uuid.uuid4())
    turn = customer_reply(session=live, reply_to=posted.message)
    again = message_post_agent(session=live, content="x", client_id=posted.message.client_id)
    assert again.reply == turn.message
    assert turn.message.meta["reply_to"] == str(posted.message.pk)


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("x" * 4001, MessageTooLong),
        ("", MessageEmpty),
        (" \n\t ", MessageEmpty),
        (None, MessageInvalid),
        (["list"], MessageInvalid),
    ],
)
def test_invalid_messages_are_refused_and_nothing_is_stored(live, content, error):
    with pytest.raises(error):
        message_post_agent(session=live, content=content)
    assert live.messages.count() == 1


def test_4000_characters_is_the_limit_not_more(live):
    assert message_post_agent(session=live, content="y" * 4000).created


def test_a_bad_client_id_is_refused(live):
    with pytest.raises(MessageInvalid):
        message_post_agent(session=live, content="hi", client_id="nope")


def test_messages_to_a_session_that_is_not_active_are_refused(live):
    session_end(session=live, by=live.user)
    with pytest.raises(SessionNotActive):
        message_post_agent(session=live, content="hello?")


def test_the_turn_limit_is_enforced(live, settings):
    settings.CHAT_MAX_TURNS = 2
    message_post_agent(session=live, content="one")
    message_post_agent(session=live, content="two")
    with pytest.raises(TurnLimitReached):
        message_post_agent(session=live, content="three")


def test_the_customer_reply_is_stored_whole_with_state_and_activity(live):
    before = live.last_activity_at
    posted = message_post_agent(session=live, content="What colour is the light?")
    turn = customer_reply(session=live, reply_to=posted.message)
    live.refresh_from_db()
    assert turn.message.seq == 3
    assert turn.message.pk == turn.message_id
    assert "blinking orange" in turn.message.content
    assert live.engine_state["revealed"] == ["light_colour"]
    assert live.last_activity_at > before
    assert not turn.status_changed


def test_one_customer_turn_at_a_time(live):
    posted = message_post_agent(session=live, content="hello")
    cache.add(_turn_lock_key(live.pk), "someone-else", 30)
    with pytest.raises(EngineBusy):
        customer_reply(session=live, reply_to=posted.message)
    assert live.messages.count() == 2  # the agent's message stays


def test_resolution_keeps_the_session_active(live):
    posted = message_post_agent(session=live, content="Hold the reset button for 10 seconds")
    turn = customer_reply(session=live, reply_to=posted.message)
    live.refresh_from_db()
    assert turn.status_changed
    assert (live.status, live.outcome) == ("active", "resolved")


def test_ending_moves_to_scoring_and_enqueues_scoring_after_commit(
    live, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ended = session_end(session=live, by=live.user)
    assert (ended.status, ended.outcome) == ("scoring", "ended")
    assert ended.ended_at is not None
    assert callbacks  # scoring enqueued only once the transaction committed
    live.refresh_from_db()
    assert live.status == SessionStatus.SCORED  # the eager task ran the real scorer
    assert live.score is not None


def test_ending_keeps_an_earlier_outcome_and_is_idempotent(live):
    UserSession.objects.filter(pk=live.pk).update(outcome="resolved")
    ended = session_end(session=live, by=live.user)
    assert ended.outcome == "resolved"
    again = session_end(session=live, by=live.user, outcome="ended")
    assert (again.status, again.outcome, again.ended_at) == (
        ended.status,
        ended.outcome,
        ended.ended_at,
    )


def test_an_abandoned_session_cannot_be_ended():
    session = UserSessionFactory(status=SessionStatus.ABANDONED)
    with pytest.raises(SessionNotActive):
        session_end(session=session, by=None)


def test_idle_sessions_are_ended_by_the_periodic_task(user, settings):
    settings.SESSION_IDLE_MINUTES = 30
    idle = UserSessionFactory(user=user, last_activity_at=timezone.now() - timedelta(minutes=31))
    busy = UserSessionFactory(user=user, last_activity_at=timezone.now() - timedelta(minutes=5))
    assert expire_idle_sessions() == 1
    idle.refresh_from_db()
    busy.refresh_from_db()
    assert idle.status == SessionStatus.SCORING
    assert idle.outcome == "ended"
    assert busy.status == SessionStatus.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_get_distinct_consecutive_seq_numbers(user):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every write; the race needs PostgreSQL (DATABASE_URL).")
    scenario = ScenarioFactory()
    session = session_start(user=user, scenario=scenario)
    client_ids = [uuid.uuid4() for _ in range(8)]
    barrier = threading.Barrier(len(client_ids) + 4)
    errors = []

    def send(client_id):
        try:
            barrier.wait()
            message_post_agent(session=session, content=f"msg {client_id}", client_id=client_id)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    # Twelve threads: eight distinct messages, four resends of the first one.
    threads = [threading.Thread(target=send, args=(cid,)) for cid in client_ids]
    threads += [threading.Thread(target=send, args=(client_ids[0],)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = list(
        ChatMessage.objects.filter(session=session).order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, 10))


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_by_one_trainee_never_exceed_the_active_session_cap(user, settings):
    """Issue 17 §2: twenty starts at once opened 8-15 sessions against a cap of 5, because
    each counted the active sessions before any of them had created one."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every write; the race needs PostgreSQL (DATABASE_URL).")
    settings.CHAT_MAX_ACTIVE_SESSIONS = 5
    scenario = ScenarioFactory()
    attempts = 20
    barrier = threading.Barrier(attempts)
    started, refused, errors = [], [], []

    def start():
        try:
            barrier.wait(timeout=10)
            started.append(session_start(user=user, scenario=scenario).pk)
        except TooManyActiveSessions:
            refused.append(True)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    active = UserSession.objects.filter(user=user, status=SessionStatus.ACTIVE)
    assert (len(started), len(refused)) == (5, 15)
    assert active.count() == 5
