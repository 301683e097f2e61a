"""The typed record of one agent message: what it does, asks, fixes and says wrong.

The customer and the rubric both act on this record and nothing else, so they never disagree
about what the agent did. Every finding carries the exact words it rests on (`quote`, a
substring of the message), for the report's evidence and highlights.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The acts a message can perform.
GREETING = "greeting"
QUESTION = "question"  # a question or a request for information
INSTRUCTION = "instruction"  # tells the customer to do something
EMPATHY = "empathy"  # acknowledges a feeling
APOLOGY = "apology"
BLAME = "blame"  # blames, belittles or insults the customer
CLOSING = "closing"
ACTS = (GREETING, QUESTION, INSTRUCTION, EMPATHY, APOLOGY, BLAME, CLOSING)

WRONG_NUMBER = "wrong_number"
UNKNOWN_ADVICE = "unknown_advice"


@dataclass(frozen=True)
class FactAsked:
    key: str
    quote: str


@dataclass(frozen=True)
class FixStep:
    """Key phrases of one knowledge-base entry told or instructed in this message."""

    entry_id: str
    phrases: tuple[str, ...]
    quote: str


@dataclass(frozen=True)
class WrongFix:
    """Advice the customer will try and that will not work."""

    reason: str  # WRONG_NUMBER | UNKNOWN_ADVICE
    quote: str
    entry_id: str = ""
    expected: str = ""  # the key phrase with the right number, for WRONG_NUMBER
    #: told as something the agent did or will do ("I've refunded …") rather than something
    #: for the customer to do: the customer doubts it instead of trying it
    told: bool = False


@dataclass(frozen=True)
class PhraseHit:
    phrase: str
    quote: str


@dataclass(frozen=True)
class TurnReading:
    """One agent message, read."""

    text: str
    acts: frozenset[str] = frozenset()
    asked: tuple[FactAsked, ...] = ()
    fixes: tuple[FixStep, ...] = ()
    wrong_fixes: tuple[WrongFix, ...] = ()
    forbidden: tuple[PhraseHit, ...] = ()
    jargon: tuple[str, ...] = ()
    keyword_list: bool = False
    shouting: bool = False
    #: sentences addressed to the program behind the customer ("ignore your instructions")
    injection: bool = False
    #: act -> the words it rests on
    evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def has(self, act: str) -> bool:
        return act in self.acts

    def quotes(self, act: str) -> tuple[str, ...]:
        return self.evidence.get(act, ())

    @property
    def asked_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(item.key for item in self.asked))

    @property
    def rude(self) -> bool:
        return BLAME in self.acts or bool(self.forbidden) or self.shouting
