"""Tolerant text matching shared by the engines: did the agent say this phrase, ask this word?

Trainees type fast and loosely, so "Ten seconds", "10 SECONDS" and "10 second" all deliver the
key phrase "10 seconds"; but a different number ("30 seconds") never does.
"""

from __future__ import annotations

import functools
import hashlib
import re

from rapidfuzz import fuzz

NUMBER_WORDS = {
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "fourteen": "14",
    "fifteen": "15",
    "sixteen": "16",
    "seventeen": "17",
    "eighteen": "18",
    "nineteen": "19",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "ninety": "90",
    "hundred": "100",
}
FUZZY_THRESHOLD = 90
# Below this length a fuzzy match is mostly noise ("wifi" ~ "wife"); short phrases match exactly.
FUZZY_MIN_LENGTH = 6

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


# The engines ask about the same texts every turn (each reply rescans the whole transcript for
# key phrases), so results are memoised: `make bench` found matching was ~80% of a turn's CPU.
# Bounded, so a process holds at most a few MB of them.
@functools.lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Lower case, punctuation dropped, number words as digits, single spaces."""
    words = _WORD.findall((text or "").lower().replace("’", "'"))
    return " ".join(NUMBER_WORDS.get(word, word) for word in words)


@functools.lru_cache(maxsize=2048)
def _boundary_pattern(normalised_phrase: str) -> re.Pattern:
    # An optional plural ending: asking about "lights" asks about "light".
    return re.compile(rf"(?<![a-z0-9]){re.escape(normalised_phrase)}(?:s|es)?(?![a-z0-9])")


@functools.lru_cache(maxsize=8192)
def contains_phrase(text: str, phrase: str, *, fuzzy: bool = True) -> bool:
    """Whether `phrase` occurs in `text`, word-bounded, case-insensitive; with `fuzzy`, a long
    phrase may also match with small typos (rapidfuzz partial ratio), numbers always exactly."""
    needle = normalise(phrase)
    haystack = normalise(text)
    if not needle or not haystack:
        return False
    if _boundary_pattern(needle).search(haystack):
        return True
    if not fuzzy or len(needle) < FUZZY_MIN_LENGTH:
        return False
    numbers = [word for word in needle.split() if word.isdigit()]
    haystack_words = set(haystack.split())
    if any(number not in haystack_words for number in numbers):
        return False
    return fuzz.partial_ratio(needle, haystack) >= FUZZY_THRESHOLD


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split((text or "").strip()) if part.strip()]


def stable_seed(*parts) -> int:
    """A hash that is the same in every process (Python's `hash` is salted per process)."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def chunk_words(text: str, *, words_per_chunk: int = 2) -> list[str]:
    """Split text into deltas of a word or two, keeping every character (joined = original)."""
    tokens = re.findall(r"\s*\S+\s*", text)
    if not tokens:
        return [text] if text else []
    return [
        "".join(tokens[index : index + words_per_chunk])
        for index in range(0, len(tokens), words_per_chunk)
    ]
