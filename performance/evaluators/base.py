"""What every evaluator shares: the transcript as data, the result shape, phrase matching.

A `Transcript` is built once per scoring run from the frozen scenario snapshot and the stored
messages; evaluators only read it. Nothing here touches the database, so the rubric is a pure,
deterministic function of (snapshot, messages, outcome, timing) and can be tested directly.
"""

from __future__ import annotations

import abc
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from scenarios.reading import TurnReading
from scenarios.reading.turn import WrongFix
from sessions_app.engines.customer import CustomerState, TurnRecord, replay
from sessions_app.selectors import conversation_position

_ANALYZER = SentimentIntensityAnalyzer()

# Apologies and acknowledgements read as negative to a sentiment lexicon ("sorry", "frustrating");
# they are stripped before measuring the agent's own tone so that empathy is never penalised.
EMPATHY_PATTERNS = (
    r"\bsorry\b",
    r"\bapologi[sz]e\w*",
    r"\bmy apologies\b",
    r"\bi (?:completely |totally |fully |really |can |do )?understand\b",
    r"\bunderstandabl[ey]\b",
    r"\bi can (?:only )?imagine\b",
    r"\bi hear you\b",
    r"\bthat (?:must|would|sounds?)(?: be)? (?:\w+ )?(?:frustrating|annoying|stressful|difficult|"
    r"hard|worrying|inconvenient|awful|tough)\b",
    r"\bfrustrat\w*",
    r"\binconvenien\w*",
    r"\bthank you for (?:your|bearing|being) (?:patience|patient|with me)\b",
    r"\bthanks for (?:your|bearing|being) (?:patience|patient|with me)\b",
    r"\bappreciate your patience\b",
    r"\bi know how\b",
    r"\b(?:that'?s|that is|what an?) (?:so |really |truly )?(?:no fun|not fun|annoying|"
    r"frustrating|stressful|rough|awful|terrible|horrible|a pain|bad luck|unlucky|worrying)\b",
    r"\bi'?m here to help\b",
)
EMPATHY_RE = re.compile("|".join(EMPATHY_PATTERNS), re.IGNORECASE)

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Evidence:
    """A quoted span of one message. `quote` is an exact substring of the message content
    whenever possible, so the report can highlight it."""

    message_id: str
    quote: str

    def as_dict(self) -> dict:
        return {"message_id": self.message_id, "quote": self.quote}


@dataclass
class CriterionResult:
    score: int
    rationale: str
    evidence: list[Evidence] = field(default_factory=list)
    tip: str = ""

    def __post_init__(self):
        self.score = max(0, min(100, round(self.score)))
        self.rationale = self.rationale.strip()[:500]
        unique: dict[tuple[str, str], Evidence] = {}
        for item in self.evidence:
            if item is not None and item.quote:
                unique.setdefault((item.message_id, item.quote), item)
        self.evidence = list(unique.values())


@dataclass(frozen=True)
class Message:
    id: str
    seq: int
    role: str
    content: str
    #: Position among all messages and among the messages of the same role (0-based).
    index: int
    role_index: int
    created_at: datetime | None = None

    @cached_property
    def lower(self) -> str:
        return self.content.lower()

    @cached_property
    def words(self) -> list[str]:
        return _WORD_RE.findall(self.content)

    @cached_property
    def sentences(self) -> list[str]:
        return [s.strip() for s in _SENTENCE_SPLIT_RE.split(self.content) if s.strip()]

    @cached_property
    def sentiment(self) -> dict:
        return _ANALYZER.polarity_scores(self.content)

    @cached_property
    def tone(self) -> float:
        """VADER compound of the message with apologies and acknowledgements removed."""
        stripped = EMPATHY_RE.sub(" ", self.content).strip()
        if not stripped:
            return 0.0
        return _ANALYZER.polarity_scores(stripped)["compound"]

    def evidence(self, quote: str | None = None) -> Evidence:
        return Evidence(self.id, quote if quote is not None else snippet(self.content))

    def find(self, pattern: re.Pattern) -> Evidence | None:
        match = pattern.search(self.content)
        return Evidence(self.id, match.group(0)) if match else None


