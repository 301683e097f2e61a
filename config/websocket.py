from config.logging import bind_request_id, request_id_var


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
