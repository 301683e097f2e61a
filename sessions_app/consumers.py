"""The live chat socket, `/ws/sessions/<uuid>/` (its frames: docs/architecture.md).

The socket that sent a message runs the customer engine itself and streams the deltas straight
to its own client (`self.send`): a channel-layer message per token is many times slower and
drops frames under load. Every other tab of the session hears about it through the group:
the echo, the typing notice, coalesced chunks of the reply and the final message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections import deque

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts.security import socket_must_close
from core import live
from core.dbthreads import db_call
from core.errors import DomainError
from core.groups import session_group, user_group
from sessions_app import hints
from sessions_app.broadcast import EVENT_TYPE, hint_data, hint_payload, message_data, status_payload
from sessions_app.exceptions import RateLimited, SessionNotFound
from sessions_app.models import UserSession
from sessions_app.selectors import session_get_for_user
from sessions_app.services import (
    CustomerTurn,
    KnownTranscript,
    customer_reply_stream,
    customer_turn_owed,
    customer_turn_running,
    message_post_agent,
    message_post_agent_for_turn,
    session_end,
    session_hint,
)

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
# Other tabs get the reply in chunks at most this often, not a frame per token.
COALESCE_SECONDS = 0.25
# Frames waiting behind a running customer turn; more than the rate limit lets through.
INBOX_LIMIT = 32

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]*)\s*$", re.IGNORECASE)
_UNITS = {
    **dict.fromkeys(("", "s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
}


def parse_rate(rate: str) -> tuple[int, float]:
    """A rate such as `10/10s` → (10, 10.0) or `30/min` → (30, 60.0); malformed → no limit."""
    match = _RATE.match(rate or "")
    if not match:
        return 0, 0.0
    count, multiplier, unit = match.groups()
    seconds = _UNITS.get(unit.lower())
    if seconds is None:
        return 0, 0.0
    return int(count), float(int(multiplier) if multiplier else 1) * seconds


class SlidingWindow:
    """At most `limit` events in any `window` seconds (per connection, so in memory)."""

    def __init__(self, limit: int, window: float):
        self.limit, self.window = limit, window
        self.events: deque[float] = deque()

    def allow(self) -> bool:
        if self.limit <= 0:
            return True
        now = time.monotonic()
        while self.events and now - self.events[0] >= self.window:
            self.events.popleft()
        if len(self.events) >= self.limit:
            return False
        self.events.append(now)
        return True


class SessionConsumer(AsyncJsonWebsocketConsumer):
    session_pk = None
    worker: asyncio.Task | None = None
    closing = False
    group_name: str | None = None
    # The trainee's own group: deactivation and sign-outs (`force.disconnect`) arrive there.
    user_group_name: str | None = None
    # While this socket runs a turn: other sockets' status frames, sent once the turn is over.
    held_statuses: list[dict] | None = None
    # The engine's context after this socket's last turn: the next turn starts from it
    # instead of reading the transcript again, unless a message was stored since.
    known_context: KnownTranscript | None = None

    # ---- lifecycle ---------------------------------------------------------------------------
    async def connect(self):
        # Accept first: a close code sent before the handshake completes never reaches a
        # browser (it sees a failed handshake), and the page needs 4401/4404 to stop retrying.
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        session_id = self.scope["url_route"]["kwargs"]["session_id"]
        try:
            session = await db_call(session_get_for_user)(user=user, session_id=session_id)
        except SessionNotFound:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.session_pk = session.pk
        self.rate = SlidingWindow(*parse_rate(settings.CHAT_RATE_LIMIT))
        # Messages and End run one after another, in the order sent, on a task of their own
        # (started when one arrives, gone when none waits, so an idle socket costs nothing):
        # the socket keeps answering pings and other tabs' events while the customer types.
        self.inbox: deque[dict] = deque()
        self.group_name = session_group(session.pk)
        self.user_group_name = user_group(user.pk)
        # Join before reading the history, so that nothing said in between is missed.
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.channel_layer.group_add(self.user_group_name, self.channel_name)
        await self.send_json(await db_call(self._history)())

    async def disconnect(self, code):
        # A running worker finishes what was sent before the socket closed: the message being
        # answered is answered, and messages still waiting are stored (see `_keep`).
        self.closing = True
        if self.group_name:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)
        if self.user_group_name:
            await self.channel_layer.group_discard(self.user_group_name, self.channel_name)

    async def dispatch(self, message):
        # An event type this consumer has no handler for is ignored rather than fatal.
        handler_name = message.get("type", "").replace(".", "_")
        if handler_name.startswith("_") or not hasattr(self, handler_name):
            logger.warning("Ignored channel event %r", message.get("type"))
            return
        # Not `super().dispatch`: it first closes stale connections of the shared sync thread,
        # a thread hop for every frame and every group event (four or five a turn), while
        # this consumer's database calls (`db_call`) do that on their own threads.
        await getattr(self, handler_name)(message)

    # ---- client frames -------------------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if self.session_pk is None:
            return
        if text_data is None:
            await self.send_error("invalid_frame", "Binary frames are not supported; send JSON.")
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            # RecursionError: "[[[[…" nested deeper than the parser's stack.
            await self.send_error("bad_json", "That frame is not valid JSON.")
            return
        if not isinstance(content, dict):
            await self.send_error("invalid_frame", "A frame must be a JSON object with a type.")
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type")
        if kind in ("agent.message", "session.end"):
            await self.enqueue(content)
        elif kind == "ping":
            await self.send_frame({"type": "pong"})
        elif kind == "hint.request":
            # Not queued behind a running turn: a hint reads the state as it stands.
            await self.on_hint_request()
        else:
            await self.send_error(
                "unknown_type",
                f"Unknown frame type {kind[:40]!r}; expected agent.message, hint.request "
                "or session.end."
                if isinstance(kind, str)
                else "Every frame needs a string `type`.",
            )

    async def enqueue(self, frame: dict):
        if frame["type"] == "agent.message":
            content, client_id = frame.get("content"), frame.get("client_id")
            if not isinstance(content, str):
                await self.send_error(
                    "invalid_message", "`content` must be a string.", **_about(frame)
                )
                return
            if client_id is not None and not isinstance(client_id, str):
                await self.send_error("invalid_message", "`client_id` must be a UUID string.")
                return
            if not self.rate.allow():
                error = RateLimited()
                await self.send_error(error.code, error.message, client_id=client_id)
                return
        if len(self.inbox) >= INBOX_LIMIT:
            error = RateLimited()
            await self.send_error(error.code, error.message, **_about(frame))
            return
        self.inbox.append(frame)
        if self.worker is None or self.worker.done():
            self.worker = asyncio.create_task(self._work())

    async def _work(self):
        while self.inbox:
            frame = self.inbox.popleft()
            try:
                if frame["type"] == "session.end":
                    await self.on_session_end()
                elif self.closing:
                    await self._keep(frame)
                else:
                    await self.on_agent_message(frame)
            except Exception:
                logger.exception("Chat frame failed", extra={"session_id": str(self.session_pk)})
                await self.send_error(
                    "server_error", "Something went wrong; please try again.", **_about(frame)
                )

    async def _keep(self, frame: dict):
        """The socket closed with this message still waiting: store what the trainee typed
        (nobody is there to read an answer; a reconnecting page resends it and gets one)."""
        with contextlib.suppress(DomainError):
            await db_call(message_post_agent)(
                session=UserSession(pk=self.session_pk),
                content=frame["content"],
                client_id=frame.get("client_id"),
            )

    async def on_agent_message(self, frame: dict):
        content = frame["content"]
        client_id = frame.get("client_id")
        try:
            # One thread hop takes the turn lock, stores the message and reads what the engine
            # needs: the first word comes several hops sooner (`make bench`).
            posted, lock = await db_call(message_post_agent_for_turn)(
                session=UserSession(pk=self.session_pk),
                content=content,
                client_id=client_id,
                known=self.known_context,
            )
        except DomainError as error:
            await self.send_error(error.code, error.message, client_id=client_id)
            return

        if not posted.created:
            # A resend after a reconnect: answer from what is stored, and run the engine only
            # if the customer's answer to it failed (the trainee pressed retry).
            await self.send_frame({"type": "message", "message": message_data(posted.message)})
            if posted.reply is not None:
                await self.send_frame({"type": "message", "message": message_data(posted.reply)})
            if posted.awaiting_reply:
                await self.run_customer_turn(posted.message, lock, posted.context)
            return
        echo = {"type": "message", "message": message_data(posted.message)}
        await self.send_frame(echo)
        # Without the lock (another tab's turn is running) `customer_reply_stream` tries for it
        # itself, and says the customer is busy if that turn is still going.
        await self.run_customer_turn(posted.message, lock, posted.context, echo=echo)

    async def run_customer_turn(self, agent_message, lock=None, context=None, *, echo=None):
        self.held_statuses = []
        # Forgotten until this turn is stored: a failed turn leaves nothing to start from.
        self.known_context = None
        try:
            turn = await self._customer_turn(agent_message, lock, context, echo=echo)
            # Another tab's message stored while the customer was answering got `busy`:
            # answer it now, from here, so that it streams to every tab like any other.
            while turn is not None and turn.owed:
                owed = await db_call(customer_turn_owed)(self.session_pk)
                if owed is None:
                    break  # answered already, or another turn is running: that one answers
                lock, context, agent_message = owed
                self.known_context = None
                turn = await self._customer_turn(agent_message, lock, context, echo=None)
        finally:
            held, self.held_statuses = self.held_statuses, None
            for payload in held:
                await self.send_frame(payload)

    async def _customer_turn(self, agent_message, lock, context, *, echo) -> CustomerTurn | None:
        """One customer turn, streamed here and mirrored to the other tabs; the turn once its
        reply is stored, None if it failed (the error is sent)."""
        turn = CustomerTurn(session_id=self.session_pk, reply_to_id=agent_message.pk)
        message_id = str(turn.message_id)
        # An error about the answer names the trainee's message too: the page offers to ask
        # again, by sending the same client_id (the message itself is stored once).
        about = {"message_id": message_id}
        if agent_message.client_id:
            about["client_id"] = str(agent_message.client_id)
        others = _Outbox(self, message_id)
        if echo is not None:
            others.queue(echo)
        begun = False

        async def started():
            nonlocal begun
            begun = True
            typing = {"type": "customer.typing", "message_id": message_id}
            await self.send_frame(typing)
            others.queue(typing)
            await others.send()

        stream = customer_reply_stream(turn, on_start=started, lock=lock, context=context)
        try:
            try:
                async for delta in stream:
                    await self.send_frame(
                        {"type": "customer.delta", "message_id": message_id, "delta": delta}
                    )
                    await others.add(delta)
            finally:
                await stream.aclose()  # interrupted mid-reply: free the turn lock now
        except DomainError as error:
            await self.send_error(error.code, error.message, **about)
            if begun:
                # Not for `busy`: nothing of this turn was shown, and the other tabs' typing
                # indicator belongs to the turn that is running.
                others.queue({"type": "customer.cancelled", "message_id": message_id})
            await others.send()
            return None
        except Exception:
            logger.exception("Customer engine crashed", extra={"session_id": str(self.session_pk)})
            await self.send_error(
                "engine_error",
                "The customer could not answer just now. Your message is saved; try again.",
                **about,
            )
            others.queue({"type": "customer.cancelled", "message_id": message_id})
            await others.send()
            return None

        self.known_context = turn.next_context
        if turn.message is not None:
            done = {"type": "customer.done", "message": message_data(turn.message)}
            if turn.mood:
                done["mood"] = turn.mood
            await self.send_frame(done)
            others.queue(done)
        if turn.status_changed or turn.message is None:
            frame = {"type": "session.status", "status": turn.status, "outcome": turn.outcome}
            if turn.mood:
                frame["mood"] = turn.mood
            await self.send_frame(frame)
            others.queue(frame)
        await others.send()
        return turn

    async def on_hint_request(self):
        if not self.rate.allow():
            error = RateLimited()
            await self.send_error(error.code, error.message)
            return
        try:
            given = await db_call(session_hint)(session=UserSession(pk=self.session_pk))
        except DomainError as error:
            await self.send_error(error.code, error.message)
            return
        frame = hint_payload(given.hint, used=given.used)
        if given.created:
            await self.to_all(frame)
        else:
            await self.send_frame(frame)

    async def on_session_end(self):
        try:
            session = await db_call(self._end)()
        except DomainError as error:
            await self.send_error(error.code, error.message)
            return
        await self.to_all(status_payload(session))

    # ---- group events ------------------------------------------------------------------------
    async def session_event(self, event):
        """A frame for every tab (from another tab, the REST API, the scorer): sent as is."""
        if event.get("exclude") == self.channel_name:
            return
        # A turn sends its frames for other tabs a few at a time (`_Outbox`), in order.
        for payload in event.get("payloads") or [event["payload"]]:
            if self.held_statuses is not None and payload.get("type") == "session.status":
                # This socket's own turn is ending the session (or the scorer, run at once
                # without a worker, got there first): its last words come before the status.
                self.held_statuses.append(payload)
                continue
            await self.send_frame(payload)

    async def force_disconnect(self, event):
        """The trainee was deactivated or signed out elsewhere (accounts.services): a chat left
        open must not keep talking for a login that no longer exists."""
        if socket_must_close(self.scope, event):
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def notify(self, event):
        """XP and achievement events share the user group; pages show them through
        /ws/notifications/, so the chat ignores them rather than logging each one."""

    # ---- sending -------------------------------------------------------------------------------
    async def send_frame(self, payload: dict):
        try:
            await self.send_json(payload)
        except Exception:
            # The client went away mid-reply; the turn carries on so the reply is still stored.
            logger.debug("Frame not delivered: socket closed", exc_info=True)

    async def send_error(self, code: str, detail: str, **extra):
        await self.send_frame({"type": "error", "code": code, "detail": detail, **extra})

    async def to_others(self, *payloads: dict):
        """Every other tab of this session, through the group: one event for all `payloads`."""
        await live.asend(
            self.group_name,
            {"type": EVENT_TYPE, "payloads": list(payloads), "exclude": self.channel_name},
        )

    async def to_all(self, payload: dict):
        """This socket first and directly (ordering), then every other tab via the group."""
        await self.send_frame(payload)
        await self.to_others(payload)

    # ---- database (run in a thread) ------------------------------------------------------------
    def _history(self) -> dict:
        session = UserSession.objects.get(pk=self.session_pk)
        messages = [message_data(m) for m in session.messages.order_by("seq")]
        given = list(session.hints.order_by("after_seq"))
        return {
            "type": "history",
            "messages": messages,
            "hints": [hint_data(hint) for hint in given],
            "hints_left": max(0, hints.LIMIT - len(given)),
            "status": session.status,
            "outcome": session.outcome,
            "mood": (session.engine_state or {}).get("mood"),
            # A tab (re)connecting while another is being answered shows the typing indicator.
            "customer_typing": customer_turn_running(self.session_pk),
        }

    def _end(self) -> UserSession:
        user = self.scope["user"]
        session = session_get_for_user(user=user, session_id=self.session_pk)
        session_end(session=session, by=user)
        # Eager scoring may already have finished: report the status as it is now.
        return UserSession.objects.get(pk=self.session_pk)


def _about(frame: dict) -> dict:
    """What ties an error frame to the trainee's message it is about: the page finds the
    message by its `client_id`, marks it failed and offers to send it again; without it the
    message stayed "sending" for ever."""
    client_id = frame.get("client_id")
    return {"client_id": client_id} if isinstance(client_id, str) else {}


class _Outbox:
    """What a turn says to the session's other tabs, sent a few frames per group event: the
    echo with the typing indicator, the customer's words gathered for `COALESCE_SECONDS`, the
    end with the last words. Each group event is delivered to every socket of the session
    (this one included, which drops it), so a turn costs two or three of them, not one per
    frame (`make bench`)."""

    def __init__(self, consumer: SessionConsumer, message_id: str):
        self.consumer = consumer
        self.message_id = message_id
        self.frames: list[dict] = []
        self.words = ""
        self.last = time.monotonic()

    def queue(self, payload: dict):
        self._gather_words()
        self.frames.append(payload)

    async def add(self, delta: str):
        self.words += delta
        if time.monotonic() - self.last >= COALESCE_SECONDS:
            await self.send()

    async def send(self):
        self._gather_words()
        if self.frames:
            frames, self.frames = self.frames, []
            await self.consumer.to_others(*frames)
        self.last = time.monotonic()

    def _gather_words(self):
        if self.words:
            delta = {"type": "customer.delta", "message_id": self.message_id, "delta": self.words}
            self.frames.append(delta)
            self.words = ""
