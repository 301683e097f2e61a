"""A chat socket starts each turn from the context its previous turn ended with, instead of
reading the transcript again: it must always equal what a fresh read gives, and be dropped as
soon as another message (another tab, the REST API) was stored in between."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions_app.models import ChatMessage, UserSession
from sessions_app.services import (
    CustomerTurn,
    KnownTranscript,
    _message_counts,
    _reply_and_store,
    _turn_context,
    message_post_agent,
    message_post_agent_for_turn,
    session_start,
)

pytestmark = pytest.mark.django_db

TRANSCRIPT_TABLE = ChatMessage._meta.db_table


def take_turn(session, text, known=None):
    """What the socket does: store the message (with the lock and context), run the engine,
    store the reply. Returns the finished turn."""
    posted, lock = message_post_agent_for_turn(session=session, content=text, known=known)
    assert lock is not None
    try:
        turn = CustomerTurn(session_id=session.pk, reply_to_id=posted.message.pk)
        _reply_and_store(turn, posted.context)
    finally:
        lock.release()
    return turn


def transcript_reads(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if f'FROM "{TRANSCRIPT_TABLE}"' in q["sql"] and '"content"' in q["sql"]
    ]


@pytest.fixture
def chat(user, scenario):
    return session_start(user=user, scenario=scenario)


def test_a_turn_ends_with_the_transcript_a_fresh_read_gives(chat):
    turn = take_turn(chat, "Hello, I am sorry about the router. When did it start?")
    fresh = _turn_context(chat.pk)
    assert turn.next_context == KnownTranscript(seq=fresh.seq, transcript=fresh.transcript)


def test_the_next_turn_starts_from_it_without_reading_the_transcript(chat):
    first = take_turn(chat, "Hello, I am sorry about the router. When did it start?")
    with CaptureQueriesContext(connection) as queries:
        posted, lock = message_post_agent_for_turn(
            session=chat, content="Which light is blinking?", known=first.next_context
        )
    lock.release()
    assert transcript_reads(queries) == []
    assert posted.context == _turn_context(chat.pk)


def test_three_turns_in_a_row_stay_equal_to_a_fresh_read(chat):
    known = None
    for text in ("Hi, sorry to hear that.", "Which light blinks?", "Please hold reset 10 s."):
        turn = take_turn(chat, text, known=known)
        known = turn.next_context
        assert known.transcript == _turn_context(chat.pk).transcript


def test_a_message_stored_in_between_is_read_not_skipped(chat):
    first = take_turn(chat, "Hello, I am sorry about the router. When did it start?")
    # Another tab (no known context) says something first.
    take_turn(chat, "I am the same agent in another tab.")
    with CaptureQueriesContext(connection) as queries:
        posted, lock = message_post_agent_for_turn(
            session=chat, content="Back in the first tab.", known=first.next_context
        )
    lock.release()
    assert transcript_reads(queries)
    contents = [t.content for t in posted.context.transcript]
    assert "I am the same agent in another tab." in contents
    assert posted.context == _turn_context(chat.pk)


def test_state_and_tokens_changed_without_a_message_are_read_from_the_row(chat):
    first = take_turn(chat, "Hello, I am sorry about the router. When did it start?")
    UserSession.objects.filter(pk=chat.pk).update(tokens_used=980, engine_state={"mood": "angry"})
    posted, lock = message_post_agent_for_turn(
        session=chat, content="Which light is blinking?", known=first.next_context
    )
    lock.release()
    assert posted.context.tokens_used == 980
    assert posted.context.state == {"mood": "angry"}
    assert posted.context == _turn_context(chat.pk)


def test_a_message_without_an_answer_in_between_is_read_too(chat):
    first = take_turn(chat, "Hello, I am sorry about the router. When did it start?")
    message_post_agent(session=chat, content="Sent from the API, never answered.")
    posted, lock = message_post_agent_for_turn(
        session=chat, content="And one more.", known=first.next_context
    )
    lock.release()
    assert posted.context == _turn_context(chat.pk)


def test_message_counts_agree_with_the_orm(chat):
    """`_message_counts` is hand-written SQL: it must say what Django's aggregate says."""
    from django.db.models import Count, Max, Q

    take_turn(chat, "Hello, I am sorry about the router. When did it start?")
    client_id = uuid.uuid4()
    message_post_agent(session=chat, content="With a client id.", client_id=client_id)
    expected = chat.messages.aggregate(
        highest=Max("seq"),
        turns=Count("pk", filter=Q(role="agent")),
        resent=Count("pk", filter=Q(client_id=client_id)),
    )
    assert _message_counts(chat.pk, client_id) == (expected["highest"], expected["turns"], True)
    assert _message_counts(chat.pk, uuid.uuid4()).resent is False
    assert _message_counts(chat.pk).highest == expected["highest"]
    assert _message_counts(uuid.uuid4()) == (0, 0, False)
