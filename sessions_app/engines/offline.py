"""The offline customer: a rule-driven person built only from the scenario file.

No network and no randomness: every choice is a pure function of the scenario, the transcript
and the saved state, so a conversation replays identically (and tests can pin it). Variety comes
from rotating through per-tone pools of lines, seeded by a stable hash of the transcript, while
never repeating a sentence from the customer's previous message.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

from django.conf import settings

from sessions_app.engines.base import (
    OUTCOME_ESCALATED,
    OUTCOME_RESOLVED,
    CustomerEngine,
    CustomerReply,
    Opening,
    ReplyResult,
    Turn,
    knowledge_base_of,
    persona_of,
    ticket_of,
)
from sessions_app.engines.text import (
    chunk_words,
    contains_phrase,
    normalise,
    sentences,
    stable_seed,
)

STATE_VERSION = 1
DEFAULT_PATIENCE = 3
# Frustration above patience × this factor makes the customer give up.
PATIENCE_FACTOR = 1.5

# How much each behaviour moves the customer's frustration.
MOOD_EMPATHY = -1.0
MOOD_APOLOGY = -1.0
MOOD_PROGRESS = -0.5
MOOD_IGNORED_QUESTION = 1.0
MOOD_BLAME = 2.0
MOOD_FORBIDDEN = 2.0
MOOD_SHOUTING = 2.0
MOOD_JARGON = 1.0
MOOD_ASKED_AGAIN = 0.5

TONES = ("curt", "friendly", "anxious", "angry", "formal")
_TONE_WORDS = {
    "angry": {
        "angry",
        "hostile",
        "rude",
        "aggressive",
        "furious",
        "irate",
        "sarcastic",
        "volatile",
        "hot-headed",
    },
    "curt": {
        "curt",
        "terse",
        "blunt",
        "short",
        "brusque",
        "direct",
        "impatient",
        "irritable",
        "dismissive",
        "grumpy",
    },
    "anxious": {
        "anxious",
        "nervous",
        "worried",
        "stressed",
        "panicked",
        "panicky",
        "timid",
        "uncertain",
        "hesitant",
        "apologetic",
        "confused",
        "scared",
        "overwhelmed",
    },
    "friendly": {
        "friendly",
        "warm",
        "polite",
        "cheerful",
        "chatty",
        "kind",
        "easygoing",
        "easy-going",
        "calm",
        "patient",
        "relaxed",
        "upbeat",
        "casual",
        "cooperative",
        "pleasant",
        "talkative",
    },
    "formal": {
        "formal",
        "professional",
        "businesslike",
        "precise",
        "demanding",
        "matter-of-fact",
        "reserved",
        "methodical",
    },
}
_HOT_TEMPERAMENTS = {"irritable", "angry", "hostile", "impatient", "furious", "volatile", "grumpy"}
_LONG_VERBOSITY = {"long", "verbose", "chatty", "detailed", "rambling", "wordy", "talkative"}

# Per-tone pools of lines. {problem} is the first sentence of the ticket; {term} a jargon word.
LINES: dict[str, dict[str, list[str]]] = {
    "greet": {
        "curt": ["Hi.", "Hello.", "Yeah, hi."],
        "friendly": ["Hi there!", "Hello, thanks for getting back to me!", "Hi, nice to meet you!"],
        "anxious": ["Hi, thank you for answering.", "Hello... thanks for helping.", "Oh, hi!"],
        "angry": ["Finally, someone.", "About time.", "Right, hello."],
        "formal": ["Good day.", "Hello, thank you for responding.", "Good afternoon."],
    },
    "clarify": {
        "curt": ["What do you mean?", "Meaning what?", "Not following. Be specific."],
        "friendly": [
            "Sorry, I'm not sure what you mean?",
            "Could you explain that a bit more?",
            "Hmm, I don't quite follow, sorry!",
        ],
        "anxious": [
            "Sorry, I don't understand. Is that bad?",
            "I'm confused, what do you mean?",
            "Wait, what does that mean for me?",
        ],
        "angry": [
            "What is that supposed to mean?",
            "That makes no sense.",
            "Are you even listening to me?",
        ],
        "formal": [
            "Could you clarify what you mean?",
            "I am not sure I follow.",
            "Could you be more specific, please?",
        ],
    },
    "restate": {
        "curt": ["Like I said: {problem}", "Again: {problem}", "The problem is simple: {problem}"],
        "friendly": [
            "Just to recap: {problem}",
            "So, the problem is this: {problem}",
            "To put it simply: {problem}",
        ],
        "anxious": [
            "It's just that... {problem}",
            "I just need this fixed: {problem}",
            "Sorry to repeat myself: {problem}",
        ],
        "angry": [
            "I already told you: {problem}",
            "How many times do I have to say it? {problem}",
            "Read my ticket: {problem}",
        ],
        "formal": [
            "To restate the issue: {problem}",
            "As described in my ticket: {problem}",
            "The issue remains: {problem}",
        ],
    },
    "push": {
        "curt": ["So what do I do?", "Can you fix it or not?", "What now?"],
        "friendly": [
            "So what should I try?",
            "Is there something I can do on my end?",
            "What would you suggest?",
        ],
        "anxious": [
            "What should I do? I really need this working.",
            "Is there anything I can try?",
            "Please, what do I do now?",
        ],
        "angry": ["Just tell me how to fix it.", "I don't have all day.", "Fix it already."],
        "formal": ["What do you recommend?", "What are the next steps?", "How do we proceed?"],
    },
    "thanks": {
        "curt": ["Thanks. Now what?", "Okay. And?", "Fine. So?"],
        "friendly": [
            "Thank you, I appreciate that! What should we try?",
            "That's kind, thanks. So what's next?",
            "Thanks for understanding! How do we fix it?",
        ],
        "anxious": [
            "Thank you, that helps a bit. What do we do?",
            "Thanks... so can it be fixed?",
            "Okay, thank you. Will it be alright?",
        ],
        "angry": [
            "Sympathy doesn't fix anything.",
            "I need a fix, not a sorry.",
            "Nice words. Now fix it.",
        ],
        "formal": [
            "Thank you. What is the next step?",
            "I appreciate that. How do we proceed?",
            "Noted, thank you. What do you propose?",
        ],
    },
    "reveal": {
        "curt": ["{answer}", "Fine. {answer}", "{answer} Anything else?"],
        "friendly": ["Sure! {answer}", "Oh, good question. {answer}", "Let me see... {answer}"],
        "anxious": [
            "Um, let me check... {answer}",
            "I think so, hang on. {answer} Is that bad?",
            "Okay, um. {answer}",
        ],
        "angry": ["{answer} Now fix it.", "Obviously. {answer}", "{answer} Happy now?"],
        "formal": ["Certainly. {answer}", "Yes. {answer}", "To answer your question: {answer}"],
    },
    "already": {
        "curt": ["I already said.", "Told you already.", "Already answered that."],
        "friendly": [
            "I think I mentioned that already!",
            "I told you a moment ago!",
            "I said that before, I think.",
        ],
        "anxious": [
            "Did I not say that already? Sorry.",
            "I think I told you, sorry.",
            "Um, I mentioned that.",
        ],
        "angry": [
            "I literally just told you.",
            "Are you even reading my messages?",
            "I already answered that!",
        ],
        "formal": [
            "I mentioned that earlier.",
            "I have already answered that.",
            "As stated before.",
        ],
    },
    "step": {
        "curt": ["Okay. Then what?", "Done. Next?", "Right. And after that?"],
        "friendly": [
            "Okay, doing that now! What next?",
            "Alright, got it. Anything else?",
            "Sure, done. What's the next step?",
        ],
        "anxious": [
            "Okay, I think I did it right. What now?",
            "Done, I hope. Then what?",
            "Okay... and then?",
        ],
        "angry": ["Done. And?", "Fine, did it. Now what?", "Did it. Is that all?"],
        "formal": ["Done. What is next?", "Understood. Anything further?", "Completed. Then?"],
    },
    "still_broken": {
        "curt": ["Did that. Still broken.", "Tried it. No change.", "Nope. Still the same."],
        "friendly": [
            "I tried that, but it's still not working, sorry!",
            "Hmm, that didn't seem to fix it.",
            "Did it, but no luck yet.",
        ],
        "anxious": [
            "I did that but it's still not working. Did I do it wrong?",
            "It's still the same... what now?",
            "Nothing changed. Is that normal?",
        ],
        "angry": [
            "Did that. Still broken. Great.",
            "That did nothing.",
            "Still not working. Any other ideas?",
        ],
        "formal": [
            "I have done that; the problem persists.",
            "That did not resolve it.",
            "No change, I am afraid.",
        ],
    },
    "forbidden": {
        "curt": ["Excuse me?", "Don't talk to me like that.", "Watch it."],
        "friendly": [
            "Wow, that's not very nice.",
            "I don't appreciate that.",
            "Hey, that's a bit much.",
        ],
        "anxious": [
            "That's really upsetting to hear.",
            "Please don't say that.",
            "Oh. That's not very kind.",
        ],
        "angry": [
            "How dare you.",
            "Don't you dare talk to me like that.",
            "Unbelievable. Seriously?",
        ],
        "formal": [
            "That is unacceptable.",
            "I did not expect that tone.",
            "That remark is uncalled for.",
        ],
    },
    "blame": {
        "curt": ["Not my fault.", "Don't blame me.", "I did nothing wrong."],
        "friendly": [
            "Hmm, I don't think I did anything wrong?",
            "I'm pretty sure this isn't my fault.",
            "I was just using it normally!",
        ],
        "anxious": [
            "Did I break it? I didn't touch anything!",
            "Oh no, is this my fault?",
            "I really don't think I did anything...",
        ],
        "angry": [
            "Don't you dare blame me for this.",
            "So it's my fault now?",
            "I didn't do anything wrong!",
        ],
        "formal": [
            "I followed the instructions correctly.",
            "I do not accept that this is my fault.",
            "The fault is not on my side.",
        ],
    },
    "shouting": {
        "curt": ["No need to shout.", "Stop shouting.", "Caps lock much?"],
        "friendly": [
            "Whoa, no need to shout!",
            "Why are you shouting?",
            "Easy with the caps, please.",
        ],
        "anxious": [
            "Why are you shouting at me?",
            "Please don't yell...",
            "Sorry, did I upset you?",
        ],
        "angry": [
            "Don't shout at me.",
            "Don't yell at me!",
            "Who do you think you're shouting at?",
        ],
        "formal": [
            "Please do not shout.",
            "There is no need to raise your voice.",
            "Kindly stop writing in capitals.",
        ],
    },
    "jargon": {
        "curt": [
            "What's “{term}”?",
            "Plain English, please. “{term}”?",
            "No idea what “{term}” is.",
        ],
        "friendly": [
            "Sorry, what's “{term}”? I'm not very techy!",
            "You lost me at “{term}”.",
            "Could you explain “{term}” in simple words?",
        ],
        "anxious": [
            "I don't know what “{term}” means. Is that bad?",
            "Sorry, what is “{term}”?",
            "“{term}”? I'm not good with technical things.",
        ],
        "angry": [
            "What on earth is “{term}”?",
            "Speak English. What's “{term}”?",
            "I don't know what “{term}” is and I don't care.",
        ],
        "formal": [
            "Could you explain what “{term}” means?",
            "I am not familiar with “{term}”.",
            "Please avoid terms like “{term}”.",
        ],
    },
    "pressure": {
        "curt": ["This is taking too long.", "Hurry up.", "I'm running out of patience."],
        "friendly": [
            "I'm starting to get a bit worried, honestly.",
            "This is taking a while.",
            "I'm getting a little frustrated, sorry.",
        ],
        "anxious": [
            "I'm really getting stressed about this.",
            "This is making me so nervous.",
            "I don't know what I'll do if this doesn't work.",
        ],
        "angry": [
            "I'm sick of this.",
            "This is ridiculous.",
            "I'm about done with this conversation.",
        ],
        "formal": [
            "This is taking longer than acceptable.",
            "I expected faster progress.",
            "My patience is wearing thin.",
        ],
    },
    "extra": {
        "curt": ["I need it working.", "It's urgent.", "This costs me time."],
        "friendly": [
            "It's been going on for a little while now.",
            "I'd love to get this sorted today.",
            "I really appreciate the help, by the way.",
        ],
        "anxious": [
            "I've been worrying about it all day.",
            "I really need this sorted, it's important.",
            "I hope I haven't made it worse.",
        ],
        "angry": [
            "This has wasted enough of my day.",
            "I pay for this service, you know.",
            "I've had it with this.",
        ],
        "formal": [
            "This is affecting my work.",
            "I would appreciate a prompt resolution.",
            "Please treat this as a priority.",
        ],
    },
    "closing": {
        "curt": ["That's all. Bye.", "Nothing else. Thanks.", "We're done. Bye."],
        "friendly": [
            "No, that's everything. Thanks so much!",
            "You've been great, have a lovely day!",
            "All good now, thank you again!",
        ],
        "anxious": [
            "No, that's all, thank you so much for your help.",
            "Thank you again, I was so worried.",
            "That's everything, thanks for being patient with me.",
        ],
        "angry": ["Fine. That's all.", "Yes, we're done.", "Good. Bye."],
        "formal": [
            "That will be all, thank you.",
            "Nothing further. Thank you for your help.",
            "Thank you. Good day.",
        ],
    },
    "confirm": {
        "curt": ["That worked. Thanks."],
        "friendly": ["Oh, that fixed it! Thank you so much!"],
        "anxious": ["Oh thank goodness, it works now. Thank you!"],
        "angry": ["Finally, it works."],
        "formal": ["That has resolved the issue. Thank you."],
    },
    "unresolved": {
        "curt": ["This isn't working. Get me a manager."],
        "friendly": ["I'm sorry, but this isn't helping. Can I talk to someone else?"],
        "anxious": ["I can't do this anymore. Please let me talk to someone else."],
        "angry": ["That's it. I want to speak to a manager. Now."],
        "formal": ["This is not productive. I would like to escalate this to a supervisor."],
    },
    "opening": {
        "curt": [""],
        "friendly": ["Hi there! "],
        "anxious": ["Hi, I hope you can help me. "],
        "angry": [""],
        "formal": ["Good day. "],
    },
}

_EMPATHY = (
    "understand",
    "i hear you",
    "frustrating",
    "frustrated",
    "annoying",
    "i can imagine",
    "that must be",
    "that sounds",
    "i can see why",
    "appreciate your patience",
    "thank you for your patience",
    "thanks for your patience",
    "inconvenience",
    "i know how",
    "i'd feel",
    "i would feel",
    "upsetting",
    "stressful",
    "i get it",
)
_NOT_EMPATHY = ("don't understand", "do not understand", "didn't understand", "can't understand")
_APOLOGY = ("sorry", "apologise", "apologize", "apologies", "apologising", "apologizing")
_GREETING = (
    "hi",
    "hello",
    "hey",
    "good morning",
    "good afternoon",
    "good evening",
    "welcome",
    "thanks for contacting",
    "thank you for contacting",
    "greetings",
)
_BLAME = (
    "your fault",
    "your own fault",
    "you should have",
    "you must have",
    "user error",
    "operator error",
    "did you even",
    "you broke",
    "you caused",
    "you messed",
    "you did it wrong",
    "you did something wrong",
    "because of you",
    "blame you",
    "you should know",
    "read the manual",
    "you obviously",
    "pebkac",
)
JARGON = (
    "dns",
    "dhcp",
    "ip address",
    "mac address",
    "ssid",
    "subnet",
    "gateway",
    "latency",
    "packet loss",
    "packets",
    "tcp",
    "udp",
    "traceroute",
    "firmware",
    "bandwidth",
    "isp",
    "nat",
    "port forwarding",
    "mtu",
    "vpn",
    "ssl",
    "tls",
    "certificate",
    "cache",
    "api",
    "backend",
    "server-side",
    "client-side",
    "protocol",
    "kernel",
    "registry",
    "bios",
    "smtp",
    "imap",
    "oauth",
    "sso",
    "cname",
    "mx record",
    "power cycle",
    "escalation matrix",
    "sla",
    "endpoint",
    "payload",
    "token",
    "cookies",
)


def tone_of(persona: dict) -> str:
    """The persona's voice: its stated tone first, then its temperament. An author who says
    nothing about either gets a plain, friendly customer."""
    style = persona.get("communication_style") or {}
    personality = persona.get("personality") or {}
    for source in (style.get("tone"), personality.get("temperament")):
        for word in re.findall(r"[a-z][a-z-]*", str(source or "").lower()):
            for tone in TONES:
                if word in _TONE_WORDS[tone]:
                    return tone
    return "friendly"


def is_long_winded(persona: dict) -> bool:
    verbosity = str((persona.get("communication_style") or {}).get("verbosity") or "").lower()
    return any(word in verbosity for word in _LONG_VERBOSITY)


def patience_of(persona: dict) -> int:
    value = (persona.get("personality") or {}).get("patience", DEFAULT_PATIENCE)
    try:
        return min(5, max(1, int(value)))
    except (TypeError, ValueError):
        return DEFAULT_PATIENCE


def patience_threshold(persona: dict) -> float:
    return patience_of(persona) * PATIENCE_FACTOR


def initial_frustration(persona: dict) -> float:
    temperament = str((persona.get("personality") or {}).get("temperament") or "").lower()
    return 1.0 if any(word in temperament for word in _HOT_TEMPERAMENTS) else 0.0


def mood_label(frustration: float, threshold: float) -> str:
    ratio = frustration / threshold if threshold else 1
    if ratio < 0.25:
        return "calm"
    if ratio < 0.5:
        return "uneasy"
    if ratio < 0.8:
        return "frustrated"
    return "angry"


def _contains_any(text: str, phrases) -> list[str]:
    return [phrase for phrase in phrases if contains_phrase(text, phrase, fuzzy=False)]


def is_shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 8:
        return False
    return sum(c.isupper() for c in letters) / len(letters) >= 0.7


def _problem_sentence(scenario: dict) -> str:
    description = str(ticket_of(scenario).get("description") or "").strip()
    first = sentences(description)
    return first[0] if first else (description or "I still have the same problem.")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:1].isupper() and text[1:2].islower() else text


@dataclass
class Signals:
    """What the offline customer noticed in the agent's latest words."""

    greeting: bool = False
    empathy: bool = False
    apology: bool = False
    blame: bool = False
    forbidden: list[str] = field(default_factory=list)
    shouting: bool = False
    jargon: list[str] = field(default_factory=list)


