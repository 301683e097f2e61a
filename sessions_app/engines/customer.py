"""The simulated customer as a state machine over turn readings.

Each agent turn (the agent's messages since the customer last spoke) is read once
(`scenarios.reading`), and `advance` decides what the customer does: which facts they give,
whether a fix worked, how much patience is left, whether they are resolved or escalate. The
engines only put that `Reaction` into words (the offline voice, or a model), so whatever voice
speaks, the facts, the outcome and the score rest on the same decisions.

The state is a plain JSON document (`UserSession.engine_state`): turns resume in any process,
and `replay` rebuilds every turn from the stored transcript for the rubric.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from scenarios.reading import TurnReading, model_for, read_message
from scenarios.reading.turn import APOLOGY, CLOSING, EMPATHY, INSTRUCTION, QUESTION, WrongFix

STATE_VERSION = 2
OUTCOME_RESOLVED = "resolved"
OUTCOME_ESCALATED = "escalated"
DEFAULT_PATIENCE = 3

# Patience the customer has at most, by persona patience (1..5): 1 + 1.5 per point.
BASE_PATIENCE = 1.0
PATIENCE_PER_POINT = 1.5
# A hot temperament starts with this share of it.
HOT_START = 0.7
_HOT_TEMPERAMENTS = ("irritable", "angry", "hostile", "impatient", "furious", "volatile", "grumpy")

# What each behaviour costs (patience points).
COST_STALL = 1.0  # a turn that neither asks nor fixes anything
COST_STALL_AGAIN = 1.5  # the second such turn in a row and after
COST_REPEAT = 0.75  # asking again for what was already answered
COST_UNKNOWN_QUESTION = 0.25  # a question the customer cannot answer
COST_WRONG_FIX = 1.5  # advice tried in vain
COST_RUDE = 2.0  # blame, insults, forbidden phrases
COST_SHOUTING = 1.5
COST_KEYWORDS = 1.0  # a keyword list instead of sentences
COST_INJECTION = 1.0  # talking to the program instead of the customer
COST_JARGON = 0.5  # unexplained jargon to a novice
# What restores it, scaled by the persona's patience (a saint forgives faster).
GAIN_PROGRESS = 0.5
GAIN_EMPATHY = 0.5
# Empathy restores patience at most once in this many turns: kind words are not a fix.
EMPATHY_EVERY = 3

MOODS = ("calm", "uneasy", "frustrated", "angry")


def persona_of(scenario: dict) -> dict:
    return scenario.get("customer_persona") or {}


def patience_points(persona: dict) -> int:
    value = (persona.get("personality") or {}).get("patience", DEFAULT_PATIENCE)
    try:
        return min(5, max(1, int(value)))
    except (TypeError, ValueError):
        return DEFAULT_PATIENCE


def is_hot(persona: dict) -> bool:
    temperament = str((persona.get("personality") or {}).get("temperament") or "").lower()
    return any(word in temperament for word in _HOT_TEMPERAMENTS)


def mood_for(patience: float, most: float) -> str:
    ratio = patience / most if most else 0
    if ratio >= 0.75:
        return "calm"
    if ratio >= 0.5:
        return "uneasy"
    if ratio >= 0.25:
        return "frustrated"
    return "angry"


@dataclass
class CustomerState:
    """What the customer remembers between turns."""

    patience: float
    most: float
    mood: str = "calm"
    revealed: list[str] = field(default_factory=list)
    #: entry id -> the key phrases the agent has told correctly so far
    heard: dict[str, list[str]] = field(default_factory=dict)
    delivered: list[str] = field(default_factory=list)
    wrong_fixes: int = 0
    resolved: bool = False
    escalated: bool = False
    turns: int = 0
    stalled: int = 0
    soothed_turn: int = -EMPATHY_EVERY
    #: one line per turn: mood, patience and what happened (for the report's mood line)
    history: list[dict] = field(default_factory=list)
    v: int = STATE_VERSION

    @classmethod
    def start(cls, scenario: dict) -> CustomerState:
        persona = persona_of(scenario)
        most = BASE_PATIENCE + PATIENCE_PER_POINT * patience_points(persona)
        patience = round(most * (HOT_START if is_hot(persona) else 1.0), 2)
        return cls(patience=patience, most=most, mood=mood_for(patience, most))

    @classmethod
    def load(cls, data: dict | None) -> CustomerState | None:
        """The state stored by this version, or None for an older or foreign document."""
        if not isinstance(data, dict) or data.get("v") != STATE_VERSION:
            return None
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in data.items() if key in known})

    def as_dict(self) -> dict:
        """A JSON document of the state (a shallow copy: `asdict`'s deep copy of the growing
        history was a sixth of a turn's CPU)."""
        data = dict(self.__dict__)
        data["revealed"] = list(self.revealed)
        data["heard"] = {key: list(value) for key, value in self.heard.items()}
        data["delivered"] = list(self.delivered)
        data["history"] = list(self.history)
        return data


@dataclass
class Reaction:
    """What the customer does this turn; a voice turns it into words."""

    outcome: str | None = None
    released: list[tuple[str, str]] = field(default_factory=list)  # (fact key, answer)
    repeated: list[tuple[str, str]] = field(default_factory=list)
    unknown_question: bool = False
    wrong_fix: WrongFix | None = None
    step_heard: bool = False
    #: a required number not given yet ("how long?"), as the unit it measures
    missing_measure: str = ""
    rude: str = ""  # "forbidden" | "blame" | "shouting"
    keyword_list: bool = False
    injection: bool = False
    soothed: bool = False
    jargon: str = ""
    stalled: bool = False
    #: the agent wrapped up ("anything else?") with the problem still there
    closing_early: bool = False
    #: ... and asked whether there was anything else, rather than only saying goodbye
    closing_asked: bool = False
    after_resolution: bool = False
    mood: str = "calm"


@dataclass
class TurnRecord:
    """One agent turn as the rubric sees it: the readings, the reaction and the state after."""

    message_ids: list[str]
    readings: list[TurnReading]
    reaction: Reaction
    state: CustomerState


def read_turn(scenario: dict, agent_texts: list[str]) -> list[TurnReading]:
    return [read_message(scenario, text) for text in agent_texts]


def advance(scenario: dict, state: CustomerState, readings: list[TurnReading]) -> Reaction:
    """Moves `state` on by one agent turn and says how the customer reacts. Deterministic."""
    model = model_for(scenario)
    persona = persona_of(scenario)
    points = patience_points(persona)
    state.turns += 1
    reaction = Reaction()
    if state.resolved or state.escalated:
        reaction.after_resolution = True
        reaction.mood = state.mood
        _note(state, reaction)
        return reaction

    asked = [key for r in readings for key in r.asked_keys]
    answers = {fact.key: fact.answer for fact in model.facts}
    for key in dict.fromkeys(asked):
        if key in state.revealed:
            reaction.repeated.append((key, answers[key]))
        else:
            reaction.released.append((key, answers[key]))
            state.revealed.append(key)
    questioned = any(r.has(QUESTION) for r in readings)
    closing = any(r.has(CLOSING) for r in readings)
    reaction.unknown_question = questioned and not asked and not closing

    new_phrases = False
    for reading in readings:
        for step in reading.fixes:
            heard = state.heard.setdefault(step.entry_id, [])
            for phrase in step.phrases:
                if phrase not in heard:
                    heard.append(phrase)
                    new_phrases = new_phrases or step.entry_id in model.required
        if reading.wrong_fixes and reaction.wrong_fix is None:
            reaction.wrong_fix = reading.wrong_fixes[0]
    for entry_id in model.required:
        entry = model.entry(entry_id)
        if entry is None or entry_id in state.delivered:
            continue
        heard = state.heard.get(entry_id, [])
        if all(phrase.text in heard for phrase in entry.phrases):
            state.delivered.append(entry_id)
        elif heard and new_phrases and not reaction.missing_measure:
            reaction.missing_measure = _missing_measure(entry, heard)
    reaction.step_heard = new_phrases
    if reaction.wrong_fix is not None:
        state.wrong_fixes += 1

    reaction.keyword_list = any(r.keyword_list for r in readings)
    reaction.injection = any(r.injection for r in readings)
    if any(r.forbidden for r in readings):
        reaction.rude = "forbidden"
    elif any(r.has("blame") for r in readings):
        reaction.rude = "blame"
    elif any(r.shouting for r in readings):
        reaction.rude = "shouting"
    jargon = [term for r in readings for term in r.jargon]
    reaction.jargon = jargon[0] if jargon else ""

    progress = bool(reaction.released) or new_phrases
    acted = progress or any(r.has(INSTRUCTION) for r in readings)
    reaction.stalled = not acted and (not questioned or closing)
    reaction.closing_early = closing and not progress
    reaction.closing_asked = reaction.closing_early and questioned
    kind = any(r.has(EMPATHY) or r.has(APOLOGY) for r in readings) and not reaction.rude

    cost = 0.0
    if reaction.stalled or reaction.keyword_list:
        cost += COST_STALL_AGAIN if state.stalled else COST_STALL
        state.stalled += 1
    else:
        state.stalled = 0
    if reaction.repeated and not reaction.released:
        cost += COST_REPEAT
    if reaction.unknown_question and not progress:
        cost += COST_UNKNOWN_QUESTION
    if reaction.wrong_fix is not None:
        cost += COST_WRONG_FIX
    if reaction.rude in ("forbidden", "blame"):
        cost += COST_RUDE
    if any(r.shouting for r in readings):
        cost += COST_SHOUTING
    if reaction.keyword_list:
        cost += COST_KEYWORDS - COST_STALL  # on top of the stall it also is
    if reaction.injection:
        cost += COST_INJECTION
    if reaction.jargon:
        cost += COST_JARGON
    gain = 0.0
    forgiving = 0.5 + points / 5  # 0.7 (patience 1) .. 1.5 (patience 5)
    if progress:
        gain += GAIN_PROGRESS * forgiving
    if kind and state.turns - state.soothed_turn >= EMPATHY_EVERY:
        gain += GAIN_EMPATHY * forgiving
        state.soothed_turn = state.turns
        reaction.soothed = True
    state.patience = round(min(state.most, state.patience - cost + gain), 2)

    if model.required and set(model.required) <= set(state.delivered):
        state.resolved = True
    elif not model.required and model.facts and len(state.revealed) == len(model.facts):
        state.resolved = True  # nothing to fix: the customer only needed to be heard out
    if state.resolved:
        reaction.outcome = OUTCOME_RESOLVED
        state.mood = "relieved"
    elif state.patience <= 0:
        state.escalated = True
        reaction.outcome = OUTCOME_ESCALATED
        state.mood = "angry"
    else:
        state.mood = mood_for(state.patience, state.most)
    reaction.mood = state.mood
    _note(state, reaction)
    return reaction


_TIME_UNITS = {"second", "sec", "minute", "min", "hour", "day", "week", "month", "year", "time"}


def _missing_measure(entry, heard: list[str]) -> str:
    """'time' or 'amount' when what is still missing of a fix is a number."""
    for phrase in entry.phrases:
        if phrase.text not in heard and phrase.numbers:
            words = set().union(*phrase.words) if phrase.words else set()
            return "time" if words & _TIME_UNITS else "amount"
    return ""


def _note(state: CustomerState, reaction: Reaction) -> None:
    events = []
    if reaction.released:
        events.append("answered")
    if reaction.step_heard:
        events.append("fix_step")
    if reaction.wrong_fix is not None:
        events.append("wrong_fix")
    if reaction.rude:
        events.append(reaction.rude)
    if reaction.keyword_list:
        events.append("keyword_list")
    if reaction.stalled:
        events.append("stalled")
    if reaction.soothed:
        events.append("soothed")
    if reaction.outcome:
        events.append(reaction.outcome)
    state.history.append(
        {"turn": state.turns, "mood": state.mood, "patience": state.patience, "events": events}
    )


def replay(scenario: dict, messages: list) -> list[TurnRecord]:
    """Every agent turn of a stored conversation, re-run through the state machine.

    `messages` are (id, role, content) triples in order. Pure: the rubric calls it on the
    snapshot and the stored messages, and gets exactly what the customer decided live.
    """
    state = CustomerState.start(scenario)
    records: list[TurnRecord] = []
    pending: list[tuple[str, str]] = []

    def flush():
        if not pending:
            return
        readings = read_turn(scenario, [text for _id, text in pending])
        reaction = advance(scenario, state, readings)
        snapshot = CustomerState(**state.as_dict())
        records.append(TurnRecord([i for i, _ in pending], readings, reaction, snapshot))
        pending.clear()

    for message_id, role, content in messages:
        if role == "agent":
            pending.append((str(message_id), content or ""))
        elif role == "customer":
            flush()
    flush()
    return records


def state_after(scenario: dict, transcript) -> CustomerState:
    """The state after every complete turn of `transcript` (Turn objects): used to pick up a
    session stored by an older version, whose state document this one cannot read."""
    agent_since_customer = []
    closed = []
    for turn in transcript:
        if turn.role == "agent":
            agent_since_customer.append(turn)
        elif turn.role == "customer":
            closed.extend(agent_since_customer)
            closed.append(turn)
            agent_since_customer = []
    records = replay(scenario, [(i, t.role, t.content) for i, t in enumerate(closed)])
    return records[-1].state if records else CustomerState.start(scenario)


def problem_sentence(scenario: dict) -> str:
    description = str((scenario.get("ticket_template") or {}).get("description") or "").strip()
    first = re.split(r"(?<=[.!?])\s+", description)[0] if description else ""
    return first or "I still have the same problem."
