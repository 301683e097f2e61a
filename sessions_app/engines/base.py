"""The customer-engine interface: one customer turn as an async stream of text deltas.

An engine is stateless between calls: everything it must remember about a conversation (what the
customer has revealed, how annoyed they are) lives in the JSON `state` it returns, which the
session stores in `engine_state` and hands back on the next turn. That keeps turns resumable
across processes and makes the offline engine a pure function of (scenario, transcript, state).
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from core.errors import DomainError, LimitExceeded

OUTCOME_RESOLVED = "resolved"
OUTCOME_ESCALATED = "escalated"


class EngineError(DomainError):
    """The customer could not answer (model server down, timed out, stream cut)."""

    status = 503
    code = "engine_error"
    default_message = "The customer could not answer just now. Your message is saved; try again."


class TokenBudgetExhausted(LimitExceeded):
    code = "token_budget_exhausted"
    default_message = (
        "This session has used its whole model budget. End it to get your report, "
        "or start a new one."
    )


@dataclass(frozen=True)
class Turn:
    """One line of the transcript as the engines see it: who said what, nothing else."""

    role: str  # "customer" | "agent" | "system"
    content: str


@dataclass
class Opening:
    text: str
    state: dict


@dataclass
class ReplyResult:
    """Known once the delta stream is exhausted."""

    text: str
    state: dict
    outcome: str | None = None
    tokens: int = 0


@dataclass
class CustomerReply:
    """The customer's next message: iterate for the text deltas, then read `result`.

    `result` is None until the stream has been consumed to the end; a stream that raised has no
    result, and nothing of it should be stored.
    """

    _produce: Callable[[CustomerReply], AsyncIterator[str]]
    result: ReplyResult | None = field(default=None, init=False)

    def __aiter__(self) -> AsyncIterator[str]:
        return self._produce(self)


class CustomerEngine(abc.ABC):
    """What every engine offers. Implementations must not touch the database."""

    name = "base"

    @abc.abstractmethod
    def opening(self, *, scenario: dict) -> Opening:
        """The customer's first message, written before the trainee says anything."""

    @abc.abstractmethod
    def reply(
        self, *, scenario: dict, transcript: list[Turn], state: dict, tokens_used: int = 0
    ) -> CustomerReply:
        """The customer's answer to the transcript, whose last lines are the agent's.

        `scenario` is the session's frozen snapshot (a document in the format of
        docs/scenarios.md); `tokens_used` is what the session has spent so far, for engines
        with a budget.
        """


def persona_of(scenario: dict) -> dict:
    return scenario.get("customer_persona") or {}


def ticket_of(scenario: dict) -> dict:
    return scenario.get("ticket_template") or {}


def knowledge_base_of(scenario: dict) -> dict[str, dict]:
    return {
        entry["id"]: entry
        for entry in scenario.get("knowledge_base_entries") or []
        if isinstance(entry, dict) and entry.get("id")
    }