class OfflineEngine(CustomerEngine):
    name = "offline"

    # ---- the interface ----------------------------------------------------------------------
    def opening(self, *, scenario: dict) -> Opening:
        persona = persona_of(scenario)
        tone = tone_of(persona)
        description = str(ticket_of(scenario).get("description") or "").strip()
        text = (LINES["opening"][tone][0] + description).strip() or _problem_sentence(scenario)
        return Opening(text=text, state=self.initial_state(scenario=scenario))

    def reply(
        self, *, scenario: dict, transcript: list[Turn], state: dict, tokens_used: int = 0
    ) -> CustomerReply:
        text, new_state, outcome = self.respond(
            scenario=scenario, transcript=transcript, state=state
        )
        pace = float(getattr(settings, "OFFLINE_ENGINE_PACE", 0) or 0)

        async def produce(reply: CustomerReply):
            for index, chunk in enumerate(chunk_words(text)):
                if index and pace > 0:
                    await asyncio.sleep(pace)
                yield chunk
            reply.result = ReplyResult(text=text, state=new_state, outcome=outcome)

        return CustomerReply(produce)

    # ---- the rules ----------------------------------------------------------------------------
    def initial_state(self, *, scenario: dict) -> dict:
        persona = persona_of(scenario)
        frustration = initial_frustration(persona)
        return {
            "v": STATE_VERSION,
            "frustration": frustration,
            "threshold": patience_threshold(persona),
            "mood": mood_label(frustration, patience_threshold(persona)),
            "revealed": [],
            "phrases": [],
            "delivered": [],
            "resolved": False,
            "turns": 0,
        }

    def respond(
        self, *, scenario: dict, transcript: list[Turn], state: dict
    ) -> tuple[str, dict, str | None]:
        """The customer's whole next message, the new state and the outcome (or None)."""
        persona = persona_of(scenario)
        tone = tone_of(persona)
        threshold = patience_threshold(persona)
        state = {**self.initial_state(scenario=scenario), **(state or {})}
        state["threshold"] = threshold
        state["turns"] = int(state.get("turns", 0)) + 1

        agent_text = _latest_agent_text(transcript)
        previous = _last_customer_text(transcript)
        picker = _Picker(
            tone=tone,
            avoid=set(sentences(previous)),
            seed=stable_seed(len(transcript), agent_text, previous),
            problem=_problem_sentence(scenario),
        )

        if state.get("resolved"):
            state["mood"] = "relieved"
            return picker.pick("closing"), state, None

        signals = self._signals(scenario, agent_text)
        revealed_now, asked_again = self._facts_asked(persona, agent_text, state["revealed"])
        delivered_before = set(state["delivered"])
        phrases_before = set(state["phrases"])
        phrases, delivered = self._delivery(scenario, transcript)
        state["phrases"], state["delivered"] = sorted(phrases), sorted(delivered)
        new_phrases = phrases - phrases_before
        if new_phrases:
            # An instruction that mentions a fact's topic ("change your password") is not
            # a question about it.
            asked_again = []
        newly_delivered = delivered - delivered_before
        progress = bool(revealed_now or new_phrases)
        customer_asked = "?" in previous

        change = 0.0
        if signals.empathy:
            change += MOOD_EMPATHY
        if signals.apology:
            change += MOOD_APOLOGY
        if progress:
            change += MOOD_PROGRESS
        if signals.blame:
            change += MOOD_BLAME
        if signals.forbidden:
            change += MOOD_FORBIDDEN
        if signals.shouting:
            change += MOOD_SHOUTING
        if signals.jargon:
            change += MOOD_JARGON
        if asked_again and not revealed_now:
            change += MOOD_ASKED_AGAIN
        ignored = (
            customer_asked and not progress and not (signals.empathy or signals.apology)
        ) or not agent_text.strip()
        if ignored:
            change += MOOD_IGNORED_QUESTION
        frustration = max(0.0, float(state["frustration"]) + change)
        state["frustration"] = round(frustration, 2)
        state["revealed"] = [*state["revealed"], *(f["key"] for f in revealed_now)]

        if self._resolved(scenario, delivered, state["revealed"]):
            state["resolved"] = True
            state["mood"] = "relieved"
            return self._confirm_line(persona, picker), state, OUTCOME_RESOLVED

        if frustration > threshold:
            state["mood"] = "angry"
            return self._unresolved_line(persona, picker), state, OUTCOME_ESCALATED

        state["mood"] = mood_label(frustration, threshold)
        parts: list[str] = []
        if signals.forbidden:
            parts.append(picker.pick("forbidden"))
        elif signals.blame:
            parts.append(picker.pick("blame"))
        elif signals.shouting:
            parts.append(picker.pick("shouting"))
        elif signals.greeting and state["turns"] == 1:
            parts.append(picker.pick("greet"))

        for fact in revealed_now:
            parts.append(picker.pick("reveal", answer=str(fact["answer"]).strip()))
        if not revealed_now:
            for fact in asked_again[:1]:
                answer = str(fact["answer"]).strip()
                if answer in picker.avoid:
                    parts.append(picker.pick("already"))
                else:
                    parts.append(f"{picker.pick('already')} {answer}")

        if signals.jargon:
            parts.append(picker.pick("jargon", term=signals.jargon[0]))
        elif newly_delivered:
            parts.append(picker.pick("still_broken"))
        elif new_phrases and not revealed_now:
            parts.append(picker.pick("step"))
        elif not revealed_now and not asked_again:
            if signals.empathy or signals.apology:
                parts.append(picker.pick("thanks"))
            else:
                parts.append(picker.pick("clarify", "restate", "push"))
            if is_long_winded(persona):
                parts.append(picker.pick("extra"))
        if state["mood"] in ("frustrated", "angry") and not progress:
            parts.append(picker.pick("pressure"))
        return " ".join(part for part in parts if part).strip(), state, None

    # ---- what the customer notices ---------------------------------------------------------
    def _signals(self, scenario: dict, text: str) -> Signals:
        persona = persona_of(scenario)
        lowered = normalise(text)
        forbidden = [
            phrase
            for phrase in (scenario.get("assessment_criteria") or {}).get("forbidden_phrases") or []
            if contains_phrase(text, phrase, fuzzy=False)
        ]
        empathy = bool(_contains_any(text, _EMPATHY)) and not _contains_any(text, _NOT_EMPATHY)
        jargon: list[str] = []
        if persona.get("technical_level", "novice") == "novice":
            known = _known_vocabulary(scenario)
            jargon = [
                _as_written(text, term)
                for term in JARGON
                if contains_phrase(text, term, fuzzy=False) and f" {normalise(term)} " not in known
            ]
        return Signals(
            greeting=bool(_contains_any(" ".join(lowered.split()[:6]), _GREETING)),
            empathy=empathy,
            apology=bool(_contains_any(text, _APOLOGY)),
            blame=bool(_contains_any(text, _BLAME)),
            forbidden=forbidden,
            shouting=is_shouting(text),
            jargon=jargon,
        )

    def _facts_asked(self, persona: dict, text: str, revealed: list[str]):
        """(facts revealed by this message, already-revealed facts asked about again)."""
        new, again = [], []
        for fact in persona.get("facts") or []:
            if not isinstance(fact, dict) or not fact.get("key"):
                continue
            asked = any(
                contains_phrase(text, word, fuzzy=False) for word in fact.get("asked_by") or []
            )
            if not asked:
                continue
            (again if fact["key"] in revealed else new).append(fact)
        return new, again

    def _delivery(self, scenario: dict, transcript: list[Turn]) -> tuple[set[str], set[str]]:
        """Key phrases heard so far (as "entry::phrase") and the required entries fully
        delivered, counting every agent message of the conversation."""
        agent_messages = [turn.content for turn in transcript if turn.role == "agent"]
        heard: set[str] = set()
        delivered: set[str] = set()
        for entry_id, phrases in required_phrases(scenario).items():
            matched = {
                phrase
                for phrase in phrases
                if any(contains_phrase(message, phrase) for message in agent_messages)
            }
            heard.update(f"{entry_id}::{phrase}" for phrase in matched)
            if phrases and len(matched) == len(phrases):
                delivered.add(entry_id)
        return heard, delivered

    def _resolved(self, scenario: dict, delivered: set[str], revealed: list[str]) -> bool:
        required = set(required_phrases(scenario))
        if required:
            return required <= delivered
        # Nothing to deliver: the customer only needed to be heard out.
        facts = [f.get("key") for f in persona_of(scenario).get("facts") or []]
        return bool(facts) and set(facts) <= set(revealed)

    def _confirm_line(self, persona: dict, picker: _Picker) -> str:
        line = str((persona.get("resolution") or {}).get("confirm") or "").strip()
        return line or picker.pick("confirm")

    def _unresolved_line(self, persona: dict, picker: _Picker) -> str:
        line = str((persona.get("resolution") or {}).get("unresolved") or "").strip()
        return line or picker.pick("unresolved")


