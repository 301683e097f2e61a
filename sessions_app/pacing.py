"""How fast the simulated customer answers: like a person, not like a machine.

A person reads the message first, then types. So the first word waits for a pause that grows
with the length of what the trainee wrote, and each later word waits for the time it takes to
type it. Typing speed follows the persona's `communication_style.verbosity`: someone who writes
long messages types them quickly, so a long reply does not drag, and a terse person's three words
still take a moment.

Pacing wraps any engine's stream (the offline engine's words, a model's tokens) and only ever
adds the time a delta has not already taken to arrive, so a slow model is not slowed further.
It is off in tests and benchmarks (`CUSTOMER_PACING`), and each trainee can turn it off in
their profile (`User.paced_replies`). Sync callers (the REST API) take the whole reply at once
and are never paced.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass

#: Seconds to "read" the trainee's message: a base, a little per character, and a cap.
READ_BASE = 0.5
READ_PER_CHAR = 0.01
READ_MAX = 2.5
#: Typing speed, in characters per second, by how verbose the persona is.
CHARS_PER_SECOND = {"short": 18.0, "normal": 26.0, "long": 36.0}
SHORT_WORDS = frozenset({"short", "terse", "brief", "concise", "curt", "minimal", "clipped"})
LONG_WORDS = frozenset(
    {"long", "verbose", "chatty", "detailed", "rambling", "wordy", "talkative", "long-winded"}
)


@dataclass(frozen=True)
class Pacing:
    read_seconds: float
    chars_per_second: float

    @classmethod
    def off(cls) -> Pacing:
        return cls(read_seconds=0.0, chars_per_second=0.0)

    @property
    def enabled(self) -> bool:
        return self.read_seconds > 0 or self.chars_per_second > 0

    def typing_seconds(self, delta: str) -> float:
        return len(delta) / self.chars_per_second if self.chars_per_second > 0 else 0.0


def verbosity_of(persona: dict) -> str:
    """`short`, `normal` or `long` from the persona's own words for how it writes."""
    style = persona.get("communication_style") or {}
    words = set(str(style.get("verbosity", "")).lower().replace(",", " ").split())
    if words & LONG_WORDS:
        return "long"
    if words & SHORT_WORDS:
        return "short"
    return "normal"


def pacing_for(*, persona: dict, agent_text: str, enabled: bool) -> Pacing:
    """The pace of the customer's next reply to `agent_text`."""
    if not enabled:
        return Pacing.off()
    read = min(READ_MAX, READ_BASE + READ_PER_CHAR * len(agent_text))
    return Pacing(read_seconds=read, chars_per_second=CHARS_PER_SECOND[verbosity_of(persona)])


async def paced(
    stream: AsyncIterator[str] | Iterable[str],
    pacing: Pacing,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] = asyncio.sleep,
) -> AsyncIterator[str]:
    """`stream`'s deltas, each released no earlier than a person would have typed it."""
    if not pacing.enabled:
        async for delta in _aiter(stream):
            yield delta
        return
    due = clock() + pacing.read_seconds
    async for delta in _aiter(stream):
        due += pacing.typing_seconds(delta)
        wait = due - clock()
        if wait > 0:
            await sleep(wait)
        yield delta


async def _aiter(stream):
    if hasattr(stream, "__aiter__"):
        async for item in stream:
            yield item
    else:
        for item in stream:
            yield item
