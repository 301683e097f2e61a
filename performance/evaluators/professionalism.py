"""Professionalism: no forbidden phrases, no shouting, no blaming the customer, a civil tone,
no advice made up on the spot.

Forbidden phrases and blame come from the reading, so "it's not your fault" is reassurance,
not blame. Tone uses VADER on the agent's words with apologies removed.
"""

import re

from performance.evaluators.base import (
    CriterionResult,
    Evaluator,
    Message,
    Transcript,
    snippet,
)
from performance.registry import register
from scenarios.reading.turn import BLAME, UNKNOWN_ADVICE

HOSTILE_TONE = -0.5

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
        blamed = [
            (m, m.evidence(transcript.reading(m).quotes(BLAME)[0]))
            for m in transcript.agent
            if transcript.reading(m).has(BLAME)
        ]
        hostile = [m for m in transcript.agent if m.tone <= HOSTILE_TONE]
        unsupported = [
            (m, item) for m, item in transcript.wrong_fixes if item.reason == UNKNOWN_ADVICE
        ]

        distinct_phrases = {phrase.lower() for phrase, _ in forbidden}
        score = 100
        score -= min(80, 40 * len(distinct_phrases))
        score -= min(40, 20 * len(shouted))
        score -= min(40, 20 * len(blamed))
        score -= min(30, 10 * len(hostile))
        score -= min(30, 15 * len(unsupported))
        # A keyword list is not professional communication, however polite its words.
        lists = transcript.keyword_lists
        score -= 100 if len(lists) == len(transcript.agent) else min(60, 20 * len(lists))

        evidence = [found for _, found in forbidden[:3]]
        evidence += [m.evidence(q) for m, q in shouted[:3]]
        evidence += [found for _, found in blamed[:3]]
        evidence += [m.evidence() for m in hostile[:2]]
        evidence += [m.evidence(item.quote) for m, item in unsupported[:2]]

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
        if lists:
            problems.append(f"wrote {len(lists)} message(s) as lists of keywords")
        if unsupported:
            problems.append(
                f"gave {len(unsupported)} piece(s) of advice the knowledge base does not support"
            )
        if problems:
            rationale = "The agent " + "; ".join(problems) + "."
        else:
            rationale = "No forbidden phrases, shouting or blame; the tone stayed courteous."

        tip = ""
        if score < 80:
            if forbidden:
                _phrase, found = forbidden[0]
                tip = (
                    f"You wrote “{found.quote}”, which this scenario forbids. Acknowledge the "
                    "customer's feeling and move to what you can do together."
                )
            elif blamed:
                tip = (
                    f"“{blamed[0][1].quote}” puts the blame on the customer. Describe the cause "
                    "neutrally and the next step you will take together."
                )
            elif unsupported:
                tip = (
                    f"“{snippet(unsupported[0][1].quote, 60)}” is not in the knowledge base: "
                    "guessing costs the customer time and trust. Check the articles first."
                )
            elif shouted:
                tip = (
                    f"“{shouted[0][1]}” reads as shouting; write in sentence case and use "
                    "bold words sparingly, not capitals."
                )
            elif hostile:
                tip = (
                    f"“{snippet(hostile[0].content, 60)}” sounds hostile; keep the wording "
                    "neutral and focused on the fix."
                )
            else:
                tip = (
                    "Write to the customer in whole, courteous sentences: a list of keywords "
                    "reads as careless."
                )
        if not evidence:
            evidence = [transcript.agent[0].evidence()]
        return CriterionResult(score, rationale, evidence, tip)
