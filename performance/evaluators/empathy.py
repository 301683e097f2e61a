"""Empathy: the agent acknowledged what the customer said they felt, early and when it counted.

Upset is measured with VADER on the customer's messages (the opening complaint always counts);
an acknowledgement is the reader's `empathy` or `apology` act in the agent's next reply, in
sentences (a keyword list acknowledges nothing), not negated ("I don't understand"). One that
takes up the customer's own words or names their feeling counts fully; a stock phrase, half.
"""

from performance.evaluators.base import CriterionResult, Evaluator, Message, Transcript, snippet
from performance.registry import register
from scenarios.reading.lexicon import STOP_WORDS, tokenize
from scenarios.reading.turn import APOLOGY, BLAME, EMPATHY
from scenarios.reading.words import word_set

UPSET_COMPOUND = -0.3


@register("empathy")
class EmpathyEvaluator(Evaluator):
    label = "Empathy"
    generic_tip = "Acknowledge how the customer feels, in your own words, before moving to the fix."

    def evaluate(self, transcript: Transcript) -> CriterionResult:
        if not transcript.agent:
            return CriterionResult(0, "The agent never replied.")

        def acknowledgement(message: Message) -> str | None:
            reading = transcript.reading(message)
            if reading.keyword_list:
                return None
            quotes = reading.quotes(EMPATHY) or reading.quotes(APOLOGY)
            return quotes[0] if quotes else None

        acknowledging = [m for m in transcript.agent if acknowledgement(m)]
        needs = [
            m
            for m in transcript.customer
            if m.role_index == 0 or m.sentiment["compound"] <= UPSET_COMPOUND
        ]
        answered, missed, specific = [], [], []
        for upset in needs:
            reply = transcript.agent_reply_after(upset)
            if reply is None:
                continue
            quote = acknowledgement(reply)
            if quote is None:
                missed.append((upset, reply))
                continue
            answered.append(reply)
            if _takes_up(reply.content, upset.content):
                specific.append(reply)
        dismissive = [
            (m, transcript.reading(m).quotes(BLAME)[0])
            for m in transcript.agent
            if transcript.reading(m).has(BLAME)
        ]

        evidence = [m.evidence(acknowledgement(m)) for m in acknowledging[:4]]
        evidence += [m.evidence(quote) for m, quote in dismissive[:3]]
        score = 10
        if acknowledging:
            score = 40
            total = len(answered) + len(missed)
            share = (len(answered) + len(specific)) / (2 * total) if total else 1.0
            score += round(35 * share)
            if acknowledging[0].role_index <= 1:
                score += 15
            if specific:
                score += 10
        score -= min(50, 25 * len(dismissive))

        if acknowledging and not dismissive:
            rationale = (
                f"Acknowledged the customer's feelings in {len(acknowledging)} of "
                f"{len(transcript.agent)} replies"
                + (f"; {len(missed)} upset message(s) went unacknowledged." if missed else ".")
            )
        elif acknowledging:
            rationale = "Some acknowledgement, but also blaming or dismissive words."
        elif dismissive:
            rationale = "No acknowledgement of the customer's feelings, and dismissive words."
        else:
            rationale = "No acknowledgement of the customer's feelings."

        tip = ""
        if score < 80:
            if dismissive:
                tip = (
                    f"“{dismissive[0][1]}” dismisses or blames the customer. Name what they are "
                    "going through instead, then move to the fix together."
                )
            elif missed:
                upset, reply = missed[0]
                tip = (
                    f"When the customer wrote “{snippet(upset.content, 60)}”, your reply "
                    f"“{snippet(reply.content, 50)}” went straight to business. Acknowledge the "
                    "feeling they expressed, in your own words, before the next question."
                )
            elif not specific:
                tip = (
                    "Your acknowledgements were stock phrases. Refer to what the customer "
                    "actually said (the missed deadline, the double charge) so they feel heard."
                )
            else:
                tip = "Acknowledge the problem in your first reply, before any questions."
        if not evidence:
            evidence = [transcript.agent[0].evidence()]
        return CriterionResult(score, rationale, evidence, tip)


def _content(text: str) -> set[str]:
    return {t.lemma for t in tokenize(text) if t.lemma not in STOP_WORDS and len(t.lemma) > 2}


# The reader's own list of feeling words (scenarios/reading/words.yaml), not a second one.
_FEELINGS = word_set("feeling_words")


def _takes_up(reply: str, customer_text: str) -> bool:
    """Whether a reply refers to what the customer said or names a feeling."""
    words = _content(reply)
    return bool(words & _content(customer_text)) or bool(words & _FEELINGS)
