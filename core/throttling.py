"""DRF's rate throttles, counted instead of logged.

DRF's `SimpleRateThrottle` keeps every request's timestamp in a list in the cache: each API
request reads the list, unpickles it (up to 600 floats at 600/min), appends and writes it back.
Two requests of the same caller in two processes can both read the old list, so one of them is
never counted. Here each caller's window is a counter: Redis increments it, sets its expiry on
the first request and reports the time left in one round trip (`RedisCache.count`), every
process counts every request, and `Retry-After` is the real time left.

While Redis is unreachable the throttle fails open, with a warning in the log.

A window starts at the caller's first request and lasts the rate's period (a fixed window per
caller, as GitHub's API counts); the rates themselves are DRF's settings, unchanged.
"""

from __future__ import annotations

import logging

from rest_framework import throttling

from core.cache import CACHE_UNREACHABLE

logger = logging.getLogger(__name__)


def _count(cache, key: str, period: int) -> tuple[int, float]:
    """Add one to the counter under `key`; returns (count, seconds until the window ends)."""
    count = getattr(cache, "count", None)
    if count is not None:
        return count(key, period)
    # Other caches (local memory without REDIS_URL): the same counter, without the time left.
    if cache.add(key, 1, timeout=period):
        return 1, float(period)
    try:
        return cache.incr(key), float(period)
    except ValueError:  # expired between the two calls: this request opens the next window
        cache.add(key, 1, timeout=period)
        return 1, float(period)


class CountingThrottle(throttling.SimpleRateThrottle):
    """`SimpleRateThrottle` with a counter per caller and window (see the module docstring)."""

    cache_format = "throttle:%(scope)s:%(ident)s"

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        try:
            self.count, self.left = _count(self.cache, self.key, self.duration)
        except CACHE_UNREACHABLE as error:
            # Fails open: a Redis outage must not take every API call down with it.
            logger.warning("Throttle not counted (%s): request allowed", type(error).__name__)
            return True
        return self.count <= self.num_requests

    def wait(self):
        return max(1.0, self.left)


# DRF's class first: `ScopedRateThrottle.allow_request` picks the view's scope and rate, then
# hands over to `CountingThrottle.allow_request`.
class AnonRateThrottle(throttling.AnonRateThrottle, CountingThrottle):
    pass


class UserRateThrottle(throttling.UserRateThrottle, CountingThrottle):
    pass


class ScopedRateThrottle(throttling.ScopedRateThrottle, CountingThrottle):
    pass
