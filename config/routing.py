from gamification.routing import websocket_urlpatterns as notification_patterns
from sessions_app.routing import websocket_urlpatterns as session_patterns

websocket_urlpatterns = [*session_patterns, *notification_patterns]
