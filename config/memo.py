"""Read-mostly data kept in each process's memory, invalidated through the shared cache.

The scenario catalogue is read on every catalogue page, list call and dashboard, and changes
only when an author saves. Fetching it from Redis would mean unpickling every row on every
request, which costs more than the query it saves (`make bench`); so each process keeps the
built value itself and only asks the shared cache for a small version token. Whoever changes
the data bumps the token (`invalidate`), and every process rebuilds on its next read.

`max_age` bounds how stale a process can be when a change bypasses `invalidate` (a
`QuerySet.update()` in a shell, a restore): after that many seconds it rebuilds anyway.
Two threads may build at the same moment after a change; both results are equal, so the
last one simply wins (cheaper than a lock every reader would pass through).
"""

from __future__ import annotations

import time
import uuid
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
        # key -> (version, built at, value)
        self._values: dict[Hashable, tuple[str, float, T]] = {}
        _REGISTRY.append(self)

    def _version(self) -> str:
        version = cache.get(self._version_key)
        if version is None:
            # First read, or the cache was flushed: a fresh token makes every process rebuild.
            cache.add(self._version_key, uuid.uuid4().hex, timeout=None)
            version = cache.get(self._version_key) or ""
        return version

    def get(self, *key: Hashable) -> T:
        max_age = float(getattr(settings, self.max_age_setting))
        if max_age <= 0:
            return self.build(*key)
        version = self._version()
        now = time.monotonic()
        held = self._values.get(key)
        if held is not None and held[0] == version and now - held[1] < max_age:
            return held[2]
        value = self.build(*key)
        self._values[key] = (version, now, value)
        return value

    def invalidate(self) -> None:
        """Now (so this process and test code see the change at once) and again after the
        transaction commits (so no process keeps a value built from uncommitted data)."""
        self._bump()
        transaction.on_commit(self._bump)

    def _bump(self) -> None:
        cache.set(self._version_key, uuid.uuid4().hex, timeout=None)

    def clear(self) -> None:
        self._values.clear()


def clear_all() -> None:
    """Forget every process-local value (tests: each test starts from the database)."""
    for memo in _REGISTRY:
        memo.clear()
