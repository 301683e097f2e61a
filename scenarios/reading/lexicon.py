"""Words as the reader sees them: lemmas (simplemma), synonym groups, numbers and small typos.

Every finding of the reader rests on `Token`s, and every token remembers where it sits in the
message, so a finding can always quote the exact words it came from. Synonyms live in
`synonyms.yaml` beside this module (data, not code); nothing is downloaded at run time.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from scenarios.reading.words import (
    is_known_word,
    lemma_of,
    number_words,
    split_words,
    word_set,
)

SYNONYMS_FILE = Path(__file__).with_name("synonyms.yaml")
#: A misspelt word is read as a scenario word when RapidFuzz's ratio reaches this.
TYPO_SIMILARITY = 80
#: Shorter words are never corrected; only words unknown to the dictionary are ("mch").
TYPO_MIN_LENGTH = 2

NUMBER_WORDS = number_words()
STRUCTURE_WORDS = word_set("structure")
STOP_WORDS = (STRUCTURE_WORDS | word_set("stop")) - word_set("topic_particles")
NEGATORS = word_set("negators")


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a message. `concepts` holds the lemma and every synonym group it belongs
    to, so two tokens mean the same thing when their concepts meet."""

    text: str
    lemma: str
    start: int
    end: int
    number: float | None = None
    concepts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Synonyms:
    #: lemma -> the groups it belongs to
    words: dict[str, frozenset[str]]
    #: lemma tuple (all words) -> groups, for phrases with function words ("how long")
    full_phrases: dict[tuple[str, ...], frozenset[str]]
    #: content-lemma tuple -> groups, for phrases read without function words ("turn it off")
    content_phrases: dict[tuple[str, ...], frozenset[str]]
    longest: int
    groups: frozenset[str] = frozenset()


@functools.cache
def synonyms() -> Synonyms:
    groups = yaml.safe_load(SYNONYMS_FILE.read_text())["groups"]
    words: dict[str, set[str]] = {}
    full: dict[tuple[str, ...], set[str]] = {}
    content: dict[tuple[str, ...], set[str]] = {}
    for group in groups:
        name = "~" + "_".join(lemma_of(word) for word, _, _ in split_words(str(group[0])))
        for entry in group:
            lemmas = tuple(lemma_of(word) for word, _, _ in split_words(str(entry)))
            if len(lemmas) == 1:
                words.setdefault(lemmas[0], set()).add(name)
                if "-" in lemmas[0]:  # "wi-fi" is also "wifi" and "wi fi"
                    words.setdefault(lemmas[0].replace("-", ""), set()).add(name)
                    full.setdefault(tuple(lemmas[0].split("-")), set()).add(name)
                continue
            full.setdefault(lemmas, set()).add(name)
            kept = tuple(lemma for lemma in lemmas if lemma not in STOP_WORDS)
            if len(kept) >= 2:
                content.setdefault(kept, set()).add(name)
    longest = max([len(k) for k in (*full, *content)] or [1])
    return Synonyms(
        words={lemma: frozenset(names) for lemma, names in words.items()},
        full_phrases={key: frozenset(value) for key, value in full.items()},
        content_phrases={key: frozenset(value) for key, value in content.items()},
        longest=longest,
        groups=frozenset(name for names in words.values() for name in names),
    )


def _number(word: str) -> float | None:
    if "-" in word and all(part.lower() in NUMBER_WORDS for part in word.split("-")):
        return float(sum(NUMBER_WORDS[part.lower()] for part in word.split("-")))
    if word[0].isdigit():
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+", word):
            return float(word.replace(",", ""))
        try:
            return float(word.replace(",", "."))
        except ValueError:
            return None
    value = NUMBER_WORDS.get(word.lower())
    return float(value) if value is not None else None


@functools.lru_cache(maxsize=8192)
def tokenize(text: str, vocabulary: frozenset[str] = frozenset()) -> tuple[Token, ...]:
    """The message's words with lemmas, numbers and synonym groups. Unknown words close to a
    word of `vocabulary` (the scenario's own words) are read as that word: small typos."""
    table = synonyms()
    raw = split_words(text or "")
    lemmas: list[str] = []
    numbers: list[float | None] = []
    for word, _start, _end in raw:
        number = _number(word)
        numbers.append(number)
        if number is not None and (word[0].isdigit() or "-" in word):
            lemmas.append(word)
            continue
        lemma = lemma_of(word)
        if (
            vocabulary
            and len(word) >= TYPO_MIN_LENGTH
            and word not in STOP_WORDS
            and word.isalpha()
            and not is_known_word(word)
        ):
            lemma = _typo_fix(word, vocabulary) or lemma
        lemmas.append(lemma)

    _join_number_words(raw, numbers)
    concepts: list[set[str]] = [_word_concepts(lemma, table) for lemma in lemmas]
    _half_hours(lemmas, numbers, concepts)
    for index, number in enumerate(numbers):
        if number is not None:
            concepts[index].add(f"#{number:g}")
    _mark_phrases(lemmas, concepts, table.full_phrases, range(len(lemmas)), table.longest)
    content_positions = [i for i, lemma in enumerate(lemmas) if lemma not in STOP_WORDS]
    _mark_phrases(lemmas, concepts, table.content_phrases, content_positions, table.longest)
    _mark_split_pairs(lemmas, concepts, table.content_phrases, content_positions)
    if "again" in lemmas:
        # "connect it to Google again" is "reconnect", "install it again" "reinstall".
        for found in concepts:
            found |= {f"~re{group[1:]}" for group in found if f"~re{group[1:]}" in table.groups}
    return tuple(
        Token(word, lemmas[i], start, end, numbers[i], frozenset(concepts[i]))
        for i, (word, start, end) in enumerate(raw)
    )


