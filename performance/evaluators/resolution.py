"""Resolution: the required knowledge-base entries were delivered and the customer confirmed.

Delivery is judged by the entries' key phrases, fuzzy-matched (RapidFuzz) against the agent's
messages so that a typo or a plural still counts. The outcome caps the score: an escalated
session cannot earn full marks however much was said.
"""

import re

from rapidfuzz import fuzz

from performance.evaluators.base import (
    CriterionResult,
    Evaluator,
    Transcript,
    fuzzy_find,
    quote_list,
    snippet,
)
from performance.registry import register

DELIVERY_POINTS = 70
OUTCOME_POINTS = 30
ESCALATED_CAP = 60
CONFIRM_SIMILARITY = 80
_BODY_WORD_RE = re.compile(r"[A-Za-z]{5,}")


def entry_phrases(entry: dict) -> list[str]:
    """The phrases that prove an entry was delivered: its key phrases, or else the longest
    words of its body (an author may leave key_phrases out)."""
    phrases = [str(p) for p in entry.get("key_phrases") or [] if str(p).strip()]
    if phrases:
        return phrases
    words = sorted(
        set(_BODY_WORD_RE.findall(entry.get("body", "").lower())), key=lambda w: (-len(w), w)
    )
    return words[:4]


@register("resolution")
class ResolutionEvaluator(Evaluator):
    label = "Resolution"
    generic_tip = "Deliver every step of the fix from the knowledge base and confirm it worked."

    def evaluate(self, transcript: Transcript) -> CriterionResult:
        if not transcript.agent:
            return CriterionResult(0, "The agent never replied.")
        evidence, coverages, gaps = [], [], []
        for entry in transcript.required_entries:
            phrases = entry_phrases(entry)
            matched, missing = 0, []
            for phrase in phrases:
                hit = None
                for message in transcript.agent:
                    quote = fuzzy_find(phrase, message)
                    if quote:
                        hit = message.evidence(quote)
                        break
                if hit:
                    matched += 1
                    evidence.append(hit)
                else:
                    missing.append(phrase)
            if not phrases:
                coverage = 1.0
            elif entry.get("key_phrases"):
                coverage = matched / len(phrases)
            else:
                coverage = min(1.0, 2 * matched / len(phrases))
            coverages.append(coverage)
            if coverage < 1:
                gaps.append((entry, missing))
        coverage = sum(coverages) / len(coverages) if coverages else 1.0

        confirm = self._confirmation(transcript)
        if confirm:
            evidence.append(confirm)
        outcome = transcript.outcome
        delivered = DELIVERY_POINTS * coverage
        if outcome == "resolved":
            score = delivered + OUTCOME_POINTS
            outcome_text = "the customer confirmed it is fixed"
        elif outcome == "escalated":
            score = min(ESCALATED_CAP, delivered * ESCALATED_CAP / DELIVERY_POINTS)
            outcome_text = "the customer escalated"
        else:
            score = delivered + (OUTCOME_POINTS / 2 if confirm else 0)
            outcome_text = "the session ended without a confirmed fix"

        total = len(transcript.required_entries)
        done = sum(1 for c in coverages if c >= 1)
        if total:
            rationale = f"Delivered {done} of {total} required fix(es); {outcome_text}."
        else:
            rationale = f"No specific fix was required; {outcome_text}."

        tip = ""
        if score < 80:
            if gaps:
                entry, missing = gaps[0]
                tip = (
                    f"You never fully covered “{entry.get('title', entry.get('id'))}”"
                    + (f" (missing {quote_list(missing)})" if missing else "")
                    + "; walk the customer through those steps in plain words."
                )
            elif outcome == "escalated":
                last = transcript.customer[-1].content if transcript.customer else ""
                tip = (
                    f"The customer escalated (“{snippet(last, 60)}”) before the fix landed; "
                    "give the fix earlier, while they still have patience."
                )
            else:
                tip = "After giving the fix, ask the customer to try it and confirm it worked."
        if not evidence:
            evidence = [transcript.agent[-1].evidence()]
        return CriterionResult(score, rationale, evidence, tip)

    @staticmethod
    def _confirmation(transcript: Transcript):
        expected = str(transcript.resolution.get("confirm") or "").strip().lower()
        if not expected:
            return None
        for message in reversed(transcript.customer):
            if fuzz.token_set_ratio(expected, message.lower) >= CONFIRM_SIMILARITY:
                return message.evidence()
        return None
