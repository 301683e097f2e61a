"""What stops a model's reply from showing the trainee what it must not: checked by code,
because a model can be talked into anything.

`LeakGuard` withholds a stream that repeats a secret (the prompt's canary, a hidden fact's
answer, the confirm line too early) or a run of our own instruction wording, even when it is
split across deltas. `paraphrased_fact` catches a hidden fact told in other words.
"""

from __future__ import annotations

import bisect
import functools

from scenarios.reading.lexicon import tokenize
from scenarios.reading.scenario import model_for

# Our own instruction wording is guarded in windows of this many characters (after
# normalising case and spaces): shorter runs are ordinary phrases a customer may well say.
PROMPT_WINDOW = 40
# Author-written secrets (fact answers, the confirm line) shorter than this are not guarded:
# "Yes." or "Thanks!" would withhold ordinary replies.
MIN_SECRET_CHARS = 12
# A reply is held back only once its last characters could be the start of a secret this long.
HOLD_MIN = 6
# A reply that shares this many of a hidden answer's own words tells that answer.
PARAPHRASE_WORDS = 2


def _normalised(text: str) -> tuple[str, list[int]]:
    """`text` lower-cased with every run of spaces as one space, and for each character of
    that the index in `text` it came from."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char.isspace():
            if chars and chars[-1] == " ":
                continue
            char = " "
        chars.append(char.lower())
        origin.append(index)
    return "".join(chars), origin


class LeakGuard:
    """Stops a stream of deltas from showing any of `secrets`, or any `window`-character run
    of `wording`, even when one is split across deltas.

    Text that may be the start of a secret is held back until it is known not to be one. Only
    a start of HOLD_MIN characters or more is held, so ordinary replies stream as they come:
    at most HOLD_MIN - 1 characters of a secret are ever shown. Once a secret appears, nothing
    more is released and `leaked` is set: the caller replaces the whole reply.
    """

    def __init__(self, *, secrets=(), wording=(), window: int = PROMPT_WINDOW):
        self.secrets = sorted({_normalised(str(s).strip())[0] for s in secrets} - {""})
        self.window = window
        self.wording, self.windows = _wording_windows(tuple(wording), window)
        self.longest = max([len(s) for s in self.secrets] + [window - 1 if self.windows else 0])
        self.raw = ""
        self.released = 0
        self.leaked = False

    def feed(self, delta: str) -> str:
        if self.leaked:
            return ""
        self.raw += delta
        norm, origin = _normalised(self.raw)
        if self._contains_secret(norm):
            self.leaked = True
            return ""
        hold = len(norm)
        for start in range(max(0, len(norm) - self.longest), len(norm) - HOLD_MIN + 1):
            if self._may_become_secret(norm[start:]):
                hold = start
                break
        return self._release(origin[hold] if hold < len(norm) else len(self.raw))

    def finish(self) -> str:
        if self.leaked:
            return ""
        return self._release(len(self.raw))

    def _contains_secret(self, norm: str) -> bool:
        if any(secret in norm for secret in self.secrets):
            return True
        width = self.window
        return any(norm[i : i + width] in self.windows for i in range(len(norm) - width + 1))

    def _may_become_secret(self, tail: str) -> bool:
        # `secrets` is sorted, so if any secret starts with `tail`, the first one not below
        # it does: one bisection instead of a scan of every secret (this ran per delta, per
        # possible start, and was ~40% of the engine's CPU over a streamed reply).
        index = bisect.bisect_left(self.secrets, tail)
        if index < len(self.secrets) and self.secrets[index].startswith(tail):
            return True
        return len(tail) < self.window and any(tail in text for text in self.wording)

    def _release(self, cut: int) -> str:
        if cut <= self.released:
            return ""
        ready, self.released = self.raw[self.released : cut], cut
        return ready


@functools.lru_cache(maxsize=16)
def _wording_windows(
    wording: tuple[str, ...], window: int
) -> tuple[tuple[str, ...], frozenset[str]]:
    """The normalised `wording` and all its `window`-character runs. The prompt's wording is
    the same for every reply: building the set took ~2 ms a guard, cached it is free."""
    norms = tuple(_normalised(text)[0] for text in wording)
    windows = frozenset(
        norm[i : i + window] for norm in norms for i in range(len(norm) - window + 1)
    )
    return norms, windows


def paraphrased_facts(scenario: dict, text: str, revealed) -> list[str]:
    """The keys of the hidden facts that `text` tells in its own words ("the little lamp keeps
    flashing amber" for a light blinking orange): two or more of an answer's own words
    (synonyms count), or one of its numbers."""
    model = model_for(scenario)
    tokens = tokenize(text, model.vocabulary)
    numbers = {t.number for t in tokens if t.number is not None and t.number >= 10}
    found = []
    for fact in model.facts:
        if fact.key in revealed:
            continue
        words = {t.lemma for t in tokens if t.number is None and t.concepts & fact.answer_concepts}
        answer_numbers = {
            t.number for t in tokenize(fact.answer) if t.number is not None and t.number >= 10
        }
        if len(words) >= PARAPHRASE_WORDS or numbers & answer_numbers:
            found.append(fact.key)
    return found


def paraphrased_fact(scenario: dict, text: str, revealed) -> str | None:
    """The first hidden fact `text` tells, or None."""
    found = paraphrased_facts(scenario, text, revealed)
    return found[0] if found else None


class GuardChain:
    """Several guards in a row: text passes only once every one of them releases it."""

    def __init__(self, *guards: LeakGuard):
        self.guards = guards

    @property
    def leaked(self) -> bool:
        return any(guard.leaked for guard in self.guards)

    def feed(self, delta: str) -> str:
        for guard in self.guards:
            delta = guard.feed(delta)
        return delta

    def finish(self) -> str:
        out = ""
        for guard in self.guards:
            out = guard.feed(out) + guard.finish()
        return out
