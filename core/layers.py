"""The in-memory channel layer (`make run`, one process), without its per-call full scan.

Channels' `InMemoryChannelLayer` looks through every channel's queue and every group's
members for expired entries on every `receive` and `group_send`: with each chat socket in two
groups, a turn's dozen layer calls each walked all sockets of the process, and at 500
trainees the layer alone took most of the CPU (`make bench`: first word after 5.4 s). Expired
entries (messages after `expiry` seconds, memberships after a day) are removed here at most
once a second, which changes nothing that can be observed at those time scales.
"""

from __future__ import annotations

import time

from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer

CLEAN_EVERY_SECONDS = 1.0


class InMemoryChannelLayer(ChannelsInMemoryChannelLayer):
    _next_clean = 0.0

    def _clean_expired(self):
        now = time.monotonic()
        if now < self._next_clean:
            return
        self._next_clean = now + CLEAN_EVERY_SECONDS
        super()._clean_expired()
