"""Caching lives here, in one module, on Django's cache framework.

Every cached value is tied to a `Version`: a number in the shared cache (`caches["default"]`,
Redis with `REDIS_URL`) that moves on when the data behind it changes. A value is stored with
the number it was built from and used only while that number is current, so a process never
serves what another process's write has made stale. The app that caches declares, next to its
receivers, which saves move the version on (`bump_on_save`); services that write around the
ORM's signals (`QuerySet.update`) call `Version.bump` themselves.

Values are kept in one of three places:

- the shared cache, for small per-trainee values (`Version.cached`: a trainee's standing);
- a template fragment (`{% cache … using="local" %}`, `caches["local"]`, one per process), for
  HTML that many requests render the same (the catalogue's cards, its empty filter form);
- process memory, unpickled never (`ProcessMemo`), for the two values too big to fetch from
  Redis on every request: the scenario catalogue and the leaderboard's ranking. Unpickling
  1,000 scenarios costs more than the query it would save (`make bench`,
  docs/performance.md).

Below them, `RedisCache`: Django's Redis backend with one client per process.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

T = TypeVar("T")
logger = logging.getLogger(__name__)

#: What the shared cache raises while Redis is down or restarting. Caching then falls back to
#: the database: every read rebuilds, nothing is stored, a bump is skipped (a restarted Redis
#: has lost the numbers anyway, and a missing number reads as a fresh one everywhere).
CACHE_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


def unreachable(what: str, error: Exception) -> None:
    logger.warning(
        "Shared cache unreachable (%s, %s): serving from the database", what, type(error).__name__
    )


_MEMOS: list[ProcessMemo] = []


# --- Versions ----------------------------------------------------------------------------------


class Version:
    """A named version number in the shared cache; `part` gives one per trainee, say.

    A missing number (first read, or the cache was flushed or evicted) starts at random, so no
    reader can take a value built before the flush for a current one.
    """

    def __init__(self, name: str, *, timeout: float | None = None):
        self.name = name
        self.timeout = timeout

    def key(self, part: Hashable = None) -> str:
        return f"version:{self.name}" if part is None else f"version:{self.name}:{part}"

    def value_key(self, part: Hashable = None) -> str:
        """Where `cached` keeps its value for `part`."""
        return f"cached:{self.name}" if part is None else f"cached:{self.name}:{part}"

    def current(self, part: Hashable = None):
        """The number, or None while the shared cache is unreachable (nothing is current)."""
        key = self.key(part)
        try:
            number = cache.get(key)
            if number is None:
                fresh = secrets.randbits(62)
                if cache.add(key, fresh, timeout=self.timeout):
                    return fresh
                number = cache.get(key, fresh)
        except CACHE_UNREACHABLE as error:
            unreachable(self.name, error)
            return None
        return number

    def bump(self, part: Hashable = None, *, now: bool = False) -> None:
        """Move the number on after the surrounding transaction commits (at once outside one),
        so nobody rebuilds from data they cannot see yet, and a rollback bumps nothing.
        `now=True` bumps before the commit as well, for a writer that reads its own change
        inside the transaction (the bump at commit still follows, so a value built in between
        does not last)."""
        key = self.key(part)

        def bump():
            # No number yet (ValueError): the next read starts a fresh one, which is a bump too.
            with contextlib.suppress(ValueError):
                try:
                    cache.incr(key)
                except CACHE_UNREACHABLE as error:
                    unreachable(self.name, error)

        if now:
            bump()
        transaction.on_commit(bump, robust=True)

    def cached(self, part: Hashable, build: Callable[[], T], *, timeout: float) -> T:
        """`build()`, kept in the shared cache under this version's `part` until the number
        moves on or `timeout` seconds pass: one round trip for the number and the value."""
        version_key, value_key = self.key(part), self.value_key(part)
        try:
            held = cache.get_many([version_key, value_key])
        except CACHE_UNREACHABLE as error:
            unreachable(self.name, error)
            return build()
        number, value = held.get(version_key), held.get(value_key)
        if number is not None and value is not None and value[0] == number:
            return value[1]
        if number is None:
            number = self.current(part)
        value = build()
        if number is not None:
            try:
                cache.set(value_key, (number, value), timeout=timeout)
            except CACHE_UNREACHABLE as error:
                unreachable(self.name, error)
        return value


def bump_on_save(
    version: Version,
    sender,
    *,
    fields: Iterable[str] | None = None,
    part: Callable | None = None,
    now: bool = False,
) -> None:
    """Bump `version` whenever a `sender` row is saved or deleted, or (for a many-to-many
    `through` model) linked or unlinked. With `fields`, a save that names its `update_fields`
    bumps only if one of them is listed; `part(instance)` picks the version's part."""
    watched = frozenset(fields) if fields is not None else None
    uid = f"core.cache:{version.name}:{sender._meta.label}"

    def bump_for(instance):
        version.bump(part(instance) if part else None, now=now)

    def saved(sender, instance, created=False, update_fields=None, **kwargs):
        if created or update_fields is None or watched is None or watched & set(update_fields):
            bump_for(instance)

    def deleted(sender, instance, **kwargs):
        bump_for(instance)

    def linked(sender, instance, action, **kwargs):
        if action in ("post_add", "post_remove", "post_clear"):
            bump_for(instance)

    if sender._meta.auto_created:  # a many-to-many table: rows come and go through m2m_changed
        m2m_changed.connect(linked, sender=sender, weak=False, dispatch_uid=uid + ":m2m")
        return
    post_save.connect(saved, sender=sender, weak=False, dispatch_uid=uid + ":save")
    post_delete.connect(deleted, sender=sender, weak=False, dispatch_uid=uid + ":delete")


