"""Empathy: the customer's frustration is acknowledged early and whenever they are upset.

Upset is measured with VADER on the customer's messages (the opening complaint always counts);
acknowledgement is an apology or an "I understand"-style phrase in the agent's next reply.
"""

from performance.evaluators.base import (
    EMPATHY_RE,
    CriterionResult,
    Evaluator,
    Transcript,
    any_pattern,
    snippet,
)
from performance.registry import register

UPSET_COMPOUND = -0.3

DISMISSIVE_RE = any_pattern(
    [
        r"\bcalm down\b",
        r"\brelax\b",
        r"\bchill\b",
        r"\bwhatever\b",
        r"\bnot my (?:problem|fault|job)\b",
        r"\bas i (?:already )?(?:said|told you|explained)\b",
        r"\blike i (?:said|told you)\b",
        r"\bi already told you\b",
        r"\bobviously\b",
        r"\b(?:it'?s|this is) not a big deal\b",
        r"\bno need to (?:get|be) (?:upset|angry|rude)\b",
        r"\byou need to be patient\b",
    ]
)


@register("empathy")
class EmpathyEvaluator(Evaluator):
    label = "Empathy"
    generic_tip = "Acknowledge how the customer feels before moving to the fix."

    def evaluate(self, transcript: Transcript) -> CriterionResult:
        if not transcript.agent:
            return CriterionResult(0, "The agent never replied.")
        empathetic = [m for m in transcript.agent if EMPATHY_RE.search(m.content)]
        needs = [
            m
            for m in transcript.customer
            if m.role_index == 0 or m.sentiment["compound"] <= UPSET_COMPOUND
        ]
        unacknowledged = []
        for upset in needs:
            reply = transcript.agent_reply_after(upset)
            if reply is not None and not EMPATHY_RE.search(reply.content):
                unacknowledged.append((upset, reply))
        answered = [m for m in needs if transcript.agent_reply_after(m) is not None]
        dismissive = [(m, m.find(DISMISSIVE_RE)) for m in transcript.agent]
        dismissive = [(m, found) for m, found in dismissive if found]

        evidence = [m.find(EMPATHY_RE) for m in empathetic[:4]]
        evidence += [found for _, found in dismissive[:3]]
        score = 0
        if empathetic:
            score = 40
            if answered:
                score += round(35 * (len(answered) - len(unacknowledged)) / len(answered))
            else:
                score += 35
            if empathetic[0].role_index <= 1:
                score += 15
            distinct = {EMPATHY_RE.search(m.content).group(0).lower() for m in empathetic}
            if len(empathetic) >= 2 or len(distinct) >= 2:
                score += 10
        else:
            score = 10
        score -= min(50, 25 * len(dismissive))

        if empathetic and not dismissive:
            rationale = (
                f"Acknowledged the customer's feelings in {len(empathetic)} of "
                f"{len(transcript.agent)} replies"
                + (
                    f"; {len(unacknowledged)} upset message(s) went unacknowledged."
                    if unacknowledged
                    else "."
                )
            )
        elif empathetic:
            rationale = "Some acknowledgement, but also dismissive words towards the customer."
        elif dismissive:
            rationale = "No acknowledgement of the customer's feelings, and dismissive words."
        else:
            rationale = "No acknowledgement of the customer's feelings."

        tip = ""
        if score < 80:
            if dismissive:
                _message, found = dismissive[0]
                tip = (
                    f"“{found.quote}” dismisses the customer's feelings; say “I understand how "
                    "frustrating this is” instead."
                )
            elif unacknowledged:
                upset, reply = unacknowledged[0]
                tip = (
                    f"When the customer wrote “{snippet(upset.content, 60)}”, your reply "
                    f"“{snippet(reply.content, 50)}” went straight to business; start with "
                    "“I'm sorry about this — I understand how frustrating it is.”"
                )
            else:
                tip = (
                    "Your first apology came late; acknowledge the problem in your first reply: "
                    "“I'm sorry you're dealing with this.”"
                )
        if not evidence and transcript.agent:
            evidence = [transcript.agent[0].evidence()]
        return CriterionResult(score, rationale, evidence, tip)
