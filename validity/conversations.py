"""Plays the scripted conversations against the offline customer and scores them with the
rubric: false passes and whether good work outranks bad."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from performance.evaluators.base import Transcript
from performance.rubric import evaluate
from sessions_app.engines import Turn
from sessions_app.engines.offline import OfflineEngine
from validity.corpus import ScriptedConversation, scenario

#: Archetypes from best to worst practice; each tier should outscore every tier below it.
TIERS = {
    "exemplary": 0,
    "paraphrasing": 0,
    "careless": 1,
    "keyword_stuffer": 2,
    "wrong_fix": 2,
    "stonewaller": 2,
    "rude": 2,
    "injector": 2,
}
SECONDS_PER_MESSAGE = 40


@dataclass
class Played:
    conversation: ScriptedConversation
    score: int
    passed: bool
    outcome: str
    criteria: dict[str, int]
    transcript: list[tuple[str, str]]


@dataclass
class ConversationReport:
    played: list[Played] = field(default_factory=list)

    @property
    def false_passes(self) -> list[Played]:
        return [p for p in self.played if p.conversation.should_pass is False and p.passed]

    @property
    def false_fails(self) -> list[Played]:
        return [p for p in self.played if p.conversation.should_pass is True and not p.passed]

    def ordering(self) -> tuple[int, int, list[str]]:
        """(pairs ordered as the tiers say, pairs compared, the pairs that were not)."""
        agreed = total = 0
        wrong = []
        by_scenario: dict[str, list[Played]] = {}
        for played in self.played:
            by_scenario.setdefault(played.conversation.scenario, []).append(played)
        for items in by_scenario.values():
            for better in items:
                for worse in items:
                    if TIERS[better.conversation.archetype] < TIERS[worse.conversation.archetype]:
                        total += 1
                        if better.score > worse.score:
                            agreed += 1
                        else:
                            wrong.append(
                                f"{better.conversation.id} {better.score} <= "
                                f"{worse.conversation.id} {worse.score}"
                            )
        return agreed, total, wrong


def play(conversation: ScriptedConversation) -> Played:
    document = scenario(conversation.scenario)
    engine = OfflineEngine()
    opening = engine.opening(scenario=document)
    turns = [Turn("customer", opening.text)]
    state = opening.state
    outcome = ""
    for line in conversation.agent:
        turns.append(Turn("agent", line))
        text, state, result = engine.respond(scenario=document, transcript=turns, state=state)
        turns.append(Turn("customer", text))
        if result == "resolved":
            outcome = "resolved"
        if result == "escalated":
            outcome = "escalated"
            break
    start = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)
    messages = [
        {
            "id": f"m{index}",
            "seq": index + 1,
            "role": turn.role,
            "content": turn.content,
            "created_at": start + dt.timedelta(seconds=SECONDS_PER_MESSAGE * index),
        }
        for index, turn in enumerate(turns)
    ]
    transcript = Transcript.build(
        scenario=document,
        messages=messages,
        outcome=outcome or "ended",
        started_at=start,
        ended_at=messages[-1]["created_at"],
    )
    result = evaluate(transcript)
    return Played(
        conversation=conversation,
        score=result.total,
        passed=result.passed,
        outcome=outcome or "ended",
        criteria={c.key: c.score for c in result.criteria},
        transcript=[(turn.role, turn.content) for turn in turns],
    )


def score_conversations(items: list[ScriptedConversation]) -> ConversationReport:
    return ConversationReport(played=[play(item) for item in items])