# --- Values kept in process memory ---------------------------------------------------------------


class ProcessMemo(Generic[T]):
    """`build(*key)` kept in this process's memory while `version` is current.

    `max_age_setting` names the setting that bounds how stale a process can be after a change
    that moved no version (a `QuerySet.update()` in a shell, a restore): after that many seconds
    it rebuilds anyway. Threads that miss together wait for one build and share its result.
    A value is shared by every request and thread: never mutate it.
    """

    def __init__(self, version: Version, build: Callable[..., T], *, max_age_setting: str):
        self.version = version
        self.build = build
        self.max_age_setting = max_age_setting
        # slot -> (key, version, built at, value): a slot holds one value, so a key that moves
        # on (a new ISO week) replaces the old value instead of piling up beside it.
        self._values: dict[Hashable, tuple[tuple, object, float, T]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        _MEMOS.append(self)

    def get(self, *key: Hashable, slot: Hashable | None = None, max_age: float | None = None) -> T:
        """The value for `key`; `slot` (default: the key) names where it is kept, `max_age`
        overrides the setting."""
        if max_age is None:
            max_age = float(getattr(settings, self.max_age_setting))
        slot = key if slot is None else slot

        def current(number):
            held = self._values.get(slot)
            fresh = (
                held is not None
                and held[0] == key
                and held[1] == number
                and time.monotonic() - held[2] < max_age
            )
            return held if fresh else None

        number = self.version.current()
        if number is None:
            return self.build(*key)  # the shared cache is down: nothing can be known current
        held = current(number)
        if held is not None:
            return held[3]
        with self._lock(slot):
            number = self.version.current()  # it may have moved while this thread waited
            if number is None:
                return self.build(*key)
            held = current(number)
            if held is not None:
                return held[3]  # built by the thread we waited for
            built_at = time.monotonic()
            value = self.build(*key)
            self._values[slot] = (key, number, built_at, value)
            return value

    def _lock(self, slot: Hashable) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(slot, threading.Lock())

    def clear(self) -> None:
        self._values.clear()


def clear_process_values() -> None:
    """Forget every value this process keeps in memory (tests: each starts from the database)."""
    for memo in _MEMOS:
        memo.clear()
    caches["local"].clear()


# --- The Redis backend ------------------------------------------------------------------------
#
# Django keeps cache objects per context (asgiref `Local`), and every WebSocket consumer is a
# context of its own that lives as long as the socket: with Django's backend each open chat held
# its own connection pool, and `get_client` built a new `redis.Redis` (~170 response callbacks)
# on every call. `make bench` measured ~13 KiB more RSS per idle socket once the client was kept
# per cache object, and ~0.1 ms of CPU per call before that. Pools and clients are safe to
# share between threads and contexts (redis-py resets a pool after a fork), so every cache
# object of the process uses the same ones.

_clients: dict[tuple, object] = {}
_clients_lock = threading.Lock()


class RedisCacheClient(DjangoRedisCacheClient):
    def get_client(self, key=None, *, write=False):
        server = self._servers[self._get_connection_pool_index(write)]
        ident = (server, repr(sorted(self._pool_options.items())))
        client = _clients.get(ident)
        if client is None:
            with _clients_lock:
                client = _clients.get(ident)
                if client is None:
                    pool = self._pool_class.from_url(server, **self._pool_options)
                    client = _clients[ident] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def count(self, key, period: int, version=None) -> tuple[int, float]:
        """Add one to the counter under `key`, which expires `period` seconds after its first
        count; returns the count and the seconds left. One round trip (`core.throttling`)."""
        key = self.make_and_validate_key(key, version=version)
        pipe = self._cache.get_client(key, write=True).pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, int(period), nx=True)
        pipe.pttl(key)
        count, _, left_ms = pipe.execute()
        return int(count), max(0, left_ms) / 1000
