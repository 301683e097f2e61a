"""Information gathering: the agent asked for each hidden fact, and asked early.

A fact counts as asked for when an agent message contains one of its `asked_by` words, the same
rule that makes the simulated customer reveal it.
"""

from performance.evaluators.base import (
    CriterionResult,
    Evaluator,
    Transcript,
    humanise,
    quote_list,
    word_pattern,
)
from performance.registry import register

#: Replies within which asking counts as prompt; each later reply costs points.
PROMPT_REPLIES = 2
LATE_PENALTY = 15
LATE_FLOOR = 50


@register("information_gathering")
class InformationGatheringEvaluator(Evaluator):
    label = "Information gathering"
    generic_tip = "Ask about the device state and symptoms in your first reply."

    def evaluate(self, transcript: Transcript) -> CriterionResult:
        if not transcript.agent:
            return CriterionResult(0, "The agent never replied.")
        if not transcript.facts:
            return self._questions_only(transcript)

        evidence, scores, late, missing = [], [], [], []
        for fact in transcript.facts:
            words = [w for w in fact.get("asked_by") or [] if str(w).strip()]
            found = None
            for message in transcript.agent:
                for word in words:
                    match = message.find(word_pattern(word))
                    if match:
                        found = (message, match)
                        break
                if found:
                    break
            if found is None:
                scores.append(0)
                missing.append(fact)
                continue
            message, match = found
            evidence.append(match)
            reply_number = message.role_index + 1
            if reply_number <= PROMPT_REPLIES:
                scores.append(100)
            else:
                scores.append(max(LATE_FLOOR, 100 - LATE_PENALTY * (reply_number - PROMPT_REPLIES)))
                late.append((fact, message, match))
        score = round(sum(scores) / len(scores))
        asked = len(transcript.facts) - len(missing)
        rationale = f"Asked for {asked} of {len(transcript.facts)} key fact(s)"
        if late:
            rationale += f", {len(late)} of them late"
        rationale += "."

        tip = ""
        if score < 80:
            if missing:
                fact = missing[0]
                hint = quote_list(fact.get("asked_by") or [], 2)
                tip = (
                    f"You never asked about “{humanise(fact.get('key', 'details'))}”; the "
                    f"customer only shares it when asked (e.g. mention {hint}), so ask in your "
                    "first reply."
                )
            elif late:
                fact, message, _ = late[0]
                tip = (
                    f"You asked about “{humanise(fact.get('key', 'details'))}” only after "
                    f"{message.index} messages; ask for it in your first reply."
                )
        if not evidence:
            evidence = [transcript.agent[0].evidence()]
        return CriterionResult(score, rationale, evidence, tip)

    @staticmethod
    def _questions_only(transcript: Transcript) -> CriterionResult:
        """No hidden facts: reward asking a clarifying question early."""
        questions = [m for m in transcript.agent if "?" in m.content]
        if not questions:
            return CriterionResult(
                40,
                "No clarifying questions were asked.",
                [transcript.agent[0].evidence()],
                "Ask at least one clarifying question before proposing a fix.",
            )
        first = questions[0]
        question = next(s for s in first.sentences if "?" in s) if first.sentences else ""
        evidence = [first.evidence(question if question in first.content else None)]
        if first.role_index < PROMPT_REPLIES:
            return CriterionResult(100, "Asked clarifying questions early.", evidence)
        return CriterionResult(
            70,
            "Asked a clarifying question, but late.",
            evidence,
            f"Your first question came in your reply #{first.role_index + 1}; ask it in your "
            "first reply.",
        )
