import asyncio
import os
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client

from config.asgi import application
from core import dbthreads
from sessions_app.services import session_start
from tests.factories import ScenarioFactory, UserFactory
from tests.sessions_app.fake_model import engine_on_fake_model

# What a browser on the page sends: the socket must be same-origin with the Host it reached.
HOST = (b"host", b"testserver")
ORIGIN = (b"origin", b"http://testserver")
REDIS_URL = os.environ.get("REDIS_URL", "")


def cookie_for(user) -> bytes:
    """A real login: the socket authenticates through the session cookie, like a browser."""
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def connect(session_id, cookie: bytes | None = None, origin=ORIGIN):
    headers = [HOST, origin] if origin else [HOST]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(
        application, f"/ws/sessions/{session_id}/", headers=headers
    )
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def frames_until(communicator, frame_type: str, *, timeout: float = 5) -> list[dict]:
    """Every frame up to and including the first of `frame_type`."""
    frames = []
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        frames.append(frame)
        if frame.get("type") == frame_type:
            return frames


async def drain(communicator, quiet: float = 0.3) -> list[dict]:
    """Every frame until the socket has been quiet for `quiet` seconds."""
    frames = []
    while not await communicator.receive_nothing(timeout=quiet):
        frames.append(await communicator.receive_json_from())
    return frames


def types(frames) -> list[str]:
    return [frame["type"] for frame in frames]


@pytest.fixture
async def close_thread_connections():
    """The consumer reaches the database from asgiref's worker thread; close that thread's
    connection after the test, or PostgreSQL refuses to drop the test database at the end."""
    yield
    await database_sync_to_async(connections.close_all)()
    await asyncio.to_thread(dbthreads.close_connections)


@pytest.fixture(params=["memory", "redis"])
def channel_layer(request, settings):
    """Consumer tests run on the in-memory layer and, when REDIS_URL is set, on Redis."""
    if request.param == "redis":
        if not REDIS_URL:
            pytest.skip("REDIS_URL is not set: the Redis channel layer is tested in CI")
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                    # Our own keys: tests never see another run's groups.
                    "prefix": f"test-{uuid.uuid4().hex[:8]}",
                },
            }
        }
    else:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "core.layers.InMemoryChannelLayer"}}
    return request.param


@pytest.fixture
def trainee(transactional_db):
    return UserFactory()


@pytest.fixture
def stranger(transactional_db):
    return UserFactory()


@pytest.fixture
def router_scenario(transactional_db):
    return ScenarioFactory(slug="router-reboot-loop", title="Router stuck in a reboot loop")


@pytest.fixture
def chat(trainee, router_scenario):
    """An active session of the contract's router scenario, with the opening message."""
    return session_start(user=trainee, scenario=router_scenario)


@pytest.fixture
def trainee_cookie(trainee):
    return cookie_for(trainee)


@pytest.fixture
def fake_model(settings):
    """A local OpenAI-compatible server; sessions started now use the OpenAI engine."""
    with engine_on_fake_model(settings) as model:
        yield model
