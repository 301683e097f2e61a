"""Closing: the last replies check for anything else, thank the customer and sign off."""

from performance.evaluators.base import (
    CriterionResult,
    Evaluator,
    Transcript,
    any_pattern,
    first_match,
)
from performance.registry import register

CHECK_IN_RE = any_pattern(
    [
        r"\banything else\b",
        r"\bis there (?:anything|something) (?:else|more)\b",
        r"\b(?:any|other) (?:other )?questions\b",
        r"\bcan i help (?:you )?with anything\b",
        r"\bfeel free to (?:reach out|contact|get in touch|come back|write|message)\b",
        r"\bdon'?t hesitate to\b",
        r"\blet (?:me|us) know if\b",
    ]
)
FAREWELL_RE = any_pattern(
    [
        r"\bthanks? (?:you )?(?:so much |very much )?for (?:contacting|reaching out|your patience|"
        r"getting in touch|your time|calling|choosing|bearing with)\b",
        r"\bhave a (?:great|good|nice|lovely|wonderful) (?:day|evening|weekend|one|afternoon)\b",
        r"\btake care\b",
        r"\b(?:good)?bye\b",
        r"\b(?:glad|happy|pleased) (?:i|we) could help\b",
        r"\benjoy your\b",
        r"\ball the best\b",
    ]
)
RECAP_RE = any_pattern(
    [
        r"\bto (?:recap|sum up|summari[sz]e)\b",
        r"\bin summary\b",
        r"\bglad (?:it'?s|that'?s|everything is) (?:working|sorted|fixed|back)\b",
        r"\b(?:should|is) (?:now )?(?:be )?(?:working|sorted|fixed|back)\b",
        r"\bif (?:it|this|the problem|the issue) (?:happens|comes back|returns)\b",
        r"\bgreat to hear\b",
    ]
)


#: A close that wraps up an unresolved problem earns at most this.
UNRESOLVED_CAP = 20


@register("closing")
class ClosingEvaluator(Evaluator):
    label = "Closing"
    generic_tip = "End by checking for anything else, thanking the customer and signing off."

    def evaluate(self, transcript: Transcript) -> CriterionResult:
        if not transcript.agent:
            return CriterionResult(0, "The agent never replied.")
        last = [m for m in transcript.agent[-2:] if m in transcript.agent_sentences]
        evidence, parts = [], []
        score = 0
        for pattern, points, label in (
            (CHECK_IN_RE, 40, "checked for anything else"),
            (FAREWELL_RE, 40, "thanked the customer and signed off"),
            (RECAP_RE, 20, "confirmed the outcome"),
        ):
            found = first_match(reversed(last), pattern)
            if found:
                score += points
                evidence.append(found)
                parts.append(label)
        if parts:
            rationale = "The close " + ", ".join(parts) + "."
        else:
            rationale = "The conversation ended without a closing."
        premature = not transcript.resolved and score > UNRESOLVED_CAP
        if premature:
            # Wrapping up a customer whose problem is still there is not a good close.
            score = UNRESOLVED_CAP
            rationale += " But the customer's problem was not fixed."
        tip = ""
        if premature:
            tip = (
                "You wrapped up while the customer's problem was still there. Close only once "
                "they confirm it works, or tell them exactly what happens next."
            )
        elif score < 80:
            final = transcript.agent[-1].content.strip()
            tip = (
                f"Your last reply was “{final[:60]}”. Before you finish, check whether the "
                "customer needs anything else, confirm what was fixed and thank them."
            )
        if not evidence:
            evidence.append(transcript.agent[-1].evidence())
        return CriterionResult(score, rationale, evidence, tip)
