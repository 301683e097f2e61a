"""A scenario compiled for reading: its facts, fixes and forbidden phrases as concepts.

Compiling lemmatises every `asked_by` entry, key phrase and knowledge-base text once per
scenario version (a content hash), not once per message.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass

from scenarios.reading.lexicon import (
    STOP_WORDS,
    TopicWord,
    concepts_of,
    synonyms,
    tokenize,
    topic_words,
    words_of,
)
from scenarios.reading.words import word_set

# Key-phrase words that only measure something: "10 seconds" is about the number, so the word
# alone ("wait a second") neither delivers nor contradicts the fix.
UNIT_WORDS = word_set("units")
JARGON = tuple(sorted(word_set("jargon")))


@dataclass(frozen=True)
class FactModel:
    key: str
    answer: str
    entries: tuple[AskedBy, ...]
    #: what the answer talks about and nothing else in the scenario does: a question about
    #: these is a question about this fact, whatever words the author listed
    answer_concepts: frozenset[str]
    #: `asked_by` entries made only of small words ("need it"), matched as written
    phrases: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class KeyPhrase:
    text: str
    words: tuple[frozenset[str], ...]
    numbers: tuple[float, ...]

    @property
    def unit_only(self) -> bool:
        """Only a number and its unit: mentioning the unit alone says nothing of this fix."""
        return all(word & UNIT_WORDS for word in self.words)


@dataclass(frozen=True)
class EntryModel:
    id: str
    title: str
    phrases: tuple[KeyPhrase, ...]

    def phrase(self, text: str) -> KeyPhrase:
        return next(phrase for phrase in self.phrases if phrase.text == text)

    #: every concept of the entry's title, body and key phrases
    vocabulary: frozenset[str]
    #: the concepts of its title alone: what the fix is about ("account", "lockout")
    title_concepts: frozenset[str] = frozenset()


# Compared and hashed by identity: models are cached per scenario version, and a message's
# reading is cached per (model, text), so hashing every field on each lookup would be waste.
@dataclass(frozen=True, eq=False)
class ScenarioModel:
    key: str
    facts: tuple[FactModel, ...]
    entries: tuple[EntryModel, ...]
    required: tuple[str, ...]
    forbidden: tuple[tuple[str, tuple[str, ...]], ...]
    vocabulary: frozenset[str]
    #: what the customer's own words (ticket, facts) mean: advice made only of these repeats
    #: the problem back instead of coming from the knowledge base
    customer_concepts: frozenset[str]
    names: frozenset[str]
    novice: bool
    known_words: frozenset[str]
    #: what the ticket talks about: a topic word among it is in every question about the problem
    ticket_concepts: frozenset[str] = frozenset()
    #: the customer's confirm line: a trainee who quotes it is scripting the customer
    confirm: str = ""
    #: key phrases and `asked_by` entries as lemma sequences: pasted alone, they are keywords
    echoes: frozenset[tuple[str, ...]] = frozenset()

    def entry(self, entry_id: str) -> EntryModel | None:
        return next((entry for entry in self.entries if entry.id == entry_id), None)


def scenario_key(scenario: dict) -> str:
    payload = json.dumps(
        {
            "persona": scenario.get("customer_persona"),
            "ticket": scenario.get("ticket_template"),
            "kb": scenario.get("knowledge_base_entries"),
            "forbidden": (scenario.get("assessment_criteria") or {}).get("forbidden_phrases"),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha1(payload.encode(), usedforsecurity=False).hexdigest()


def model_for(scenario: dict) -> ScenarioModel:
    """The compiled model of a scenario document, by its content. A session's snapshot is the
    same object turn after turn and never changes, so the document's identity finds its model
    before its content hash has to be worked out (the hash was a tenth of a turn's CPU)."""
    known = _BY_IDENTITY.get(id(scenario))
    if known is not None and known[0] is scenario:
        return known[1]
    key = scenario_key(scenario)
    model = _BY_KEY.get(key)
    if model is None:
        if len(_BY_KEY) >= 256:
            _BY_KEY.clear()
        model = _BY_KEY[key] = compile_scenario(scenario, key=key)
    if len(_BY_IDENTITY) >= 64:
        _BY_IDENTITY.clear()
    _BY_IDENTITY[id(scenario)] = (scenario, model)
    return model


# Both bounded: a process sees a few scenario versions at a time.
_BY_KEY: dict[str, ScenarioModel] = {}
_BY_IDENTITY: dict[int, tuple[dict, ScenarioModel]] = {}


def _text(value) -> str:
    if isinstance(value, dict):
        return " ".join(f"{k} {_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return " ".join(_text(v) for v in value)
    return str(value or "")


def _concept_set(text: str) -> frozenset[str]:
    return frozenset().union(*concepts_of(text)) if text.strip() else frozenset()


_ENTRY_WH = frozenset({"which", "what", "who", "whose"})
_QUESTION_WORDS = _ENTRY_WH | {"when", "where", "why", "how", "did", "do", "does", "is", "are"}


@dataclass(frozen=True)
class AskedBy:
    """One `asked_by` entry: a topic ("reset button") or an example question ("when did the
    problem start?")."""

    words: tuple[TopicWord, ...]
    #: written as a "which …" question ("which email"): only a question with a question word
    #: asks it, not any sentence that mentions an email
    needs_question_word: bool = False
    #: an example question: most of what it is about suffices, not every word of it
    example: bool = False


def _asked_by_entry(text: str) -> AskedBy:
    words = tuple(topic_words(text, numbers=True))
    tokens = tokenize(text)
    first = tokens[0].text.lower() if tokens else ""
    phrase_group = len(words) == 1 and words[0].lemma.startswith("~")
    return AskedBy(
        words=words,
        needs_question_word=bool(words) and first in _ENTRY_WH and not phrase_group,
        example=not phrase_group and (first in _QUESTION_WORDS or len(tokens) >= 4),
    )


def _with_answer_concepts(facts: list[FactModel], ticket: str) -> list[FactModel]:
    """Each fact's distinctive answer words: in its answer, in no other answer, not in the
    ticket (every question about the problem shares the ticket's words)."""
    own = {fact.key: _concepts(fact.answer) for fact in facts}
    common = _concepts(ticket)
    for key, lemmas in own.items():
        others = set().union(*(v for k, v in own.items() if k != key)) if len(own) > 1 else set()
        own[key] = lemmas - others - common
    return [
        FactModel(fact.key, fact.answer, fact.entries, frozenset(own[fact.key]), fact.phrases)
        for fact in facts
    ]


def _concepts(text: str) -> set[str]:
    out: set[str] = set()
    for token in tokenize(text):
        if token.lemma not in STOP_WORDS and token.number is None and len(token.lemma) > 2:
            out |= token.concepts
    return out


@functools.cache
def _common_vocabulary() -> frozenset[str]:
    """Words a typo is read against in every scenario: the synonym groups' and the small
    words ("wich", "hw")."""
    words = {word for word in synonyms().words if word.isalpha() and len(word) >= 3}
    return frozenset(words | {word for word in STOP_WORDS if len(word) >= 3})


def compile_scenario(scenario: dict, *, key: str = "") -> ScenarioModel:
    persona = scenario.get("customer_persona") or {}
    ticket = scenario.get("ticket_template") or {}
    facts = []
    for fact in persona.get("facts") or []:
        if not isinstance(fact, dict) or not fact.get("key"):
            continue
        entries = tuple(
            entry
            for entry in (_asked_by_entry(str(item)) for item in fact.get("asked_by") or [])
            if entry.words
        )
        phrases = tuple(
            lemmas
            for lemmas in (
                tuple(t.lemma for t in tokenize(str(item))) for item in fact.get("asked_by") or []
            )
            if len(lemmas) >= 2 and not topic_words(" ".join(lemmas), numbers=True)
        )
        facts.append(
            FactModel(
                str(fact["key"]), str(fact.get("answer") or ""), entries, frozenset(), phrases
            )
        )
    facts = _with_answer_concepts(facts, str(ticket.get("description") or ""))

    customer_text = " ".join(
        [
            _text(ticket.get("description")),
            _text(ticket.get("customer_info")),
            _text(ticket.get("technical_context")),
            *(_text(f.answer) for f in facts),
        ]
    )
    customer_concepts = _concept_set(customer_text)
    entries = []
    for raw in scenario.get("knowledge_base_entries") or []:
        if not isinstance(raw, dict) or not raw.get("id"):
            continue
        phrases = []
        for phrase in raw.get("key_phrases") or []:
            tokens = tokenize(str(phrase))
            numbers = tuple(t.number for t in tokens if t.number is not None)
            words = tuple(
                t.concepts for t in tokens if t.lemma not in STOP_WORDS and t.number is None
            )
            if words or numbers:
                phrases.append(KeyPhrase(str(phrase), words, numbers))
        if not phrases and raw.get("title"):
            title = str(raw["title"])
            phrases.append(KeyPhrase(title, tuple(concepts_of(title)), ()))
        vocabulary = _concept_set(
            " ".join(
                [_text(raw.get("title")), _text(raw.get("body")), _text(raw.get("key_phrases"))]
            )
        )
        entries.append(
            EntryModel(
                id=str(raw["id"]),
                title=str(raw.get("title") or raw["id"]),
                phrases=tuple(phrases),
                vocabulary=vocabulary,
                title_concepts=_concept_set(_text(raw.get("title"))),
            )
        )

    forbidden = []
    for phrase in (scenario.get("assessment_criteria") or {}).get("forbidden_phrases") or []:
        lemmas = tuple(t.lemma for t in tokenize(str(phrase)))
        if lemmas:
            forbidden.append((str(phrase), lemmas))

    vocabulary: set[str] = set(_common_vocabulary())
    for value in (
        [str(w) for f in persona.get("facts") or [] for w in (f.get("asked_by") or [])]
        + [_text(raw.get("key_phrases")) for raw in scenario.get("knowledge_base_entries") or []]
        + [_text(raw.get("title")) for raw in scenario.get("knowledge_base_entries") or []]
        + [_text(raw.get("body")) for raw in scenario.get("knowledge_base_entries") or []]
        + [str(f.get("answer") or "") for f in persona.get("facts") or []]
    ):
        vocabulary |= words_of(value)
    info = ticket.get("customer_info") or {}
    name = str(persona.get("name") or (info.get("name") if isinstance(info, dict) else "") or "")
    names = frozenset(part.lower() for part in name.split() if part)
    known = " ".join(
        [
            customer_text,
            _text(scenario.get("knowledge_base_entries")),
            _text([f.get("asked_by") for f in persona.get("facts") or [] if isinstance(f, dict)]),
        ]
    )
    return ScenarioModel(
        key=key,
        facts=tuple(facts),
        entries=tuple(entries),
        required=tuple(
            str(r) for r in (persona.get("resolution") or {}).get("requires") or [] if r
        ),
        forbidden=tuple(forbidden),
        vocabulary=frozenset(vocabulary),
        customer_concepts=customer_concepts,
        names=names,
        novice=str(persona.get("technical_level") or "novice").lower() == "novice",
        known_words=frozenset(t.lemma for t in tokenize(known)),
        ticket_concepts=frozenset(_concepts(str(ticket.get("description") or ""))),
        confirm=str((persona.get("resolution") or {}).get("confirm") or "").strip(),
        echoes=frozenset(
            tuple(t.lemma for t in tokenize(str(text)))
            for text in [
                *(
                    p
                    for raw in scenario.get("knowledge_base_entries") or []
                    for p in raw.get("key_phrases") or []
                ),
                *(
                    w
                    for f in persona.get("facts") or []
                    if isinstance(f, dict)
                    for w in f.get("asked_by") or []
                ),
            ]
        ),
    )
