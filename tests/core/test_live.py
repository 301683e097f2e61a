"""Live events are best effort: an unreachable layer drops the event, never the request."""

import logging

import pytest
from channels.layers import channel_layers, get_channel_layer

from core import live


@pytest.fixture
def tiny_layer(settings):
    """The in-memory layer with room for one message per channel (the flood case)."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "core.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 1},
        }
    }
    channel_layers.backends.clear()
    yield get_channel_layer()
    channel_layers.backends.clear()


async def test_an_event_reaches_the_group(tiny_layer):
    channel = await tiny_layer.new_channel()
    await tiny_layer.group_add("session.abc", channel)
    assert await live.asend("session.abc", {"type": "session.event", "payload": {}})
    assert (await tiny_layer.receive(channel))["type"] == "session.event"


@pytest.fixture
def unreachable_layer(settings):
    """The Redis channel layer pointed at a port nothing listens on: Redis is down."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    channel_layers.backends.clear()
    yield get_channel_layer()
    channel_layers.backends.clear()


async def test_an_unreachable_layer_drops_the_event_with_a_warning_and_no_error(
    unreachable_layer, caplog
):
    with caplog.at_level(logging.WARNING, logger="core.live"):
        sent = await live.asend("user.7", {"type": "notify", "payload": {"type": "x"}})
    assert sent is False
    assert "Live event dropped" in caplog.text


def test_from_sync_code_too(unreachable_layer, caplog):
    with caplog.at_level(logging.WARNING, logger="core.live"):
        assert live.notify_user(7, {"type": "xp.awarded"}) is False
    assert "Live event dropped" in caplog.text
