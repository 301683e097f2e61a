"""Efficiency: the fix arrives within the scenario's estimated time, in a sensible number of
replies, without repeating oneself (near-duplicates found with RapidFuzz)."""

from rapidfuzz import fuzz

from core.durations import format_duration
from performance.evaluators.base import CriterionResult, Evaluator, Transcript
from performance.registry import register
from scenarios.documents import SPARE_REPLIES, ScenarioDocument

TURN_PENALTY = 6
REPEAT_SIMILARITY = 90
UNRESOLVED_CAP = 60


@register("efficiency")
class EfficiencyEvaluator(Evaluator):
    label = "Efficiency"
    generic_tip = "Ask what you need up front and give the whole fix in one clear reply."

    def evaluate(self, transcript: Transcript) -> CriterionResult:
        agent = transcript.agent
        if not agent:
            return CriterionResult(0, "The agent never replied.")
        if not transcript.agent_sentences:
            return CriterionResult(
                0,
                "Every reply was a list of keywords: nothing moved the conversation on.",
                [agent[0].evidence()],
                "Write to the customer in full sentences.",
            )
        expected = ScenarioDocument.read(transcript.scenario).expected_replies
        allowed = expected + SPARE_REPLIES
        score = 100.0
        evidence, problems = [], []

        extra = max(0, len(agent) - allowed)
        if extra:
            score -= min(50, TURN_PENALTY * extra)
            evidence.append(agent[allowed].evidence())
            problems.append(f"{len(agent)} replies where about {expected} would do")

        budget = transcript.estimated_minutes * 60
        took = format_duration(transcript.duration_seconds)
        if transcript.duration_seconds > budget:
            overrun = min(1.0, (transcript.duration_seconds - budget) / budget)
            score -= 10 + 30 * overrun
            problems.append(
                f"took {took} against an estimate of {transcript.estimated_minutes} min"
            )
            evidence.append(agent[-1].evidence())

        repeats = []
        for later in agent[1:]:
            if len(later.content) < 20:
                continue
            for earlier in agent[: later.role_index]:
                if fuzz.ratio(earlier.lower, later.lower) >= REPEAT_SIMILARITY:
                    repeats.append(later)
                    break
        if repeats:
            score -= min(30, 10 * len(repeats))
            evidence.extend(m.evidence() for m in repeats[:3])
            problems.append(f"repeated {len(repeats)} message(s)")

        if transcript.outcome != "resolved" and score > UNRESOLVED_CAP:
            score = UNRESOLVED_CAP
            problems.append("the problem was not resolved")

        if problems:
            rationale = "Efficiency suffered: " + "; ".join(problems) + "."
        else:
            rationale = (
                f"Resolved in {len(agent)} replies and {took} "
                f"(estimate {transcript.estimated_minutes} min)."
            )
        tip = ""
        if score < 80:
            if repeats:
                tip = (
                    f"You sent “{repeats[0].content[:50].strip()}” more than once; if the "
                    "customer is stuck, rephrase or try the next step instead."
                )
            elif extra:
                tip = (
                    f"You needed {len(agent)} replies; ask for all the details you need in one "
                    "message and give the full fix in one message."
                )
            elif transcript.duration_seconds > budget:
                tip = (
                    f"The session took {took} against a {transcript.estimated_minutes}"
                    " min estimate; move to the fix as soon as you know the cause."
                )
            else:
                tip = "Reach a confirmed fix: efficiency counts only once the problem is solved."
        if not evidence:
            evidence = [agent[-1].evidence()]
        return CriterionResult(score, rationale, evidence, tip)