def required_phrases(scenario: dict) -> dict[str, list[str]]:
    """For each `resolution.requires` entry, the phrases that deliver it: its key phrases, or
    its title when the author gave none."""
    persona = persona_of(scenario)
    knowledge = knowledge_base_of(scenario)
    result: dict[str, list[str]] = {}
    for entry_id in (persona.get("resolution") or {}).get("requires") or []:
        entry = knowledge.get(entry_id) or {}
        phrases = [str(p) for p in entry.get("key_phrases") or [] if str(p).strip()]
        if not phrases:
            phrases = [str(entry.get("title") or entry_id)]
        result[entry_id] = phrases
    return result


def delivered_entries(scenario: dict, agent_messages: list[str]) -> set[str]:
    """The required knowledge-base entries the agent's messages have delivered (all phrases)."""
    turns = [Turn(role="agent", content=message) for message in agent_messages]
    return OfflineEngine()._delivery(scenario, turns)[1]


def all_required_delivered(scenario: dict, agent_messages: list[str]) -> bool:
    required = set(required_phrases(scenario))
    return bool(required) and required <= delivered_entries(scenario, agent_messages)


def _known_vocabulary(scenario: dict) -> str:
    """Everything the customer has read or said: words there are not jargon to them."""
    persona = persona_of(scenario)
    texts = [str(ticket_of(scenario).get("description") or "")]
    for fact in persona.get("facts") or []:
        texts += [str(fact.get("answer") or ""), *(str(w) for w in fact.get("asked_by") or [])]
    for entry in scenario.get("knowledge_base_entries") or []:
        texts += [str(entry.get("title") or ""), str(entry.get("body") or "")]
        texts += [str(p) for p in entry.get("key_phrases") or []]
    return " " + normalise(" ".join(texts)) + " "


