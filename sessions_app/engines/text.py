"""Small text helpers of the engines: a process-stable seed and the streaming chunks.

What the agent's words mean is `scenarios.reading`'s job, not this module's."""

from __future__ import annotations

import hashlib
import re


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
