"""Send events to a trainee's open pages from sync code (services, Celery tasks)."""

import logging

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer

from core.groups import user_group

logger = logging.getLogger(__name__)


def notify_user(user_id, payload: dict) -> None:
    """Best effort: a page that misses an event catches up on its next load."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(user_group(user_id), {"type": "notify", "payload": payload})
    except ChannelFull:
        logger.warning("Notification dropped: channel full", extra={"event": payload.get("type")})
