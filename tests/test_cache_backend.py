"""core.cache.RedisCache: Django's Redis cache with one pool and one client per process."""

import pytest
from django.conf import settings
from django.core.cache import caches

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL")


def test_one_client_serves_every_call_and_values_round_trip():
    cache = caches["default"]
    cache.set("cache-backend-test", {"a": 1}, 30)
    client = cache._cache.get_client(write=True)
    assert cache.get("cache-backend-test") == {"a": 1}
    cache.delete("cache-backend-counter")
    assert cache.add("cache-backend-counter", 0)
    assert cache.incr("cache-backend-counter") == 1
    assert cache._cache.get_client(write=True) is client
    cache.delete_many(["cache-backend-test", "cache-backend-counter"])
    assert cache.get("cache-backend-test") is None


def test_every_cache_object_of_the_process_shares_one_client():
    """Django makes a cache object per context (asgiref Local), and each WebSocket consumer is a
    context that lives as long as its socket: they must not each hold a pool and a client."""
    first, second = caches.create_connection("default"), caches.create_connection("default")
    assert first is not second
    assert first._cache.get_client() is second._cache.get_client(write=True)
    second.set("cache-backend-shared", 1, 30)
    assert first.get("cache-backend-shared") == 1
