import io

from channels.security.websocket import WebsocketDenier
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware

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


class SameOriginValidator:
    """Refuses a handshake from a page of another origin (cross-site WebSocket hijacking).

    The rule is Django's own for a form's `Origin` (CsrfViewMiddleware): the origin must be
    the app's own — the scheme and `Host` the browser used, that host one of ALLOWED_HOSTS —
    or one of CSRF_TRUSTED_ORIGINS. Whole origins, scheme and port included: host names alone
    let any other program on the machine (`http://127.0.0.1:9999`) in. A handshake without
    `Origin` is let in: browsers always send it, so it comes from a script, which must still
    present a valid session cookie; Channels' stock validator refuses those, which only hurts
    such clients.
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if _origin_allowed(_handshake_request(scope)):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)


def _handshake_request(scope) -> HttpRequest:
    """The handshake as Django would see it over HTTP, so that Host, the scheme (a TLS proxy's
    SECURE_PROXY_SSL_HEADER included) and Origin are read exactly as for any request."""
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    return ASGIRequest({**scope, "method": "GET", "scheme": scheme}, io.BytesIO())


def _origin_allowed(request: HttpRequest) -> bool:
    if "Origin" not in request.headers:
        return True
    # Django's check itself rather than a copy (private, but the same since Django 4.0;
    # tests/security/test_websocket_origin.py pins what it must do). A middleware per
    # handshake, as it reads CSRF_TRUSTED_ORIGINS once per instance.
    return CsrfViewMiddleware(_no_response)._origin_verified(request)


def _no_response(request):
    return None