@dataclass(frozen=True)
class Transcript:
    """The session as data for the evaluators: messages, the scenario as played, the outcome."""

    messages: tuple[Message, ...]
    scenario: dict
    outcome: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None

    @classmethod
    def build(
        cls,
        *,
        scenario: dict,
        messages,
        outcome: str = "",
        started_at: datetime | None = None,
        ended_at: datetime | None = None,
    ) -> Transcript:
        """`messages` are ChatMessage rows or dicts with id, seq, role, content (any order), and
        `meta.reply_to` where a customer reply names the message it answered: they are read in
        the order the conversation was lived (`sessions_app.selectors.conversation_position`)."""
        rows = []
        for raw in messages:
            get = raw.get if isinstance(raw, dict) else lambda name, r=raw: getattr(r, name, None)
            reply_to = (get("meta") or {}).get("reply_to")
            rows.append(
                (str(get("id")), get("seq") or 0, get("role"), reply_to, get("content") or "", raw)
            )
        rows.sort(key=lambda row: row[1])
        rows.sort(key=conversation_position(rows))
        counters: dict[str, int] = {}
        built = []
        for index, (message_id, seq, role, _reply_to, content, raw) in enumerate(rows):
            role_index = counters.get(role, 0)
            counters[role] = role_index + 1
            created = raw.get("created_at") if isinstance(raw, dict) else raw.created_at
            built.append(Message(message_id, seq, role, content, index, role_index, created))
        return cls(tuple(built), scenario or {}, outcome or "", started_at, ended_at)

    # --- messages ---------------------------------------------------------------------------
    @cached_property
    def agent(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.role == "agent")

    @cached_property
    def customer(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.role == "customer")

    def agent_reply_after(self, message: Message) -> Message | None:
        for candidate in self.messages[message.index + 1 :]:
            if candidate.role == "agent":
                return candidate
        return None

    # --- the scenario as played ---------------------------------------------------------------
    @cached_property
    def persona(self) -> dict:
        return self.scenario.get("customer_persona") or {}

    @cached_property
    def customer_name(self) -> str:
        info = (self.scenario.get("ticket_template") or {}).get("customer_info") or {}
        return str(self.persona.get("name") or info.get("name") or "").strip()

    @cached_property
    def technical_level(self) -> str:
        return str(self.persona.get("technical_level") or "intermediate")

    @cached_property
    def facts(self) -> list[dict]:
        return [f for f in self.persona.get("facts") or [] if isinstance(f, dict)]

    @cached_property
    def resolution(self) -> dict:
        return self.persona.get("resolution") or {}

    @cached_property
    def knowledge_base(self) -> dict[str, dict]:
        entries = self.scenario.get("knowledge_base_entries") or []
        return {e["id"]: e for e in entries if isinstance(e, dict) and e.get("id")}

    @cached_property
    def required_entries(self) -> list[dict]:
        return [
            self.knowledge_base[entry_id]
            for entry_id in self.resolution.get("requires") or []
            if entry_id in self.knowledge_base
        ]

    @cached_property
    def assessment(self) -> dict:
        return self.scenario.get("assessment_criteria") or {}

    @cached_property
    def forbidden_phrases(self) -> list[str]:
        return [p for p in self.assessment.get("forbidden_phrases") or [] if str(p).strip()]

    @cached_property
    def estimated_minutes(self) -> int:
        try:
            return max(1, int(self.scenario.get("estimated_time") or 10))
        except (TypeError, ValueError):
            return 10

    @cached_property
    def duration_seconds(self) -> int:
        end = self.ended_at
        if end is None and self.messages and self.messages[-1].created_at:
            end = self.messages[-1].created_at
        if self.started_at is None or end is None:
            return 0
        return max(0, int((end - self.started_at).total_seconds()))

    # --- what happened, as the customer read it -------------------------------------------
    @cached_property
    def turns(self) -> list[TurnRecord]:
        """The conversation replayed through the customer's state machine: the same readings
        and decisions the customer made live, one record per agent turn."""
        return replay(self.scenario, [(m.id, m.role, m.content) for m in self.messages])

    @cached_property
    def readings(self) -> dict[str, TurnReading]:
        return {
            message_id: reading
            for turn in self.turns
            for message_id, reading in zip(turn.message_ids, turn.readings, strict=True)
        }

    def reading(self, message: Message) -> TurnReading:
        return self.readings[message.id]

    @cached_property
    def agent_sentences(self) -> tuple[Message, ...]:
        """Agent messages written as sentences: a keyword list earns nothing anywhere."""
        return tuple(m for m in self.agent if not self.reading(m).keyword_list)

    @cached_property
    def keyword_lists(self) -> tuple[Message, ...]:
        return tuple(m for m in self.agent if self.reading(m).keyword_list)

    @cached_property
    def final_state(self) -> CustomerState | None:
        return self.turns[-1].state if self.turns else None

    @cached_property
    def resolved(self) -> bool:
        """Whether the customer confirmed the fix (the state machine, not the session row)."""
        return bool(self.final_state and self.final_state.resolved)

    @cached_property
    def releases(self) -> list[tuple[str, Message, str]]:
        """(fact key, the agent message that asked, the words it asked with), in order: only
        facts the customer actually gave in answer."""
        by_id = {m.id: m for m in self.agent}
        found = []
        for turn in self.turns:
            for key, _answer in turn.reaction.released:
                for message_id, reading in zip(turn.message_ids, turn.readings, strict=True):
                    asked = next((a for a in reading.asked if a.key == key), None)
                    if asked is not None:
                        found.append((key, by_id[message_id], asked.quote))
                        break
        return found

    @cached_property
    def wrong_fixes(self) -> list[tuple[Message, WrongFix]]:
        return [
            (message, wrong)
            for message in self.agent
            for wrong in self.reading(message).wrong_fixes
        ]

    @cached_property
    def forbidden_hits(self) -> list[tuple[str, Evidence]]:
        """Every (phrase, evidence) where an agent message says a forbidden phrase: said, not
        negated ("it's not your fault") and not quoted as what not to say."""
        return [
            (hit.phrase, message.evidence(hit.quote))
            for message in self.agent
            for hit in self.reading(message).forbidden
        ]


