"""The reader's vocabulary: word lists from `words.yaml`, and how a word becomes a lemma.

Lists are data, kept out of the rules' code; phrases in them are split and lemmatised exactly
as messages are, so a listed phrase and a typed one always compare alike.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import simplemma
import yaml

WORDS_FILE = Path(__file__).with_name("words.yaml")

# Numbers ("12,000", "2.4"), then words, hyphenated compounds ("wi-fi", "two-factor") as one.
_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*|[A-Za-z]+(?:-[A-Za-z]+)*(?:['’][A-Za-z]+)?")
_CONTRACTIONS = {
    "n't": "not",
    "'m": "am",
    "'re": "are",
    "'ve": "have",
    "'ll": "will",
    "'d": "would",
    "'s": "is",
}
_IRREGULAR_NEGATIONS = {"can't": "can", "won't": "will", "shan't": "shall", "ain't": "is"}


@functools.cache
def _data() -> dict:
    return yaml.safe_load(WORDS_FILE.read_text())


def word_set(name: str) -> frozenset[str]:
    """A list of single words (a space-separated string or a YAML list)."""
    value = _data()[name]
    words = value.split() if isinstance(value, str) else [str(item) for item in value]
    return frozenset(word.lower() for word in words)


def phrase_list(name: str) -> tuple[tuple[str, ...], ...]:
    """A list of phrases, each as the lemmas a message with those words would have."""
    return tuple(
        tuple(lemma_of(word) for word, _start, _end in split_words(str(item)))
        for item in _data()[name]
    )


def number_words() -> dict[str, int]:
    return {str(word): int(value) for word, value in _data()["numbers"].items()}


@functools.lru_cache(maxsize=65536)
def lemma_of(word: str) -> str:
    word = word.lower()
    if "-" in word:
        head, _, last = word.rpartition("-")
        return f"{head}-{lemma_of(last)}" if last.isalpha() else word
    if not word.isalpha():
        return word
    return simplemma.lemmatize(word, lang="en").lower()


@functools.lru_cache(maxsize=65536)
def is_known_word(word: str) -> bool:
    return simplemma.is_known(word.lower(), lang="en")


def split_words(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) in lower case, contractions split: "don't" gives "do" and "not",
    both spanning the whole written word so that quotes stay exact."""
    out: list[tuple[str, int, int]] = []
    for match in _TOKEN_RE.finditer(text):
        lower = match.group(0).replace("’", "'").lower()
        start, end = match.span()
        if lower in _IRREGULAR_NEGATIONS:
            out += [(_IRREGULAR_NEGATIONS[lower], start, end), ("not", start, end)]
            continue
        if "'" not in lower:
            out.append((lower, start, end))
            continue
        for suffix, expansion in _CONTRACTIONS.items():
            if lower.endswith(suffix) and len(lower) > len(suffix):
                out += [(lower[: -len(suffix)], start, end), (expansion, start, end)]
                break
        else:
            out.append((lower.split("'")[0], start, end))  # "Dana's" reads as "Dana"
    return out


class PhraseIndex:
    """Many phrases, found by their first word: a clause is scanned once, trying at each word
    only the phrases that can start there (trying every phrase at every word was most of a
    turn's CPU)."""

    def __init__(self, phrases):
        self.by_first: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for order, phrase in enumerate(phrases):
            if phrase:
                self.by_first.setdefault(phrase[0], []).append((order, tuple(phrase)))

    def starts(self, lemmas: list[str], texts: list[str]) -> bool:
        """Whether one of the phrases opens the clause."""
        for first in {lemmas[0], texts[0]} if lemmas else ():
            for _order, phrase in self.by_first.get(first, ()):
                if len(phrase) <= len(lemmas) and all(
                    word in (lemmas[k], texts[k]) for k, word in enumerate(phrase)
                ):
                    return True
        return False

    def matches(self, lemmas: list[str], texts: list[str]) -> list[tuple[int, tuple[str, ...]]]:
        """(position, phrase) of every occurrence, in the phrases' order, then by position."""
        found = []
        by_first = self.by_first
        for index, (lemma, text) in enumerate(zip(lemmas, texts, strict=True)):
            for first in (lemma,) if lemma == text else (lemma, text):
                if first not in by_first:
                    continue
                for order, phrase in by_first[first]:
                    size = len(phrase)
                    if index + size <= len(lemmas) and all(
                        word in (lemmas[index + k], texts[index + k])
                        for k, word in enumerate(phrase)
                    ):
                        found.append((order, index, phrase))
        found.sort()
        return [(index, phrase) for _order, index, phrase in found]
