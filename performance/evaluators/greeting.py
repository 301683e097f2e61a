"""Greeting: the first reply says hello, offers help, and uses the customer's name."""

from performance.evaluators.base import (
    CriterionResult,
    Evaluator,
    Transcript,
    any_pattern,
    first_match,
    phrase_pattern,
    snippet,
)
from performance.registry import register

HELLO_RE = any_pattern(
    [
        r"\b(?:hi|hello|hey|greetings|welcome)\b",
        r"\bgood (?:morning|afternoon|evening|day)\b",
        r"\bthanks? (?:you )?for (?:contacting|reaching out|getting in touch|calling|writing)\b",
    ]
)
OFFER_RE = any_pattern(
    [
        r"\bmy name is\b",
        r"\b(?:i'm|i am|this is) \w+(?: \w+)? (?:from|with|at|here|on)\b",
        r"\bhow (?:can|may|could) i (?:help|assist)\b",
        r"\b(?:happy|glad|here) to help\b",
        r"\bi(?:'ll| will| can| would like to) (?:help|assist|sort|look|take a look|fix)\b",
        r"\blet(?: me|'s) (?:help|sort|look|get|fix)\b",
        r"\bi'?m here to help\b",
    ]
)


@register("greeting")
class GreetingEvaluator(Evaluator):
    label = "Greeting"
    generic_tip = "Open with a greeting, the customer's name and an offer to help."

    def evaluate(self, transcript: Transcript) -> CriterionResult:
        if not transcript.agent:
            return CriterionResult(0, "The agent never replied.")
        first = transcript.agent[0]
        if transcript.reading(first).keyword_list:
            return CriterionResult(
                0,
                "The first reply was a list of keywords, not a greeting.",
                [first.evidence()],
                "Open with a real sentence: greet the customer by name and offer to help.",
            )
        evidence = []
        score = 0
        parts = []
        hello = first.find(HELLO_RE)
        if hello:
            score += 50
            evidence.append(hello)
            parts.append("greeted the customer")
        else:
            later = first_match(transcript.agent_sentences[1:3], HELLO_RE)
            if later:
                score += 25
                evidence.append(later)
                parts.append("greeted the customer only after the first reply")
        offer = first_match(transcript.agent_sentences[:2], OFFER_RE)
        if offer:
            score += 25
            evidence.append(offer)
            parts.append("offered help")
        name_found = self._name_evidence(transcript)
        if name_found:
            score += 25
            evidence.append(name_found)
            parts.append("used the customer's name")

        if parts:
            rationale = "The opening " + ", ".join(parts) + "."
        else:
            rationale = "The first reply had no greeting, offer of help or name."
        tip = ""
        if score < 80:
            excerpt = snippet(first.content, 60)
            ellipsis = "…" if len(excerpt) < len(first.content.strip()) else ""
            opening = f"“{excerpt}{ellipsis}”"
            missing = []
            if not hello:
                missing.append("a greeting")
            if not name_found:
                missing.append("the customer's name")
            if not offer:
                missing.append("an offer to help")
            tip = (
                f"Your first reply {opening} lacked {', '.join(missing) or 'warmth'}. Open by "
                "greeting the customer by name and saying that you will help."
            )
        return CriterionResult(score, rationale, evidence or [first.evidence()], tip)

    @staticmethod
    def _name_evidence(transcript: Transcript):
        name = transcript.customer_name
        if not name:
            return None
        candidates = [name, *name.split()]
        for message in transcript.agent_sentences[:2]:
            for candidate in candidates:
                if len(candidate) < 2:
                    continue
                found = message.find(phrase_pattern(candidate))
                if found:
                    return found
        return None
