"""Writes for training sessions. Pages, the API, the consumer and tasks all call these.

A chat turn is two steps, so that nothing the trainee typed is ever lost: `message_post_agent`
stores the agent's message (idempotent on `client_id`), then `customer_reply_stream` runs the
customer engine, streams its words and stores the whole reply once at the end. An engine failure
between the two leaves the agent's message stored and the session usable.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from core.cache import CACHE_UNREACHABLE
from core.dbthreads import db_call
from core.errors import ServiceUnavailable
from scenarios.exceptions import ScenarioLocked
from scenarios.models import Scenario
from sessions_app import hints
from sessions_app.assignments import assigned_scenario_ids
from sessions_app.engines import (
    OUTCOME_ESCALATED,
    OUTCOME_RESOLVED,
    EngineError,
    Turn,
    get_engine,
)
from sessions_app.engines.customer import CustomerState, state_after
from sessions_app.exceptions import (
    EngineBusy,
    HintLimitReached,
    MessageEmpty,
    MessageInvalid,
    MessageTooLong,
    SessionNotActive,
    TooManyActiveSessions,
    TurnLimitReached,
)
from sessions_app.models import (
    ChatMessage,
    MessageRole,
    SessionHint,
    SessionOutcome,
    SessionStatus,
    UserSession,
)
from sessions_app.pacing import Pacing, paced, pacing_for
from sessions_app.selectors import conversation_position, missing_prerequisites
from sessions_app.signals import session_ended

logger = logging.getLogger(__name__)

_SURROGATE = re.compile("[\ud800-\udfff]")


def session_start(
    *, user, scenario: Scenario, is_preview: bool = False, engine_name: str | None = None
) -> UserSession:
    """Start an attempt. Staff previews skip the prerequisite lock and never count toward XP.
    `engine_name` picks the customer engine instead of `settings.CUSTOMER_ENGINE`.

    The scenario document is snapshotted so that later edits do not change this attempt, and the
    customer's opening message (seq 1) is written by the engine in the same transaction, so a
    session never exists without it.
    """
    if not (is_preview and user.is_staff):
        is_preview = False
        missing = missing_prerequisites(user=user, scenario=scenario)
        if missing and scenario.pk not in assigned_scenario_ids(user=user):
            raise ScenarioLocked(
                "Complete " + ", ".join(f"“{s.title}”" for s in missing) + " first.",
                missing=[s.slug for s in missing],
            )
    snapshot = scenario.to_document()
    engine = get_engine(engine_name)
    opening = engine.opening(scenario=snapshot)
    with transaction.atomic():
        _serialise_starts(user)
        active = UserSession.objects.filter(user=user, status=SessionStatus.ACTIVE).count()
        if active >= settings.CHAT_MAX_ACTIVE_SESSIONS:
            raise TooManyActiveSessions()
        session = UserSession.objects.create(
            user=user,
            scenario=scenario,
            is_preview=is_preview,
            engine=engine.name,
            engine_state=opening.state,
            scenario_snapshot=snapshot,
        )
        ChatMessage.objects.create(
            session=session, seq=1, role=MessageRole.CUSTOMER, content=opening.text
        )
    return session


def _serialise_starts(user) -> None:
    """One start at a time per trainee, until the transaction ends: otherwise concurrent starts
    all count the sessions before any of them has created one, and all get past the cap (20 at
    once opened up to 15 against a cap of 5). The trainee's row is the lock; `no_key` leaves
    other tables' foreign keys to it (the XP ledger's, for one) unblocked. A no-op on SQLite,
    whose IMMEDIATE transactions already run one writer at a time."""
    get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).exists()


# --- the agent's message -------------------------------------------------------------------


class AgentMessagePosted(NamedTuple):
    """`created` is False for a resent `client_id`; `reply` is then the customer's stored
    answer to it, if there is one (the engine is never run twice for one message).

    `awaiting_reply` is True when the customer still owes this message an answer: it is new,
    or it is a resend of the session's last message whose answer failed (timeout, model
    error, cut stream). The caller runs the customer turn then, so retrying after a failure
    gets exactly one answer without storing the trainee's words twice.
    """

    message: ChatMessage
    created: bool
    reply: ChatMessage | None = None
    awaiting_reply: bool = False
    # With `load_context=True` and a reply owed: what the engine needs, read in the same
    # transaction (see `customer_reply_stream`).
    context: EngineContext | None = None


def customer_reply_to(message: ChatMessage) -> ChatMessage | None:
    return (
        ChatMessage.objects.filter(
            session_id=message.session_id,
            role=MessageRole.CUSTOMER,
            meta__reply_to=str(message.id),
        )
        .order_by("seq")
        .first()
    )


def _validated_content(content) -> str:
    if not isinstance(content, str):
        raise MessageInvalid("A message's content must be text.")
    if "\x00" in content or _SURROGATE.search(content):
        # PostgreSQL cannot store NUL, and a lone surrogate cannot be encoded at all: refuse
        # them here as invalid input rather than fail at the database.
        raise MessageInvalid("A message cannot contain NUL characters or broken Unicode.")
    if len(content) > settings.CHAT_MAX_MESSAGE_CHARS:
        raise MessageTooLong(
            f"Messages are limited to {settings.CHAT_MAX_MESSAGE_CHARS} characters "
            f"(this one has {len(content)}).",
            limit=settings.CHAT_MAX_MESSAGE_CHARS,
        )
    text = content.strip()
    if not text:
        raise MessageEmpty()
    return text


def _validated_client_id(client_id) -> uuid.UUID | None:
    if client_id in (None, ""):
        return None
    if isinstance(client_id, uuid.UUID):
        return client_id
    try:
        return uuid.UUID(str(client_id))
    except (ValueError, TypeError, AttributeError):
        raise MessageInvalid("client_id must be a UUID.") from None


class MessageCounts(NamedTuple):
    highest: int  # the highest seq so far, 0 before the first message
    turns: int  # agent messages
    resent: bool  # whether a message with the given client_id is stored


@functools.cache
def _message_counts_sql(vendor: str) -> str:
    table = connection.ops.quote_name(ChatMessage._meta.db_table)
    column = {f.name: connection.ops.quote_name(f.column) for f in ChatMessage._meta.fields}
    # Only the model's own table and column names go into the text; every value is a parameter.
    return (
        f"SELECT MAX({column['seq']}),"  # nosec B608
        f" COALESCE(SUM(CASE WHEN {column['role']} = %s THEN 1 ELSE 0 END), 0),"
        f" COALESCE(SUM(CASE WHEN {column['client_id']} = %s THEN 1 ELSE 0 END), 0)"
        f" FROM {table} WHERE {column['session']} = %s"
    )


def _message_counts(session_id, client_id: uuid.UUID | None = None) -> MessageCounts:
    """Both writers of a turn ask this under the session's row lock, so no other writer can
    take the next seq. Plain SQL (the same on PostgreSQL and SQLite): Django compiles a
    filtered aggregate afresh on every call, and the two of them were a fifth of a chat turn's
    CPU (`make bench`, cProfile)."""
    meta = ChatMessage._meta
    params = [
        MessageRole.AGENT.value,
        meta.get_field("client_id").get_db_prep_value(client_id, connection),
        meta.get_field("session").get_db_prep_value(session_id, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_message_counts_sql(connection.vendor), params)
        highest, turns, resent = cursor.fetchone()
    return MessageCounts(highest or 0, int(turns), bool(resent))


def message_post_agent(
    *,
    session: UserSession,
    content,
    client_id=None,
    load_context: bool = False,
    known: KnownTranscript | None = None,
) -> AgentMessagePosted:
    """Store the trainee's message before anything else happens.

    Resending a `client_id` (after a reconnect, or a retried POST) returns the stored message
    with `created=False`, even once the session has ended: the trainee's words were kept.

    `load_context=True` (the caller already holds the session's `TurnLock`) also reads the
    engine's context while the row is locked, so the reply can start without another trip to
    the database: the chat socket's path to the first word (`make bench`). `known` is the
    context the caller's previous turn ended with (`CustomerTurn.next_context`): while no
    message was stored since, it stands for the transcript without reading it again.
    """
    client_uuid = _validated_client_id(client_id)
    text = _validated_content(content)
    with transaction.atomic():
        locked = UserSession.objects.select_for_update().get(pk=session.pk)
        # One query for the next seq, the turn count and whether this client_id was stored.
        counts = _message_counts(locked.pk, client_uuid)
        if counts.resent:
            existing = ChatMessage.objects.get(session=locked, client_id=client_uuid)
            return _resent(locked, existing, load_context=load_context)
        if locked.status != SessionStatus.ACTIVE:
            raise SessionNotActive()
        if counts.turns >= settings.CHAT_MAX_TURNS:
            raise TurnLimitReached(limit=settings.CHAT_MAX_TURNS)
        message = ChatMessage(
            session=locked,
            seq=counts.highest + 1,
            role=MessageRole.AGENT,
            content=text,
            client_id=client_uuid,
        )
        if connection.features.has_select_for_update:
            # The row lock serialises every writer of this session's messages: no duplicate
            # can slip in between the count and the insert, and no savepoint is needed.
            message.save(force_insert=True)
        else:
            try:
                with transaction.atomic():
                    message.save(force_insert=True)
            except IntegrityError:
                # Where row locks are advisory (SQLite) another writer may have stored it first.
                existing = ChatMessage.objects.filter(session=locked, client_id=client_uuid).first()
                if existing is None:
                    raise
                return _resent(locked, existing, load_context=load_context)
        UserSession.objects.filter(pk=locked.pk).update(last_activity_at=timezone.now())
        context = None
        if load_context:
            # Messages are only ever added, each with the next seq: an unchanged highest seq
            # means `known`'s transcript is still the whole of it. The engine's state and the
            # tokens used come from the locked row, whoever changed them.
            if known is not None and known.seq == counts.highest:
                said = Turn(role=MessageRole.AGENT.value, content=text)
                transcript = [*known.transcript, said]
                context = _context_of(locked, transcript=transcript, seq=message.seq)
            else:
                context = _context_of(locked)
    return AgentMessagePosted(message, True, None, awaiting_reply=True, context=context)


def message_post_agent_for_turn(
    *, session: UserSession, content, client_id=None, known: KnownTranscript | None = None
) -> tuple[AgentMessagePosted, TurnLock | None]:
    """`message_post_agent` for a caller about to run the customer's turn (the chat socket):
    in one call (one thread hop from async code) take the session's `TurnLock`, store the
    message and read the engine's context. Returns the lock when the caller must answer and
    holds it (release it, or pass it to `customer_reply_stream`); None when there is nothing
    to answer or another turn is running (`customer_reply_stream` then tries again itself).
    """
    lock = TurnLock(session.pk)
    held = lock.acquire()
    try:
        posted = message_post_agent(
            session=session, content=content, client_id=client_id, load_context=held, known=known
        )
    except BaseException:
        if held:
            lock.release()
        raise
    if held and posted.context is None:
        lock.release()
        held = False
    return posted, lock if held else None


def _resent(
    session: UserSession, message: ChatMessage, *, load_context: bool = False
) -> AgentMessagePosted:
    """A message sent again: its stored answer, or — when the answer failed and nothing was
    said since — a request to answer it now. Caller holds the session row lock."""
    reply = customer_reply_to(message)
    awaiting = (
        reply is None
        and session.status == SessionStatus.ACTIVE
        and message.role == MessageRole.AGENT
        and not session.messages.filter(seq__gt=message.seq).exists()
    )
    context = _context_of(session) if awaiting and load_context else None
    return AgentMessagePosted(message, False, reply, awaiting_reply=awaiting, context=context)


# --- the customer's reply ------------------------------------------------------------------


def _turn_lock_key(session_id) -> str:
    return f"sessions:turn-lock:{session_id}"


@contextlib.contextmanager
def _shared_cache_needed():
    """The turn lock lives in the shared cache: without it no turn can start safely, so the
    trainee gets a clear 503 (`unavailable`) before anything is stored."""
    try:
        yield
    except CACHE_UNREACHABLE as error:
        logger.warning("Turn lock unavailable (%s)", type(error).__name__)
        raise ServiceUnavailable(
            "The chat is unavailable for a moment. Your message was not sent: try again shortly."
        ) from error


class TurnLock:
    """One customer turn per session at a time, across tabs and processes: a cache key that
    only its holder deletes, and that expires if the holder's process dies."""

    def __init__(self, session_id):
        self.key = _turn_lock_key(session_id)
        self.token = uuid.uuid4().hex
        self.released = False

    def acquire(self) -> bool:
        with _shared_cache_needed():
            return cache.add(self.key, self.token, timeout=_turn_lock_seconds())

    async def aacquire(self) -> bool:
        with _shared_cache_needed():
            return await cache.aadd(self.key, self.token, timeout=_turn_lock_seconds())

    def release(self) -> None:
        try:
            if not self.released and cache.get(self.key) == self.token:
                cache.delete(self.key)
        except CACHE_UNREACHABLE as error:
            # The key expires by itself (`_turn_lock_seconds`); a restarted Redis has lost it.
            logger.warning("Turn lock not released (%s)", type(error).__name__)
        self.released = True

    async def arelease(self) -> None:
        if not self.released:
            # Django's async cache methods are thread hops too: one hop for both calls.
            await db_call(self.release)()


def customer_turn_running(session_id) -> bool:
    """Whether some process is writing the customer's reply in this session right now (as far
    as anyone can tell: not while the shared cache is down)."""
    try:
        return cache.get(_turn_lock_key(session_id)) is not None
    except CACHE_UNREACHABLE:
        return False


def _turn_lock_seconds() -> int:
    """Long enough for the slowest legitimate turn; a crashed process frees it by expiry."""
    model_worst = settings.OPENAI_TIMEOUT * (settings.OPENAI_MAX_RETRIES + 1) * 2
    return int(max(60, model_worst + 30))


@dataclass
class CustomerTurn:
    """One run of the customer engine. `message_id` is known up front so that streamed
    deltas and the stored message share it; the rest is filled in when the stream ends."""

    session_id: uuid.UUID
    reply_to_id: uuid.UUID | None = None
    message_id: uuid.UUID = field(default_factory=uuid.uuid4)
    message: ChatMessage | None = None
    status: str = SessionStatus.ACTIVE
    outcome: str = ""
    mood: str | None = None
    status_changed: bool = False
    # The engine's context this turn ran with, and the one the next turn can start from
    # (`message_post_agent(known=…)`), set when the reply is stored right after the message.
    context: EngineContext | None = None
    next_context: KnownTranscript | None = None
    # Set once the reply is stored: an agent message was stored that this turn did not see
    # (another tab's, refused with `busy` meanwhile); `customer_turn_owed` picks it up.
    owed: bool = False


@dataclass(frozen=True)
class KnownTranscript:
    """A session's transcript up to message `seq`: what a socket's next turn can start from
    instead of reading the messages again (`message_post_agent(known=…)`)."""

    seq: int
    transcript: list[Turn]


@dataclass(frozen=True)
class EngineContext(KnownTranscript):
    """What the customer engine needs for one turn, read from the session row and messages."""

    engine: str
    scenario: dict
    state: dict
    tokens_used: int
    paced: bool = False  # stream the reply at a person's pace (sessions_app/pacing.py)

    @property
    def pacing(self) -> Pacing:
        agent = [turn.content for turn in self.transcript if turn.role == MessageRole.AGENT]
        persona = self.scenario.get("customer_persona") or {}
        return pacing_for(
            persona=persona, agent_text=agent[-1] if agent else "", enabled=self.paced
        )


def conversation_order(rows) -> list[Turn]:
    """The transcript as the customer lived it, from `(id, seq, role, reply_to, content)` rows
    in seq order: each customer reply right after the message it answered
    (`selectors.conversation_position`)."""
    return [
        Turn(role=row[2], content=row[4]) for row in sorted(rows, key=conversation_position(rows))
    ]


def _turn_context(session_id) -> EngineContext:
    session = UserSession.objects.get(pk=session_id)
    if session.status != SessionStatus.ACTIVE:
        raise SessionNotActive()
    return _context_of(session)


def _context_of(
    session: UserSession, *, transcript: list[Turn] | None = None, seq=None
) -> EngineContext:
    """What the engine needs, from the session row and its messages. A caller that already
    has the transcript up to message `seq` passes both (`message_post_agent(known=…)`)."""
    if transcript is None:
        rows = list(
            session.messages.order_by("seq").values_list(
                "id", "seq", "role", "meta__reply_to", "content"
            )
        )
        transcript = conversation_order(rows)
        seq = rows[-1][1] if rows else 0
    return EngineContext(
        seq=seq,
        transcript=transcript,
        engine=session.engine,
        scenario=session.scenario_document,
        state=session.engine_state or {},
        tokens_used=session.tokens_used,
        paced=_paced(session),
    )


def _paced(session: UserSession) -> bool:
    """Whether this trainee's customer types at a person's pace: on unless switched off for the
    site (tests, benchmarks) or by the trainee. Read only when it can matter."""
    if not settings.CUSTOMER_PACING:
        return False
    users = get_user_model().objects
    return users.filter(pk=session.user_id, paced_replies=True).exists()


def _store_customer_reply(turn: CustomerTurn, result, engine_name: str) -> None:
    """Store the whole reply once and apply the outcome; a session ended meanwhile (the other
    tab pressed End) keeps its transcript as it was scored."""
    with transaction.atomic():
        # Not the scenario snapshot or the old engine state: decoding them is most of the
        # cost of reading the row, and this write replaces the state anyway.
        locked = (
            UserSession.objects.select_for_update()
            .only("id", "status", "outcome", "tokens_used")
            .get(pk=turn.session_id)
        )
        if locked.status != SessionStatus.ACTIVE:
            turn.status, turn.outcome = locked.status, locked.outcome
            return
        turn.message = ChatMessage.objects.create(
            id=turn.message_id,
            session=locked,
            seq=_message_counts(locked.pk).highest + 1,
            role=MessageRole.CUSTOMER,
            content=result.text,
            meta={
                "reply_to": str(turn.reply_to_id) if turn.reply_to_id else None,
                "engine": engine_name,
                "tokens": result.tokens,
                "mood": result.state.get("mood"),
            },
        )
        locked.engine_state = result.state
        locked.tokens_used = locked.tokens_used + max(0, int(result.tokens))
        locked.last_activity_at = timezone.now()
        fields = ["engine_state", "tokens_used", "last_activity_at", "updated_at"]
        if result.outcome == OUTCOME_RESOLVED and locked.outcome != SessionOutcome.RESOLVED:
            # The trainee may still close the conversation politely: the session stays active.
            locked.outcome = SessionOutcome.RESOLVED
            fields.append("outcome")
            turn.status_changed = True
        locked.save(update_fields=fields)
        context = turn.context
        if context is not None and turn.message.seq == context.seq + 1:
            said = Turn(role=MessageRole.CUSTOMER.value, content=result.text)
            turn.next_context = KnownTranscript(turn.message.seq, [*context.transcript, said])
        if result.outcome == OUTCOME_ESCALATED:
            locked = session_end(session=locked, by=None, outcome=SessionOutcome.ESCALATED)
            turn.status_changed = True
        turn.status, turn.outcome = locked.status, locked.outcome
        turn.mood = result.state.get("mood")


def _engine_reply(context: EngineContext):
    engine = get_engine(context.engine)
    reply = engine.reply(
        scenario=context.scenario,
        transcript=context.transcript,
        state=context.state,
        tokens_used=context.tokens_used,
    )
    return engine, reply


def _result_of(reply):
    if reply.result is None:
        raise EngineError(detail="the engine ended without a reply")
    return reply.result


async def customer_reply_stream(
    turn: CustomerTurn,
    *,
    on_start: Callable[[], Awaitable[None]] | None = None,
    lock: TurnLock | None = None,
    context: EngineContext | None = None,
) -> AsyncIterator[str]:
    """Run the engine for `turn.session_id`, yielding the customer's words as they come, then
    store the whole reply once. One turn per session at a time, across tabs and processes: a
    second caller gets `EngineBusy` (its own message is already stored).

    A caller that already holds the session's `lock` passes it (it is released here, whatever
    happens), with the `context` it read while holding it (`message_post_agent(load_context=
    True)`). `on_start` is awaited once the turn is really going to run (lock held, session
    active), e.g. to show a typing indicator. Raises SessionNotActive, EngineBusy,
    TokenBudgetExhausted or EngineError; on any of them nothing of the reply is stored.
    """
    if lock is None:
        lock, context = TurnLock(turn.session_id), None
        if not await lock.aacquire():
            raise EngineBusy()
    try:
        if context is None:
            context = await db_call(_turn_context)(turn.session_id)
        turn.context = context
        engine, reply = _engine_reply(context)
        if on_start is not None:
            await on_start()
        async for delta in paced(reply, context.pacing):
            yield delta
        result = _result_of(reply)
        await db_call(_store_and_release)(turn, result, engine.name, lock)
    finally:
        await lock.arelease()  # only if not released yet: after an error


def _store_and_release(turn: CustomerTurn, result, engine_name: str, lock: TurnLock) -> None:
    try:
        _store_customer_reply(turn, result, engine_name)
    finally:
        lock.release()
    # After the release: a message stored later than this check finds the lock free and gets
    # its own turn; one stored earlier was refused (`busy`) and is seen here.
    turn.owed = _unseen_agent_message(turn)


def _unseen_agent_message(turn: CustomerTurn) -> bool:
    """Whether an agent message was stored that `turn` did not answer (its context ended
    before it). Best effort: the reply is stored already, and a failure here must not make
    the turn look failed."""
    if turn.message is None or turn.status != SessionStatus.ACTIVE:
        return False
    if turn.context is not None and turn.message.seq != turn.context.seq + 1:
        return True  # stored between the context and the reply
    try:
        return ChatMessage.objects.filter(
            session_id=turn.session_id, seq__gt=turn.message.seq, role=MessageRole.AGENT
        ).exists()
    except DatabaseError:
        logger.warning("Could not check for unanswered messages", exc_info=True)
        return False


def customer_turn_owed(session_id) -> tuple[TurnLock, EngineContext, ChatMessage] | None:
    """After a turn whose reply left an agent message unanswered (`CustomerTurn.owed`): take
    the session's `TurnLock` and return it with the context for the next turn and the agent
    message it answers (the latest). None, with no lock held, when there is nothing to answer
    (the customer has the last word, the session is over) or another turn is running (that
    one answers it). The chat socket whose turn ended calls this, so the answer streams to
    every tab like any other."""
    lock = TurnLock(session_id)
    if not lock.acquire():
        return None
    try:
        session = UserSession.objects.get(pk=session_id)
        if session.status != SessionStatus.ACTIVE:
            lock.release()
            return None
        context = _context_of(session)
        if not context.transcript or context.transcript[-1].role != MessageRole.AGENT:
            lock.release()
            return None
        message = session.messages.filter(role=MessageRole.AGENT).order_by("-seq").first()
    except BaseException:
        lock.release()
        raise
    return lock, context, message


def customer_reply(*, session: UserSession, reply_to: ChatMessage | None = None) -> CustomerTurn:
    """The whole reply at once, for sync callers (the REST API). Same rules and errors as
    `customer_reply_stream`; only the engine's stream runs in an event loop."""
    turn = CustomerTurn(session_id=session.pk, reply_to_id=reply_to.pk if reply_to else None)
    lock = TurnLock(turn.session_id)
    if not lock.acquire():
        raise EngineBusy()
    try:
        _reply_and_store(turn, _turn_context(turn.session_id))
    finally:
        lock.release()
    return turn


def _reply_and_store(turn: CustomerTurn, context: EngineContext) -> None:
    """Run the engine to the end (its stream in an event loop) and store the reply; the
    caller holds the session's `TurnLock`."""
    turn.context = context
    engine, reply = _engine_reply(context)

    async def drain():
        async for _ in reply:
            pass

    async_to_sync(drain)()
    _store_customer_reply(turn, _result_of(reply), engine.name)


# --- ending -------------------------------------------------------------------------------


class HintGiven(NamedTuple):
    hint: SessionHint
    #: False when the same moment had a hint already: it is given back, not paid for twice
    created: bool
    used: int


def session_hint(*, session: UserSession) -> HintGiven:
    """The next thing worth doing (`sessions_app.hints.advise`), stored on the session.

    Asking again before anything new is said returns the hint already given. The session's
    row lock makes two tabs asking at once get one hint between them, and keeps the count
    within `hints.LIMIT`.
    """
    with transaction.atomic():
        locked = UserSession.objects.select_for_update().get(pk=session.pk)
        if locked.status != SessionStatus.ACTIVE:
            raise SessionNotActive()
        given = list(locked.hints.order_by("after_seq"))
        counts = _message_counts(locked.pk)
        if given and given[-1].after_seq == counts.highest:
            return HintGiven(given[-1], False, len(given))
        if len(given) >= hints.LIMIT:
            raise HintLimitReached()
        scenario = locked.scenario_document
        # A state document an older version stored: the conversation replayed, as the engine
        # would (the transcript is read only then).
        state = CustomerState.load(locked.engine_state) or state_after(
            scenario, _context_of(locked).transcript
        )
        advice = hints.advise(scenario, state, agent_replies=counts.turns)
        hint = SessionHint.objects.create(
            session=locked,
            after_seq=counts.highest,
            replies=counts.turns,
            kind=advice.kind,
            text=advice.text,
        )
    logger.info("Hint given", extra={"session_id": str(session.pk), "kind": advice.kind})
    return HintGiven(hint, True, len(given) + 1)


def session_end(*, session: UserSession, by=None, outcome: str = SessionOutcome.ENDED):
    """Move an active session to `scoring`; after commit, `session_ended` tells whoever scores.

    Idempotent: ending a session already scoring or scored changes nothing. An earlier
    `resolved` or `escalated` outcome is kept (the trainee closing politely after the fix is
    still a resolved conversation). `by` is the user who ended it, or None for the system.
    """
    with transaction.atomic():
        locked = UserSession.objects.select_for_update().get(pk=session.pk)
        if locked.status in (SessionStatus.SCORING, SessionStatus.SCORED):
            return locked
        if locked.status != SessionStatus.ACTIVE:
            raise SessionNotActive()
        now = timezone.now()
        locked.status = SessionStatus.SCORING
        locked.ended_at = now
        if locked.outcome not in (SessionOutcome.RESOLVED, SessionOutcome.ESCALATED):
            locked.outcome = outcome
        locked.save(update_fields=["status", "ended_at", "outcome", "updated_at"])
        session_id = locked.pk
        transaction.on_commit(lambda: session_ended.send(sender=UserSession, session_id=session_id))
    logger.info(
        "Session ended",
        extra={
            "session_id": str(session_id),
            "outcome": locked.outcome,
            "ended_by": getattr(by, "pk", None),
        },
    )
    return locked


def sessions_expire_idle(*, now=None) -> list[uuid.UUID]:
    """End every active session idle longer than SESSION_IDLE_MINUTES; returns their ids."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    ended = []
    idle = UserSession.objects.filter(status=SessionStatus.ACTIVE, last_activity_at__lt=cutoff)
    for session in idle.only("pk"):
        try:
            session_end(session=session, by=None, outcome=SessionOutcome.ENDED)
        except SessionNotActive:
            continue
        ended.append(session.pk)
    return ended
