"""Resolution: the customer confirmed that the fix the agent gave worked.

The fix is judged as the customer judged it live (`scenarios.reading` + the customer's
state machine): every required knowledge-base entry told in sentences, its numbers right. A
wrong or missing fix earns at most `UNRESOLVED_CAP`, however many key words were typed.
"""

from rapidfuzz import fuzz

from performance.evaluators.base import CriterionResult, Evaluator, Transcript, snippet
from performance.registry import register
from scenarios.reading import model_for
from scenarios.reading.turn import WRONG_NUMBER

RESOLVED_SCORE = 100
UNRESOLVED_CAP = 40
WRONG_FIX_PENALTY = 10
RESOLVED_FLOOR = 60
CONFIRM_SIMILARITY = 80


@register("resolution")
class ResolutionEvaluator(Evaluator):
    label = "Resolution"
    generic_tip = (
        "Find the cause first, then give every step of the knowledge-base fix in plain "
        "sentences, with its exact figures, and check that it worked."
    )

    def evaluate(self, transcript: Transcript) -> CriterionResult:
        if not transcript.agent:
            return CriterionResult(0, "The agent never replied.")
        model = model_for(transcript.scenario)
        state = transcript.final_state
        heard = state.heard if state else {}
        required = [model.entry(entry_id) for entry_id in model.required]
        required = [entry for entry in required if entry is not None]
        phrases = sum(len(entry.phrases) for entry in required)
        told = sum(
            1
            for entry in required
            for phrase in entry.phrases
            if phrase.text in heard.get(entry.id, [])
        )
        evidence = []
        for message in transcript.agent_sentences:
            for step in transcript.reading(message).fixes:
                if step.entry_id in model.required:
                    evidence.append(message.evidence(step.quote.split(" … ")[0]))
        wrong = transcript.wrong_fixes
        evidence += [message.evidence(item.quote) for message, item in wrong[:3]]

        if transcript.resolved:
            score = max(RESOLVED_FLOOR, RESOLVED_SCORE - WRONG_FIX_PENALTY * len(wrong))
            confirm = self._confirmation(transcript)
            if confirm is not None:
                evidence.append(confirm)
            rationale = "The customer confirmed the fix worked"
            rationale += f" after {len(wrong)} wrong attempt(s)." if wrong else "."
        else:
            coverage = told / phrases if phrases else 0.0
            score = max(0, round(UNRESOLVED_CAP * coverage) - WRONG_FIX_PENALTY * len(wrong))
            done = sum(1 for entry in required if entry.id in (state.delivered if state else []))
            rationale = (
                f"No confirmed fix: {done} of {len(required)} required fix(es) fully given"
                if required
                else "No confirmed fix"
            )
            if wrong:
                rationale += f", and {len(wrong)} piece(s) of advice that could not work"
            rationale += "."
            if transcript.outcome == "escalated":
                rationale += " The customer escalated."

        tip = ""
        if score < 80:
            tip = self._tip(transcript, required, heard, wrong)
        if not evidence:
            evidence = [transcript.agent[-1].evidence()]
        return CriterionResult(score, rationale, evidence, tip)

    @staticmethod
    def _tip(transcript, required, heard, wrong) -> str:
        numbered = [item for _message, item in wrong if item.reason == WRONG_NUMBER]
        if numbered:
            entry = model_for(transcript.scenario).entry(numbered[0].entry_id)
            title = entry.title if entry else "the article"
            return (
                f"“{numbered[0].quote}” does not match “{title}” in the knowledge base, so the fix "
                "could not work. Read the article's figures back exactly when you give a fix."
            )
        if wrong:
            return (
                f"“{snippet(wrong[0][1].quote, 60)}” is advice the knowledge base does not "
                "support, so the customer tried it in vain. Find the cause first, then give "
                "the article's fix."
            )
        missing = [entry for entry in required if len(heard.get(entry.id, [])) < len(entry.phrases)]
        if missing:
            entry = missing[0]
            started = " only part of" if heard.get(entry.id) else ""
            return (
                f"You gave{started} the fix in “{entry.title}”. Walk the customer through "
                "every step of the article in full sentences, then check that it worked."
            )
        if transcript.outcome == "escalated":
            last = transcript.customer[-1].content if transcript.customer else ""
            return (
                f"The customer escalated (“{snippet(last, 60)}”) before the fix landed; "
                "give the fix earlier, while they still have patience."
            )
        return "Give the fix as a clear instruction and check with the customer that it worked."

    @staticmethod
    def _confirmation(transcript: Transcript):
        """The customer's message saying it works: the one closest to the scenario's confirm
        line among those after the fix landed, else the first of them."""
        for turn in transcript.turns:
            if turn.reaction.outcome == "resolved":
                last = turn.message_ids[-1]
                index = next(m.index for m in transcript.agent if m.id == last)
                after = [m for m in transcript.messages[index + 1 :] if m.role == "customer"]
                if not after:
                    return None
                expected = str(transcript.resolution.get("confirm") or "").lower()
                best = max(after, key=lambda m: fuzz.ratio(expected, m.lower)) if expected else None
                if best is not None and fuzz.ratio(expected, best.lower) >= CONFIRM_SIMILARITY:
                    return best.evidence()
                return after[0].evidence()
        return None
