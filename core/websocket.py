from channels.security.websocket import OriginValidator
from django.conf import settings

from core.logging import bind_request_id, request_id_var


class RequestIdWebsocketMiddleware:
    """Gives each WebSocket connection a request id that every log line of it carries."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        token = bind_request_id()
        try:
            scope = {**scope, "request_id": request_id_var.get()}
            return await self.inner(scope, receive, send)
        finally:
            request_id_var.reset(token)


class SameOriginValidator(OriginValidator):
    """Refuses a handshake whose `Origin` is not one of ALLOWED_HOSTS; lets one without it in.

    Cross-site WebSocket hijacking needs a browser, and browsers always send `Origin`; a
    handshake without it comes from a script (tests, integrations) that must still present a
    valid session cookie. Channels' stock validator refuses those, which only hurts such clients.
    """

    def __init__(self, application):
        allowed_hosts = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed_hosts:
            allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
        super().__init__(application, allowed_hosts)

    def valid_origin(self, parsed_origin):
        if parsed_origin is None:
            return True
        return super().valid_origin(parsed_origin)