class Evaluator(abc.ABC):
    """Scores one criterion. Subclasses set `label` and implement `evaluate`; register with
    `@performance.registry.register("key")`. Must be deterministic and must not touch the DB."""

    key: str = ""
    label: str = ""
    #: Said when a score is below the coaching threshold and the evaluator wrote no own tip.
    generic_tip: str = ""

    @abc.abstractmethod
    def evaluate(self, transcript: Transcript) -> CriterionResult:
        """Score the transcript on this criterion, quoting the evidence."""


# --- matching helpers -------------------------------------------------------------------------


def phrase_pattern(phrase: str) -> re.Pattern:
    """A case-insensitive pattern for a phrase: whole words, any whitespace between them."""
    words = [re.escape(w) for w in str(phrase).split()]
    body = r"\s+".join(words)
    start = r"\b" if words and re.match(r"\w", phrase.strip()[0]) else ""
    end = r"\b" if words and re.match(r"\w", phrase.strip()[-1]) else ""
    return re.compile(start + body + end, re.IGNORECASE)


def any_pattern(patterns) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def snippet(text: str, limit: int = 80) -> str:
    """The first words of a message, cut at a word boundary: an exact prefix of `text`."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut


def humanise(key: str) -> str:
    return str(key).replace("_", " ").replace("-", " ").strip()


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def quote_list(items, limit: int = 3) -> str:
    shown = [f"“{item}”" for item in list(items)[:limit]]
    return ", ".join(shown)


def first_match(messages, pattern: re.Pattern) -> Evidence | None:
    """Evidence from the first of `messages` that matches `pattern`."""
    for message in messages:
        found = message.find(pattern)
        if found:
            return found
    return None
