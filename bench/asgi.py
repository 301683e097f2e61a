"""The app's ASGI application plus the two chat references on `/ws/__bench__/…`."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

# Django is set up by the app's module first; the references need it.
from config.asgi import application as app_application  # noqa: I001

from bench.references import BareChannelsConsumer, bare_asgi_stream

bare_channels = BareChannelsConsumer.as_asgi()


async def application(scope, receive, send):
    if scope["type"] == "websocket":
        if scope["path"] == "/ws/__bench__/asgi/":
            return await bare_asgi_stream(scope, receive, send)
        if scope["path"] == "/ws/__bench__/channels/":
            return await bare_channels(scope, receive, send)
    return await app_application(scope, receive, send)


# Experiments behind the analysis in RESULTS.md, off unless asked for (BENCH_EXPERIMENT=…):
# the consumer's database calls on a thread pool instead of asgiref's single thread.
if os.environ.get("BENCH_EXPERIMENT") == "threadpool":
    import functools

    from channels.db import database_sync_to_async

    import sessions_app.consumers
    import sessions_app.services

    pooled = functools.partial(database_sync_to_async, thread_sensitive=False)
    sessions_app.consumers.database_sync_to_async = pooled
    sessions_app.services.database_sync_to_async = pooled
