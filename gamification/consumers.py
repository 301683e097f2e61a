from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.security import socket_must_close
from core.groups import user_group

CLOSE_UNAUTHENTICATED = 4401


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """Pushes a trainee's events (`session.scored`, `xp.awarded`, `level.up`,
    `achievement.unlocked`) to every page they have open, across processes via the layer."""

    async def connect(self):
        # Accept first, as the chat socket does: a close before the handshake completes reaches
        # a browser as a failed handshake (code 1006), never as 4401, so pages cannot tell
        # "signed out, stop retrying" from a network blip.
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # The stream is one-way; a client "ping" keeps proxies from closing an idle socket.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def notify(self, event):
        await self.send_json(event["payload"])

    async def force_disconnect(self, event):
        """The trainee was deactivated or signed out elsewhere (accounts.services)."""
        if socket_must_close(self.scope, event):
            await self.close(code=CLOSE_UNAUTHENTICATED)
