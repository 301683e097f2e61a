"""The offline customer: the state machine (`customer.py`) spoken by the offline voice.

No network and no randomness: every reply is a pure function of the scenario, the transcript
and the saved state, so a conversation replays identically and tests can pin it.
"""

from __future__ import annotations

import asyncio

from django.conf import settings

from sessions_app.engines.base import (
    CustomerEngine,
    CustomerReply,
    Opening,
    ReplyResult,
    Turn,
)
from sessions_app.engines.customer import (
    CustomerState,
    Reaction,
    advance,
    read_turn,
    state_after,
)
from sessions_app.engines.text import chunk_words, stable_seed
from sessions_app.engines.voice import compose, opening_line, tone_of

__all__ = ["OfflineEngine", "customer_turn", "tone_of"]


def latest_agent_texts(transcript: list[Turn]) -> list[str]:
    """The agent's lines since the customer last spoke: two quick messages are one turn."""
    lines: list[str] = []
    for turn in reversed(transcript):
        if turn.role == "customer":
            break
        if turn.role == "agent":
            lines.append(turn.content)
    return list(reversed(lines))


def last_customer_text(transcript: list[Turn]) -> str:
    for turn in reversed(transcript):
        if turn.role == "customer":
            return turn.content
    return ""


def customer_turn(
    *, scenario: dict, transcript: list[Turn], state: dict
) -> tuple[CustomerState, Reaction]:
    """The customer's decision on the agent's latest turn, from the stored state (or, for a
    session a previous version stored, from the transcript replayed)."""
    current = CustomerState.load(state)
    if current is None:
        current = state_after(scenario, transcript)
    readings = read_turn(scenario, latest_agent_texts(transcript))
    reaction = advance(scenario, current, readings)
    return current, reaction


class OfflineEngine(CustomerEngine):
    name = "offline"

    def opening(self, *, scenario: dict) -> Opening:
        return Opening(text=opening_line(scenario), state=self.initial_state(scenario=scenario))

    def initial_state(self, *, scenario: dict) -> dict:
        return CustomerState.start(scenario).as_dict()

    def reply(
        self, *, scenario: dict, transcript: list[Turn], state: dict, tokens_used: int = 0
    ) -> CustomerReply:
        text, new_state, outcome = self.respond(
            scenario=scenario, transcript=transcript, state=state
        )
        pace = float(getattr(settings, "OFFLINE_ENGINE_PACE", 0) or 0)

        async def produce(reply: CustomerReply):
            for index, chunk in enumerate(chunk_words(text)):
                if index and pace > 0:
                    await asyncio.sleep(pace)
                yield chunk
            reply.result = ReplyResult(text=text, state=new_state, outcome=outcome)

        return CustomerReply(produce)

    def respond(
        self, *, scenario: dict, transcript: list[Turn], state: dict
    ) -> tuple[str, dict, str | None]:
        """The customer's whole next message, the new state and the outcome (or None)."""
        current, reaction = customer_turn(scenario=scenario, transcript=transcript, state=state)
        previous = last_customer_text(transcript)
        seed = stable_seed(len(transcript), " ".join(latest_agent_texts(transcript)), previous)
        text = compose(scenario=scenario, reaction=reaction, previous=previous, seed=seed)
        return text, current.as_dict(), reaction.outcome
