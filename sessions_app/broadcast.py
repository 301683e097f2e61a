"""Frames for every open tab of a session, sent through the channel layer group.

Both the consumer and sync code (the REST API, the idle-session sweep) speak through here, so a
trainee with the chat open sees what happens however it happened. Delivery is best effort: a tab
that misses a frame rebuilds itself from `history` when it reconnects.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync

from core import live
from core.groups import session_group
from sessions_app import hints
from sessions_app.api.serializers import HintSerializer, MessageSerializer

logger = logging.getLogger(__name__)

#: The channel-layer event type; the consumer's `session_event` handler sends its payload as is.
EVENT_TYPE = "session.event"


_CREATED_AT = MessageSerializer().fields["created_at"]


def message_data(message) -> dict:
    """`MessageSerializer(message).data`, built directly: a chat turn sends three of these, and
    the serializer machinery cost more than the rest of the frame work (`make bench`). A test
    keeps the two identical."""
    return {
        "id": str(message.id),
        "seq": message.seq,
        "role": message.role,
        "content": message.content,
        "created_at": _CREATED_AT.to_representation(message.created_at),
        "client_id": str(message.client_id) if message.client_id else None,
    }


def hint_data(hint) -> dict:
    return HintSerializer(hint).data


def hint_payload(hint, *, used: int) -> dict:
    """The `hint` frame (and the REST answer): the hint, how many the session has left and
    what each costs."""
    return {
        "type": "hint",
        "hint": hint_data(hint),
        "hints_used": used,
        "hints_left": max(0, hints.LIMIT - used),
        "xp_cost_percent": hints.XP_COST_PERCENT,
    }


def status_payload(session) -> dict:
    payload = {"type": "session.status", "status": session.status, "outcome": session.outcome}
    if session.status == "scored":
        payload.update(score=session.score, passed=session.passed, xp_awarded=session.xp_awarded)
    mood = (session.engine_state or {}).get("mood")
    if mood:
        payload["mood"] = mood
    return payload


async def abroadcast(session_id, payload: dict, *, exclude: str | None = None) -> None:
    """Send `payload` to every socket of the session but `exclude` (a channel name)."""
    event = {"type": EVENT_TYPE, "payload": payload}
    if exclude:
        event["exclude"] = exclude
    await live.asend(session_group(session_id), event)


def broadcast(session_id, payload: dict) -> None:
    """`abroadcast` for sync callers."""
    async_to_sync(abroadcast)(session_id, payload)
