"""Read-mostly data kept in each process's memory, invalidated through the shared cache.

The scenario catalogue and the leaderboard's ranking are read on most pages and change
rarely. Fetching them from Redis would mean unpickling every row on every request, which costs
more than the query it saves (`make bench`); so each process keeps the built value itself and
only asks the shared cache for a small version number. Whoever changes the data bumps it
(`invalidate`), and every process rebuilds on its next read.

`max_age` bounds how stale a process can be when a change bypasses `invalidate` (a
`QuerySet.update()` in a shell, a restore): after that many seconds it rebuilds anyway.
Threads that miss together wait for one build and share its result.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

_REGISTRY: list[SharedVersionMemo] = []


class SharedVersionMemo(Generic[T]):
    def __init__(self, name: str, build: Callable[..., T], *, max_age_setting: str):
        self.name = name
        self.build = build
        self.max_age_setting = max_age_setting
        self._version_key = f"memo:{name}:version"
        # slot -> (key, version, built at, value): a slot holds one value, so a key that moves
        # on (a new ISO week) replaces the old value instead of piling up beside it.
        self._values: dict[Hashable, tuple[tuple, object, float, T]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        _REGISTRY.append(self)

    def version(self):
        return shared_version(self._version_key)

    def get(self, *key: Hashable, slot: Hashable | None = None, max_age: float | None = None) -> T:
        """The value built by `build(*key)`, this process's copy while it is current.
        `slot` (default: the key) names where it is kept; `max_age` overrides the setting."""
        if max_age is None:
            max_age = float(getattr(settings, self.max_age_setting))
        if max_age <= 0:
            return self.build(*key)
        slot = key if slot is None else slot

        def current(version):
            held = self._values.get(slot)
            fresh = (
                held is not None
                and held[0] == key
                and held[1] == version
                and time.monotonic() - held[2] < max_age
            )
            return held if fresh else None

        held = current(self.version())
        if held is not None:
            return held[3]
        with self._lock(slot):
            version = self.version()  # it may have moved while this thread waited
            held = current(version)
            if held is not None:
                return held[3]  # built by the thread we waited for
            built_at = time.monotonic()
            value = self.build(*key)
            self._values[slot] = (key, version, built_at, value)
            return value

    def _lock(self, slot: Hashable) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(slot, threading.Lock())

    def invalidate(self, *, now: bool = False) -> None:
        """Every process rebuilds on its next read (see `bump_version`)."""
        bump_version(self._version_key, now=now)

    def clear(self) -> None:
        self._values.clear()


def shared_version(key: str, *, timeout: float | None = None):
    """The version number under `key` in the shared cache. Missing (first read, or the cache
    was flushed or evicted): a random start, so no reader can take a value built before the
    flush for a current one."""
    version = cache.get(key)
    if version is None:
        fresh = secrets.randbits(62)
        if cache.add(key, fresh, timeout=timeout):
            return fresh
        version = cache.get(key, fresh)
    return version


def bump_version(key: str, *, now: bool = False) -> None:
    """Move the version under `key` on, after the surrounding transaction commits (at once
    outside one), so nobody rebuilds from data they cannot see yet, and a rollback bumps
    nothing. `now=True` bumps before the commit as well, for a writer that reads its own change
    inside the transaction (the bump at commit still follows, so a value built in between does
    not last)."""

    def bump():
        # No version yet (ValueError): the next read starts a fresh one, which invalidates too.
        with contextlib.suppress(ValueError):
            cache.incr(key)

    if now:
        bump()
    transaction.on_commit(bump, robust=True)


def clear_all() -> None:
    """Forget every process-local value (tests: each test starts from the database)."""
    for memo in _REGISTRY:
        memo.clear()