def _half_hours(lemmas, numbers, concepts) -> None:
    """ "Half an hour" is 30 minutes and "a quarter of an hour" 15: the key phrase "every 30
    minutes" is said either way."""
    for index, lemma in enumerate(lemmas):
        if lemma not in ("half", "quarter") or numbers[index] is not None:
            continue
        rest = [word for word in lemmas[index + 1 : index + 4] if word not in ("an", "a", "of")]
        if rest[:1] == ["hour"]:
            numbers[index] = 30.0 if lemma == "half" else 15.0
            concepts[index] |= {"minute", *synonyms().words.get("minute", ())}


def _join_number_words(raw, numbers: list[float | None]) -> None:
    """ "three hundred and fifty" is 350 and "forty-eight" 48: the value goes to the first
    word of the run, the other words of it lose theirs (so 50 is not read as well)."""
    index = 0
    while index < len(raw):
        if numbers[index] is None or raw[index][0][0].isdigit():
            index += 1
            continue
        total, current, end = 0.0, numbers[index], index + 1
        while end < len(raw):
            word = raw[end][0]
            value = numbers[end]
            if word == "and" and end + 1 < len(raw) and numbers[end + 1] is not None:
                end += 1
                continue
            if value is None or word[0].isdigit():
                break
            if value == 100:
                current *= 100
            elif value < 10 <= current % 100 or (value < 100 and current % 100 == 0):
                current += value
            else:
                break
            end += 1
        total += current
        numbers[index] = total
        for other in range(index + 1, end):
            numbers[other] = None
        index = end


def _word_concepts(lemma: str, table: Synonyms) -> set[str]:
    concepts = {lemma, *table.words.get(lemma, ())}
    if "-" in lemma:
        joined = lemma.replace("-", "")
        concepts |= {joined, *table.words.get(joined, ())}
        # "Idempotency-Key" is also its parts, so the key phrase "idempotency key" is said.
        for part in lemma.split("-"):
            if part:
                concepts |= {part, *table.words.get(part, ())}
        concepts |= table.full_phrases.get(tuple(lemma.split("-")), frozenset())
    return concepts


def _mark_phrases(lemmas, concepts, phrases, positions, longest) -> None:
    """Adds a phrase's group to every word of each occurrence, over the given positions."""
    starts = _phrase_starts(id(phrases), phrases)
    positions = list(positions)
    for index, position in enumerate(positions):
        sizes = starts.get(lemmas[position])
        if not sizes:
            continue
        for size in sizes:
            window = positions[index : index + size]
            if len(window) < size:
                continue
            groups = phrases.get(tuple(lemmas[p] for p in window))
            if groups:
                for place in window:
                    concepts[place] |= groups
                break


def _mark_split_pairs(lemmas, concepts, phrases, positions) -> None:
    """A two-word phrase with one other word between ("spare login codes" is "spare codes",
    "switch the router off" is "switch off"): its group goes to its two words."""
    starts = _phrase_starts(id(phrases), phrases)
    for index in range(len(positions) - 2):
        first, last = positions[index], positions[index + 2]
        if 2 not in starts.get(lemmas[first], ()):
            continue
        groups = phrases.get((lemmas[first], lemmas[last]))
        if groups:
            concepts[first] |= groups
            concepts[last] |= groups


_STARTS: dict[int, dict[str, tuple[int, ...]]] = {}


def _phrase_starts(key: int, phrases) -> dict[str, tuple[int, ...]]:
    """For each first word, the lengths of the phrases it starts, longest first."""
    starts = _STARTS.get(key)
    if starts is None:
        found: dict[str, set[int]] = {}
        for phrase in phrases:
            found.setdefault(phrase[0], set()).add(len(phrase))
        starts = _STARTS[key] = {
            word: tuple(sorted(sizes, reverse=True)) for word, sizes in found.items()
        }
    return starts


@functools.lru_cache(maxsize=16384)
def _typo_fix(word: str, vocabulary: frozenset[str]) -> str | None:
    lowered = word.lower()
    candidates = [w for w in vocabulary if w[:1] == lowered[:1] and abs(len(w) - len(lowered)) <= 2]
    if not candidates:
        return None
    best = process.extractOne(lowered, candidates, scorer=fuzz.ratio, score_cutoff=TYPO_SIMILARITY)
    return lemma_of(best[0]) if best else None


@dataclass(frozen=True)
class TopicWord:
    """A word of an `asked_by` entry or a key phrase: its own lemma, and all it may match."""

    lemma: str
    concepts: frozenset[str]


def topic_words(text: str, *, numbers: bool = False) -> list[TopicWord]:
    """The topic words of a short text (an `asked_by` entry, a key phrase); function words are
    dropped. A text that is a synonym phrase as a whole ("how many times") is that phrase's
    group alone, not its leftover words ("times")."""
    tokens = tokenize(text)
    groups = synonyms().full_phrases.get(tuple(token.lemma for token in tokens))
    if groups:
        return [TopicWord(min(groups), groups)]
    return [
        TopicWord(token.lemma if token.number is None else f"#{token.number:g}", token.concepts)
        for token in tokens
        if token.lemma not in STOP_WORDS and (numbers or token.number is None)
    ]


def concepts_of(text: str) -> list[frozenset[str]]:
    return [word.concepts for word in topic_words(text)]


def words_of(text: str) -> set[str]:
    """Plain lower-case words and lemmas of a text: the vocabulary typos are read against."""
    out: set[str] = set()
    for word, _start, _end in split_words(text):
        if word.isalpha() and len(word) >= TYPO_MIN_LENGTH:
            out.add(word)
            out.add(lemma_of(word))
    return out
