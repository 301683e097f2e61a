"""Live events to open pages and sockets: the one place that sends to a channel-layer group.

Best effort by design: the write that caused an event is already committed, and a page that
misses one catches up on its next load, so a full channel or an unreachable layer is logged
and never turns that write into an error."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from core.groups import user_group

logger = logging.getLogger(__name__)


async def asend(group: str, event: dict) -> bool:
    """Send `event` to `group`; False (and a warning) when it could not be sent."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        await layer.group_send(group, event)
    except Exception as exc:  # ChannelFull, a Redis error: the event is lost, nothing else
        logger.warning(
            "Live event dropped (%s)", type(exc).__name__, extra={"event": event.get("type")}
        )
        return False
    return True


def send(group: str, event: dict) -> bool:
    """`asend` for sync callers (services, tasks)."""
    return async_to_sync(asend)(group, event)


def notify_user(user_id, payload: dict) -> bool:
    """An event for every open page of one trainee (`/ws/notifications/`)."""
    return send(user_group(user_id), {"type": "notify", "payload": payload})
