"""Professionalism: no forbidden phrases, no shouting, no blaming the customer, a civil tone.

Tone uses VADER on the agent's words with apologies removed (an apology is not rudeness).
"""

import re

from performance.evaluators.base import (
    CriterionResult,
    Evaluator,
    Message,
    Transcript,
    any_pattern,
    snippet,
)
from performance.registry import register

HOSTILE_TONE = -0.5

BLAME_RE = any_pattern(
    [
        r"\byour (?:own )?fault\b",
        r"\byou should(?:'ve| have) (?:known|read|checked|done)\b",
        r"\byou (?:did|are doing|do) (?:it|this|that) wrong\b",
        r"\byou (?:didn'?t|did not|never) (?:read|listen|follow)\b",
        r"\buser error\b",
        r"\b(?:that'?s|it'?s) on you\b",
        r"\bnot (?:my|our) (?:problem|fault|job)\b",
        r"\byou broke\b",
        r"\bread the manual\b",
        r"\bstupid\b",
        r"\bidiot\w*\b",
        r"\bshut up\b",
        r"\bcalm down\b",
        r"\bhow many times\b",
    ]
)
_CAPS_RUN_RE = re.compile(r"\b[A-Z]{2,}(?:[\s,!?.]+[A-Z]{2,}\b){2,}")
_EXCLAIM_RE = re.compile(r"!{2,}")


def shouting(message: Message) -> str | None:
    """The shouted words of a message: a run of capitalised words, mostly-capital text or
    repeated exclamation marks. A single acronym (LED, DNS) is not shouting."""
    letters = [c for c in message.content if c.isalpha()]
    if len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) >= 0.6:
        return snippet(message.content, 60)
    run = _CAPS_RUN_RE.search(message.content)
    if run:
        return run.group(0)
    exclaim = _EXCLAIM_RE.search(message.content)
    if exclaim:
        start = message.content.rfind(" ", 0, exclaim.start()) + 1
        return message.content[start : exclaim.end()]
    return None


@register("professionalism")
class ProfessionalismEvaluator(Evaluator):
    label = "Professionalism"
    generic_tip = "Keep a calm, courteous tone: no capitals, no blame, no dismissive phrases."

    def evaluate(self, transcript: Transcript) -> CriterionResult:
        if not transcript.agent:
            return CriterionResult(0, "The agent never replied.")
        forbidden = transcript.forbidden_hits
        shouted = [(m, q) for m in transcript.agent if (q := shouting(m))]
        blamed = [(m, found) for m in transcript.agent if (found := m.find(BLAME_RE))]
        hostile = [m for m in transcript.agent if m.tone <= HOSTILE_TONE]

        distinct_phrases = {phrase.lower() for phrase, _ in forbidden}
        score = 100
        score -= min(80, 40 * len(distinct_phrases))
        score -= min(40, 20 * len(shouted))
        score -= min(40, 20 * len(blamed))
        score -= min(30, 10 * len(hostile))

        evidence = [found for _, found in forbidden[:3]]
        evidence += [m.evidence(q) for m, q in shouted[:3]]
        evidence += [found for _, found in blamed[:3]]
        evidence += [m.evidence() for m in hostile[:2]]

        problems = []
        if forbidden:
            problems.append(
                "used forbidden phrase(s) " + ", ".join(f"“{p}”" for p in sorted(distinct_phrases))
            )
        if shouted:
            problems.append(f"shouted in {len(shouted)} message(s)")
        if blamed:
            problems.append(f"blamed or belittled the customer {len(blamed)} time(s)")
        if hostile:
            problems.append(f"took a hostile tone in {len(hostile)} message(s)")
        if problems:
            rationale = "The agent " + "; ".join(problems) + "."
        else:
            rationale = "No forbidden phrases, shouting or blame; the tone stayed courteous."

        tip = ""
        if score < 80:
            if forbidden:
                _phrase, found = forbidden[0]
                tip = (
                    f"You wrote “{found.quote}”, which this scenario forbids; acknowledge the "
                    "feeling instead: “I understand this is frustrating — let's fix it together.”"
                )
            elif blamed:
                tip = (
                    f"“{blamed[0][1].quote}” puts the blame on the customer; describe the next "
                    "step instead: “Let's try this together.”"
                )
            elif shouted:
                tip = (
                    f"“{shouted[0][1]}” reads as shouting; write in sentence case and use "
                    "bold words sparingly, not capitals."
                )
            else:
                tip = (
                    f"“{snippet(hostile[0].content, 60)}” sounds hostile; keep the wording "
                    "neutral and focused on the fix."
                )
        if not evidence:
            evidence = [transcript.agent[0].evidence()]
        return CriterionResult(score, rationale, evidence, tip)
