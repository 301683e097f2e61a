"""One ASGI application: Django for HTTP, Channels consumers for `/ws/…`.

WebSockets refuse a foreign `Origin` (`SameOriginValidator`) and carry the Django session
(`AuthMiddlewareStack`); each connection gets its own request id for logging.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from core.websocket import RequestIdWebsocketMiddleware, SameOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(
            RequestIdWebsocketMiddleware(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)
