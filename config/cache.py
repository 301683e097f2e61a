"""Django's Redis cache, minus a client object per call.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every operation, and
redis-py 8 fills ~170 response callbacks into each one: about 0.1 ms of CPU per cache call
(`make bench` profiles of the leaderboard, where the version check is the only cache read).
A `redis.Redis` is safe to share (connections come from its pool), so one per pool is kept.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
