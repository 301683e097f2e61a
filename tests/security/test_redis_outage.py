"""Redis down, and Redis back: a redis-server of the test's own, on a free port, that the test
stops and starts while the app's cache (and, for the broadcast, its channel layer) points at it.

While Redis is down the API still answers: throttling fails open, cached reads come from the
database, and a chat message is refused with a 503 before anything is stored. After a restart
the process recovers on its own: the first request after it succeeds (the stale pooled
connection is checked and replaced, not reported as an error).
"""

import asyncio
import shutil
import socket
import subprocess
import time
import uuid

import pytest
from channels_redis.core import RedisChannelLayer
from django.core.cache import cache
from django.test import override_settings

from core.cache import Version
from sessions_app.models import ChatMessage, SessionStatus, UserSession
from sessions_app.services import session_start
from tests.factories import ScenarioFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SpareRedis:
    """A throwaway redis-server: nothing on disk, killed and restarted at will."""

    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def spare_redis(settings):
    redis = SpareRedis()
    redis.start()
    caches = {
        **settings.CACHES,
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": redis.url,
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        },
    }
    with override_settings(CACHES=caches):
        yield redis
    redis.stop()


@pytest.fixture
def chat(user):
    scenario = ScenarioFactory()
    return session_start(user=user, scenario=scenario)


def test_the_api_answers_while_redis_is_down(spare_redis, api_client, chat):
    spare_redis.stop()
    for path in (
        f"/api/v1/sessions/{chat.pk}/",
        "/api/v1/scenarios/",
        "/api/v1/leaderboard/",
        "/api/v1/users/me/",
    ):
        assert api_client.get(path).status_code == 200, path


def test_pages_answer_while_redis_is_down(spare_redis, client, user, chat):
    client.force_login(user)
    spare_redis.stop()
    for path in ("/", "/scenarios/", f"/sessions/{chat.pk}/", "/leaderboard/"):
        assert client.get(path).status_code == 200, path


def test_a_chat_message_is_kept_and_answered_once_redis_is_back(spare_redis, api_client, chat):
    """The message is stored first (as with an engine failure): a 503 names it, and sending it
    again with the same client_id once Redis is back gets the customer's answer."""
    url = f"/api/v1/sessions/{chat.pk}/messages/"
    message = {"content": "Hello, when did it start?", "client_id": str(uuid.uuid4())}
    spare_redis.stop()
    refused = api_client.post(url, message, format="json")
    assert refused.status_code == 503
    assert refused.json()["details"]["code"] == "unavailable"
    assert refused.json()["details"]["agent_message_id"]
    spare_redis.start()
    answered = api_client.post(url, message, format="json")
    assert answered.status_code == 200, answered.content
    assert answered.json()["data"]["customer_message"]["role"] == "customer"
    agent = ChatMessage.objects.filter(session=chat, role="agent")
    assert list(agent.values_list("content", flat=True)) == [message["content"]]


def test_ending_a_session_stands_although_the_broadcast_cannot_be_sent(
    spare_redis, api_client, chat, settings
):
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [spare_redis.url]},
        }
    }
    spare_redis.stop()
    with override_settings(CHANNEL_LAYERS=layers):
        response = api_client.post(f"/api/v1/sessions/{chat.pk}/complete/")
    assert response.status_code < 300, response.content
    assert UserSession.objects.get(pk=chat.pk).status != SessionStatus.ACTIVE


def test_a_message_is_answered_although_other_tabs_cannot_be_told(user):
    """Only the channel layer is down: the message and the answer are stored and returned;
    the broadcasts to other tabs are dropped with a warning, never turning them into a 500."""
    from rest_framework.test import APIClient

    api_client = APIClient()
    api_client.force_authenticate(user)
    chat = session_start(user=user, scenario=ScenarioFactory())
    redis = SpareRedis()
    redis.start()
    redis.stop()
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis.url]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        response = api_client.post(
            f"/api/v1/sessions/{chat.pk}/messages/",
            {"content": "Hi, when did it start?"},
            format="json",
        )
    assert response.status_code == 201, response.content
    assert response.json()["data"]["customer_message"]["role"] == "customer"


def test_the_cache_is_used_again_at_once_after_a_restart(spare_redis, api_client, chat):
    catalogue = Version("scenarios.catalogue")
    assert api_client.get("/api/v1/scenarios/").status_code == 200
    assert catalogue.current() is not None  # pooled connections are open now
    spare_redis.stop()
    spare_redis.start()  # same port, empty: every pooled connection is stale
    # The first call after the restart already works: no error, a fresh number stored.
    assert catalogue.current() is not None
    assert cache.get(catalogue.key()) is not None
    assert api_client.get("/api/v1/scenarios/").status_code == 200


async def test_the_channel_layer_recovers_at_once_after_a_restart(settings):
    """Every connection the layer pooled is stale after a restart; each used to fail once (a
    WebSocket handshake dropped, a reply lost) before the layer's retry on a dropped one."""
    redis = SpareRedis()
    redis.start()
    try:
        layer = RedisChannelLayer(hosts=[{"address": redis.url, **settings.REDIS_LAYER_OPTIONS}])
        channel = await layer.new_channel()
        await layer.group_add("tabs", channel)
        await layer.group_send("tabs", {"type": "before"})
        assert (await layer.receive(channel))["type"] == "before"
        redis.stop()
        redis.start()
        for attempt in range(5):
            await layer.group_add("tabs", channel)
            await layer.group_send("tabs", {"type": "after", "n": attempt})
            received = await asyncio.wait_for(layer.receive(channel), timeout=2)
            assert received == {"type": "after", "n": attempt}
        await layer.flush()
    finally:
        redis.stop()
