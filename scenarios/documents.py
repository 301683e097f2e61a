"""A scenario document (docs/scenarios.md) read with types, as pages and rewards need it.

Sessions freeze the document they started with (`UserSession.scenario_snapshot`); the
engines and the rubric read the whole dict, the rest reads these fields. A document that
leaves a part out (an old snapshot, a hand-edited row) reads as that part's default here, in
one place, instead of `(x.get(..) or {})` at every use.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


#: Replies on top of `ScenarioDocument.expected_replies` before a session counts as long: the
#: efficiency criterion's allowance, and the top of the range the chat page shows.
SPARE_REPLIES = 3


@dataclass(frozen=True)
class ScenarioDocument:
    slug: str = ""
    title: str = ""
    difficulty: str = ""
    estimated_time: int = 10
    xp_reward: int = 0
    ticket: dict = field(default_factory=dict)
    persona: dict = field(default_factory=dict)
    knowledge_base: list[dict] = field(default_factory=list)
    criteria: list[dict] = field(default_factory=list)
    pass_score: int = 70

    @classmethod
    def read(cls, document: dict) -> ScenarioDocument:
        document = _mapping(document)
        assessment = _mapping(document.get("assessment_criteria"))
        pass_score = _int(assessment.get("pass_score"))
        return cls(
            slug=str(document.get("slug") or ""),
            title=str(document.get("title") or ""),
            difficulty=str(document.get("difficulty") or ""),
            estimated_time=_int(document.get("estimated_time")) or 10,
            xp_reward=max(0, _int(document.get("xp_reward")) or 0),
            ticket=_mapping(document.get("ticket_template")),
            persona=_mapping(document.get("customer_persona")),
            knowledge_base=[
                entry
                for entry in document.get("knowledge_base_entries") or []
                if isinstance(entry, dict)
            ],
            criteria=[c for c in assessment.get("criteria") or [] if isinstance(c, dict)],
            pass_score=70 if pass_score is None else pass_score,
        )

    @property
    def customer_name(self) -> str:
        return str(self.persona.get("name") or "Customer")

    @property
    def patience(self) -> int | None:
        return _int(_mapping(self.persona.get("personality")).get("patience"))

    @property
    def expected_replies(self) -> int:
        """How many replies a session of this scenario takes: a greeting, one question per fact
        the customer holds, one reply per fix the resolution requires, and a close."""
        facts = [fact for fact in self.persona.get("facts") or [] if isinstance(fact, dict)]
        known = {entry.get("id") for entry in self.knowledge_base if entry.get("id")}
        requires = _mapping(self.persona.get("resolution")).get("requires") or []
        return 2 + len(facts) + sum(1 for entry in requires if entry in known)

    @property
    def criterion_order(self) -> dict[str, int]:
        """Each criterion's position in the document, for listing scores in the author's order."""
        return {c.get("key"): index for index, c in enumerate(self.criteria)}
