"""The offline customer's voice: a `Reaction` put into one message in the persona's tone.

One reply per turn, built in a fixed order (how they feel about how they were treated, what
happened when they tried the advice, the answers, what they want next), so it reads as one
person talking rather than stitched fragments. Lines come from `lines.yaml`; the choice is a
pure function of the conversation, and no sentence of the previous reply is repeated.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

from sessions_app.engines.customer import Reaction, persona_of, problem_sentence

LINES_FILE = Path(__file__).with_name("lines.yaml")
TONES = ("curt", "friendly", "anxious", "angry", "formal")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
# An author's `unresolved` line that already asks for someone else needs no second goodbye
# ("I'm escalating to our account director. I am ending this conversation and asking for a
# supervisor."); one that only complains gets the tone's `leaving` line after it.
_ASKS_FOR_SOMEONE_ELSE = re.compile(
    r"\b(escalat\w*|manager|supervisor|director|someone else|somebody else|speak to|talk to)\b",
    re.IGNORECASE,
)


@functools.cache
def lines() -> dict:
    return yaml.safe_load(LINES_FILE.read_text())


def tone_of(persona: dict) -> str:
    """The persona's voice: its stated tone first, then its temperament. An author who says
    nothing about either gets a plain, friendly customer."""
    style = persona.get("communication_style") or {}
    personality = persona.get("personality") or {}
    words = lines()["tone_words"]
    for source in (style.get("tone"), personality.get("temperament")):
        for word in re.findall(r"[a-z][a-z-]*", str(source or "").lower()):
            for tone in TONES:
                if word in words[tone]:
                    return tone
    return "friendly"


def is_long_winded(persona: dict) -> bool:
    verbosity = str((persona.get("communication_style") or {}).get("verbosity") or "").lower()
    return any(word in verbosity for word in lines()["long_winded"])


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split((text or "").strip()) if part.strip()]


def opening_line(scenario: dict) -> str:
    tone = tone_of(persona_of(scenario))
    description = str((scenario.get("ticket_template") or {}).get("description") or "").strip()
    if re.match(r"(?i)(hi|hello|hey|good (morning|afternoon|evening|day)|dear)\b", description):
        return description  # the ticket greets already: no "Hi there! Hi, …"
    return (lines()["opening"][tone][0] + description).strip() or problem_sentence(scenario)


class Picker:
    """Chooses lines from the tone's pools, deterministically, skipping any line that would
    repeat a sentence of the previous customer message or of this one."""

    def __init__(self, *, tone: str, avoid: set[str], seed: int, problem: str):
        self.tone = tone
        self.avoid = set(avoid)
        self.seed = seed
        self.problem = problem
        self.calls = 0

    def pick(self, category: str, **values) -> str:
        pools = lines()[category]
        candidates = pools.get(self.tone) or pools["friendly"]
        values.setdefault("problem", self.problem)
        start = (self.seed + self.calls * 7919) % len(candidates)
        self.calls += 1
        for offset in range(len(candidates)):
            line = candidates[(start + offset) % len(candidates)].format(**values).strip()
            if not any(sentence in self.avoid for sentence in sentences(line)):
                self.avoid.update(sentences(line))
                return line
        return candidates[start].format(**values).strip()


def compose(
    *, scenario: dict, reaction: Reaction, previous: str, seed: int, mood_before: str = ""
) -> str:
    """The customer's whole message for this turn."""
    persona = persona_of(scenario)
    resolution = persona.get("resolution") or {}
    picker = Picker(
        tone=tone_of(persona),
        avoid=set(sentences(previous)),
        seed=seed,
        problem=problem_sentence(scenario),
    )
    if reaction.after_resolution:
        return picker.pick("closing")
    if reaction.outcome == "resolved":
        return str(resolution.get("confirm") or "").strip() or picker.pick("confirm")
    if reaction.outcome == "escalated":
        own = str(resolution.get("unresolved") or "").strip()
        if not own:
            last = picker.pick("unresolved")
        elif _ASKS_FOR_SOMEONE_ELSE.search(own):
            last = own
        else:
            picker.avoid.update(sentences(own))  # not "Forget it. … Forget it. …"
            last = f"{own} {picker.pick('leaving')}"
        return " ".join(part for part in (_feelings(reaction, picker), last) if part)

    parts = [_feelings(reaction, picker)]
    if reaction.keyword_list:
        parts.append(picker.pick("keywords"))
    elif reaction.injection and not reaction.released:
        parts.append(picker.pick("confused"))
    if reaction.wrong_fix is not None:
        parts.append(picker.pick("doubt" if reaction.wrong_fix.told else "tried_failed"))
    if reaction.released:
        answers = [answer.strip() for _key, answer in reaction.released]
        if not (reaction.rude or reaction.wrong_fix):
            lead = picker.pick("lead")
            if not _echoes(lead, answers[0]):
                parts.append(lead)
        parts += answers
    elif reaction.repeated:
        answer = reaction.repeated[0][1].strip()
        parts.append(picker.pick("already"))
        if answer not in picker.avoid:
            parts.append(answer)
    elif reaction.step_heard and reaction.wrong_fix is None:
        if reaction.missing_measure == "time":
            parts.append(picker.pick("ask_time"))
        elif reaction.missing_measure == "amount":
            parts.append(picker.pick("ask_amount"))
        else:
            parts.append(picker.pick("step"))
    elif reaction.closing_early:
        parts.append(picker.pick("not_done_answer" if reaction.closing_asked else "not_done"))
    elif reaction.unknown_question and not (reaction.wrong_fix or reaction.rude):
        parts.append(picker.pick("dont_know"))
    elif not (reaction.rude or reaction.keyword_list or reaction.injection or reaction.wrong_fix):
        parts.append(picker.pick("thanks" if reaction.soothed else "push"))
    if reaction.jargon:
        parts.append(picker.pick("jargon", term=reaction.jargon))
    if reaction.mood in ("frustrated", "angry") and (reaction.stalled or reaction.wrong_fix):
        parts.append(picker.pick("pressure"))
    elif is_long_winded(persona) and reaction.stalled and seed % 2:
        parts.append(picker.pick("extra"))
    return " ".join(part for part in parts if part).strip() or picker.pick("push")


def _stems(text: str) -> set[str]:
    return {word[:5] for word in re.findall(r"[a-z]{4,}", text.lower())}


def _echoes(lead: str, answer: str) -> bool:
    """A lead-in that says what the answer's first words say again ("Let me check... I'm
    checking …"): left out rather than heard twice."""
    return bool(_stems(lead) & _stems(" ".join(answer.split()[:6])))


def _feelings(reaction: Reaction, picker: Picker) -> str:
    """How the customer takes the way they were spoken to, before anything else."""
    if reaction.rude == "forbidden":
        return picker.pick("forbidden")
    if reaction.rude == "blame":
        return picker.pick("blame")
    if reaction.rude == "shouting":
        return picker.pick("shouting")
    return ""
