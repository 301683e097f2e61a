"""Information gathering: the customer gave each hidden fact in answer to the agent's question,
and early.

A fact counts only when the customer actually released it (the state machine's decision on the
agent's question), so a statement that mentions a topic, a keyword list or a question asked in
passing earns nothing.
"""

from performance.evaluators.base import CriterionResult, Evaluator, Transcript, humanise
from performance.registry import register
from scenarios.reading.turn import QUESTION

#: Replies within which asking counts as prompt; each later reply costs points.
PROMPT_REPLIES = 2
LATE_PENALTY = 15
LATE_FLOOR = 50


@register("information_gathering")
class InformationGatheringEvaluator(Evaluator):
    label = "Information gathering"
    generic_tip = "Ask what the customer sees and what they have tried before suggesting a fix."

    def evaluate(self, transcript: Transcript) -> CriterionResult:
        if not transcript.agent:
            return CriterionResult(0, "The agent never replied.")
        if not transcript.facts:
            return self._questions_only(transcript)

        released = {key: (message, quote) for key, message, quote in transcript.releases}
        evidence, scores, late, missing = [], [], [], []
        for fact in transcript.facts:
            found = released.get(fact.get("key"))
            if found is None:
                scores.append(0)
                missing.append(fact)
                continue
            message, quote = found
            evidence.append(message.evidence(quote))
            reply_number = message.role_index + 1
            if reply_number <= PROMPT_REPLIES:
                scores.append(100)
            else:
                scores.append(max(LATE_FLOOR, 100 - LATE_PENALTY * (reply_number - PROMPT_REPLIES)))
                late.append((fact, message))
        score = round(sum(scores) / len(scores))
        learned = len(transcript.facts) - len(missing)
        rationale = (
            f"The customer told you {learned} of {len(transcript.facts)} key fact(s) "
            "in answer to your questions"
        )
        if late:
            rationale += f", {len(late)} of them late"
        rationale += "."
        if transcript.keyword_lists:
            rationale += f" {len(transcript.keyword_lists)} keyword-list message(s) asked nothing."

        tip = ""
        if score < 80:
            if missing:
                topic = humanise(missing[0].get("key", "details"))
                tip = (
                    f"You never found out one key fact ({topic}). The customer only shares what "
                    "they are asked: ask about it in a full question before you suggest a fix."
                )
            elif late:
                fact, message = late[0]
                tip = (
                    f"You learned one key fact ({humanise(fact.get('key', 'details'))}) only in "
                    f"your reply #{message.role_index + 1}; ask your diagnostic questions in "
                    "your first reply."
                )
        if not evidence:
            evidence = [transcript.agent[0].evidence()]
        return CriterionResult(score, rationale, evidence, tip)

    @staticmethod
    def _questions_only(transcript: Transcript) -> CriterionResult:
        """No hidden facts: reward asking a clarifying question early."""
        questions = [m for m in transcript.agent_sentences if transcript.reading(m).has(QUESTION)]
        if not questions:
            return CriterionResult(
                40,
                "No clarifying questions were asked.",
                [transcript.agent[0].evidence()],
                "Ask at least one clarifying question before proposing a fix.",
            )
        first = questions[0]
        evidence = [first.evidence(transcript.reading(first).quotes(QUESTION)[0])]
        if first.role_index < PROMPT_REPLIES:
            return CriterionResult(100, "Asked clarifying questions early.", evidence)
        return CriterionResult(
            70,
            "Asked a clarifying question, but late.",
            evidence,
            f"Your first question came in your reply #{first.role_index + 1}; ask it in your "
            "first reply.",
        )