def _as_written(text: str, term: str) -> str:
    """The jargon word as the agent typed it ("DHCP", not "dhcp"), for the customer to quote."""
    match = re.search(re.escape(term), text, re.IGNORECASE)
    return match.group(0) if match else term


def _latest_agent_text(transcript: list[Turn]) -> str:
    """Every agent line since the customer last spoke (two quick messages count as one turn)."""
    lines: list[str] = []
    for turn in reversed(transcript):
        if turn.role == "customer":
            break
        if turn.role == "agent":
            lines.append(turn.content)
    return " ".join(reversed(lines))


def _last_customer_text(transcript: list[Turn]) -> str:
    for turn in reversed(transcript):
        if turn.role == "customer":
            return turn.content
    return ""


class _Picker:
    """Chooses lines from the tone's pools, deterministically, skipping any line that would
    repeat a sentence of the previous customer message or of this message."""

    def __init__(self, *, tone: str, avoid: set[str], seed: int, problem: str):
        self.tone = tone
        self.avoid = set(avoid)
        self.seed = seed
        self.problem = problem
        self.calls = 0

    def pick(self, *categories: str, **values) -> str:
        candidates: list[str] = []
        for category in categories:
            candidates += LINES[category].get(self.tone) or LINES[category]["friendly"]
        values.setdefault("problem", self.problem)
        values.setdefault("problem_lc", _lower_first(self.problem))
        start = (self.seed + self.calls * 7919) % len(candidates)
        self.calls += 1
        chosen = None
        for offset in range(len(candidates)):
            line = candidates[(start + offset) % len(candidates)].format(**values).strip()
            if not any(sentence in self.avoid for sentence in sentences(line)):
                chosen = line
                break
        if chosen is None:
            chosen = candidates[start].format(**values).strip()
        self.avoid.update(sentences(chosen))
        return chosen
