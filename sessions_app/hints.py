"""What a coach would whisper next: the advice behind the chat's opt-in Hint button.

A hint is read off the customer's state (`engines.customer.CustomerState`), the same record
the customer and the rubric act on, so it points at what the trainee has actually not done
yet rather than at the words they used. It is the one place where the trainee is told part of
the scenario's plan on purpose: which topic the customer still holds something back on, which
article fits the problem. It never gives a fact's answer, a key phrase or the customer's
confirm line: the trainee still has to ask, and to explain the fix in their own words.

Hints are paid for: each one takes `XP_COST_PERCENT` off the XP the session earns
(`gamification.services.xp_for_session`) and is listed in the report. The score itself is
left alone, so that it keeps measuring the conversation the trainee had.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scenarios.reading import model_for
from sessions_app.engines.customer import CustomerState

#: Hints a session can take; the last one leaves the trainee most of the reward.
LIMIT = 3
#: XP each hint costs, as a share of what the session would earn without hints.
XP_COST_PERCENT = 10

KIND_GREET = "greet"
KIND_CALM = "calm"
KIND_ASK = "ask"
KIND_FIX = "fix"
KIND_FINISH_FIX = "finish_fix"
KIND_CLOSE = "close"

_CODE_LIKE = re.compile(r"^[a-z]{0,2}\d+$|^[a-z]$")
_TIME_WORDS = {"when", "since", "started", "start"}


def xp_percent_lost(used: int) -> int:
    """The share of a session's XP that `used` hints take (at most `LIMIT` of them count)."""
    return XP_COST_PERCENT * min(max(used, 0), LIMIT)


@dataclass(frozen=True)
class Advice:
    kind: str
    text: str


def advise(scenario: dict, state: CustomerState, *, agent_replies: int) -> Advice:
    """The one thing most worth doing next, in the order a good agent works: open, keep the
    customer with you, find out what they know, deliver the fix, close."""
    name = _first_name(scenario)
    model = model_for(scenario)
    missing_fact = next((fact for fact in model.facts if fact.key not in state.revealed), None)
    missing_fix = next(
        (
            entry
            for entry in (model.entry(entry_id) for entry_id in model.required)
            if entry is not None and entry.id not in state.delivered
        ),
        None,
    )
    if state.resolved or (missing_fact is None and missing_fix is None):
        return Advice(
            KIND_CLOSE,
            f"{name} has what they needed. Check whether there is anything else, sum up what "
            "was done, and close the conversation politely before you end the session.",
        )
    if agent_replies == 0:
        first_step = (
            f"then ask about {_topic(scenario, missing_fact.key)}"
            if missing_fact is not None
            else "then say what you are going to do"
        )
        return Advice(
            KIND_GREET,
            f"Greet {name} by name, say in your own words that you understand the problem, "
            f"and {first_step}.",
        )
    if state.mood in ("frustrated", "angry") and state.turns - state.soothed_turn > 1:
        return Advice(
            KIND_CALM,
            f"{name} is {state.mood}. Acknowledge how this affects them in a sentence of your "
            "own, then move things forward in the same reply: kind words alone will not "
            "calm them.",
        )
    if missing_fact is not None:
        return Advice(
            KIND_ASK,
            f"{name} knows something you have not asked about yet: ask about "
            f"{_topic(scenario, missing_fact.key)}. One clear question works better than a "
            "list of them.",
        )
    if state.heard.get(missing_fix.id):
        return Advice(
            KIND_FINISH_FIX,
            f"You have started on “{missing_fix.title}”, but {name} does not have all of it "
            "yet. Go through the article again and give every step, with its exact numbers.",
        )
    return Advice(
        KIND_FIX,
        f"The knowledge-base article “{missing_fix.title}” fits this problem. Explain its "
        f"steps to {name} in your own words, numbers included, and ask them to try.",
    )


def _first_name(scenario: dict) -> str:
    name = str((scenario.get("customer_persona") or {}).get("name") or "").strip()
    return name.split()[0] if name else "The customer"


def _topic(scenario: dict, key: str) -> str:
    """What a fact is about, in words: its key when that reads as words ("light_colour" → "the
    light colour", "since_when" → "when it started"), else the author's first two topics."""
    words = key.replace("_", " ").replace("-", " ").strip().lower().split()
    if words and not any(_CODE_LIKE.match(word) for word in words):
        if set(words) & _TIME_WORDS:
            return "when it started"
        return "the " + " ".join(words)
    for fact in (scenario.get("customer_persona") or {}).get("facts") or []:
        if isinstance(fact, dict) and str(fact.get("key")) == key:
            topics = [str(item).strip() for item in fact.get("asked_by") or [] if str(item).strip()]
            if topics:
                return " or ".join(f"“{topic}”" for topic in topics[:2])
    return "what they have seen so far"
