"""Reading one agent message: sentences, what each part does, and what it means for the scenario.

The reader is a set of small, explainable rules over lemmatised words, not a model: the same
message always reads the same way, a trainee can be told why, and a turn costs well under a
millisecond. The rules, in order:

1. Split into sentences, and sentences into parts at commas, colons and dashes.
2. Decide what each part is: a question or request for information, an instruction, an offer,
   or a statement. Only questions and requests ask for facts; only statements and instructions
   deliver fixes; a negated part ("don't hold the button") does neither.
3. Match meaning through concepts (lemmas plus synonym groups), so "status indicator" asks
   about the light and "power cycled" about restarting.
4. A message made of keyword fragments rather than sentences is flagged, and reads as nothing.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from scenarios.reading.lexicon import NEGATORS, STOP_WORDS, STRUCTURE_WORDS, Token, tokenize
from scenarios.reading.scenario import JARGON, UNIT_WORDS, ScenarioModel, model_for
from scenarios.reading.turn import (
    APOLOGY,
    BLAME,
    CLOSING,
    EMPATHY,
    GREETING,
    INSTRUCTION,
    QUESTION,
    UNKNOWN_ADVICE,
    WRONG_NUMBER,
    FactAsked,
    FixStep,
    PhraseHit,
    TurnReading,
    WrongFix,
)
from scenarios.reading.words import PhraseIndex, phrase_list, word_set

# Part kinds.
ASKS = "asks"  # a question or request for information
TELLS = "tells"  # a statement
INSTRUCTS = "instructs"  # an instruction or a polite request to act
SUGGESTS = "suggests"  # "have you tried …?": a question that also proposes a step
OFFERS = "offers"  # "would you like me to …?"

# A sentence ends at . ! ? … followed by a space (so "2.4" and "resolution.confirm" do not
# end one), or at a line break.
_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n+")
_PART_SPLIT_RE = re.compile(r"[,;:]|\s[-–—]\s|\s[-–—]$")

DISCOURSE = word_set("discourse")
WH_WORDS = word_set("wh")
AUX_WORDS = word_set("aux")
SUBJECTS = word_set("subjects")
INFO_VERBS = word_set("info_verbs")
ASKING_IMPERATIVES = word_set("asking_imperatives")
NON_FIX_VERBS = word_set("non_fix_verbs")
ACTION_VERBS = word_set("action_verbs")
YOU_MODALS = word_set("you_modals")
INFO_REQUEST_OPENERS = PhraseIndex(phrase_list("info_request_openers"))
INSTRUCTION_OPENERS = PhraseIndex(phrase_list("instruction_openers"))
GREETING_WORDS = word_set("greeting")
GREETING_OPENERS = PhraseIndex(phrase_list("greeting_openers"))
EMPATHY_PHRASES = PhraseIndex(phrase_list("empathy_phrases"))
FEELING_WORDS = word_set("feeling_words")
APOLOGY_WORDS = word_set("apology")
BLAME_PHRASES = PhraseIndex(phrase_list("blame_phrases"))
CLOSING_PHRASES = PhraseIndex(phrase_list("closing_phrases"))
INJECTION_PHRASES = PhraseIndex(phrase_list("injection_phrases"))
QUOTE_CUES = word_set("quote_cues")
GENERIC_WORDS = word_set("generic")
GENERIC_TOPICS = word_set("generic_topics")
FORMULA_WORDS = GREETING_WORDS | DISCOURSE | APOLOGY_WORDS | word_set("formula_extra")
JARGON_INDEX = PhraseIndex(tuple(term.split()) for term in JARGON)
# "SYSTEM:", "[[RESOLVED]]", "### New instructions": text shaped for a program, not a person.
_INJECTION_MARK_RE = re.compile(
    r"\b(?:system|assistant|developer|admin)(?: note| message| prompt| override)?\s*:"
    r"|\[\[|###",
    re.I,
)


@dataclass
class Part:
    """A clause-sized piece of a sentence: the unit that is asked, told or instructed."""

    tokens: list[Token]
    kind: str = TELLS
    #: "could you send us …", "please check …": asks, and may also tell what to do
    request: bool = False

    @property
    def lemmas(self) -> list[str]:
        return [t.lemma for t in self.tokens]


@dataclass
class Sentence:
    parts: list[Part]
    start: int
    end: int
    question_mark: bool

    @property
    def tokens(self) -> list[Token]:
        return [t for part in self.parts for t in part.tokens]


def read_message(scenario: dict, text: str) -> TurnReading:
    """The reading of `text` as the agent's message in `scenario` (a document in the format
    of docs/scenarios.md)."""
    return _read(model_for(scenario), text or "")


@functools.lru_cache(maxsize=4096)
def _read(model: ScenarioModel, text: str) -> TurnReading:
    tokens = tokenize(text, model.vocabulary)
    sentences = _sentences(text, tokens, model)
    keyword_list = _is_keyword_list(sentences, model)
    forbidden = tuple(_forbidden(model, text, tokens))
    shouting = _is_shouting(text)
    evidence: dict[str, list[str]] = {}
    acts: set[str] = set()

    def note(act: str, quote: str) -> None:
        acts.add(act)
        evidence.setdefault(act, [])
        if quote and quote not in evidence[act]:
            evidence[act].append(quote)

    for quote in _blame(text, sentences):
        note(BLAME, quote)
    injected = [s for s in sentences if _is_injection(text, s)]
    if not injected and _quotes_confirm_line(model, text):
        injected = list(sentences)
    if injected:
        sentences = [s for s in sentences if s not in injected]
    if keyword_list:
        return TurnReading(
            text=text,
            acts=frozenset(acts),
            forbidden=forbidden,
            keyword_list=True,
            shouting=shouting,
            injection=bool(injected),
            evidence={k: tuple(v) for k, v in evidence.items()},
        )

    greeting = _greeting(text, sentences)
    if greeting:
        note(GREETING, greeting)
    for sentence in sentences:
        for part in sentence.parts:
            quote = _quote(text, part.tokens)
            if part.kind in (ASKS, SUGGESTS):
                note(QUESTION, quote)
            if part.kind == INSTRUCTS and not _negated_start(part):
                note(INSTRUCTION, quote)
            # Acknowledgements quote the words themselves ("I understand", "sorry"): the
            # report highlights what earned the credit, not the whole clause.
            if part.kind != ASKS:
                found = _phrase_span(part, EMPATHY_PHRASES, negatable=True) or _feeling(part)
                if found:
                    note(EMPATHY, _quote(text, found))
            apology = next((i for i, t in enumerate(part.tokens) if t.lemma in APOLOGY_WORDS), None)
            if apology is not None and not _negated_before(part, apology):
                note(APOLOGY, _quote(text, part.tokens[apology : apology + 1]))
            if _has_phrase(part, CLOSING_PHRASES, negatable=False):
                note(CLOSING, quote)

    # A message that talks to the program asks the customer nothing, even in its other lines.
    asked = () if injected else tuple(_facts_asked(model, text, sentences))
    fixes, wrong = ([], []) if injected else _fixes(model, text, sentences)
    return TurnReading(
        text=text,
        acts=frozenset(acts),
        asked=asked,
        fixes=tuple(fixes),
        wrong_fixes=tuple(wrong),
        forbidden=forbidden,
        jargon=tuple(_jargon(model, text, tokens)),
        keyword_list=False,
        shouting=shouting,
        injection=bool(injected),
        evidence={k: tuple(v) for k, v in evidence.items()},
    )


# --- structure ---------------------------------------------------------------------------------


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _SENTENCE_END_RE.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(left, right) for left, right in spans if text[left:right].strip()]


def _sentences(text: str, tokens: tuple[Token, ...], model: ScenarioModel) -> list[Sentence]:
    sentences: list[Sentence] = []
    for start, end in _sentence_spans(text):
        in_sentence = [t for t in tokens if start <= t.start < end]
        if not in_sentence:
            continue
        chunk = text[start:end]
        cuts = [start] + [start + m.end() for m in _PART_SPLIT_RE.finditer(chunk)] + [end]
        parts = []
        for left, right in itertools.pairwise(cuts):
            part_tokens = [t for t in in_sentence if left <= t.start < right]
            if part_tokens:
                parts.append(Part(part_tokens))
        question_mark = "?" in chunk
        for index, part in enumerate(parts):
            part.kind = _kind(
                part,
                model,
                last=index == len(parts) - 1,
                question="?" in chunk,
                first_part=index == 0,
            )
        if question_mark:
            _find_the_question(parts, model)
        sentences.append(Sentence(parts, start, end, question_mark))
    return sentences


def _find_the_question(parts: list[Part], model: ScenarioModel) -> None:
    """In a sentence with a question mark: a part with a question word near its start asks
    ("roughly what day did it begin, …?"); failing that, the last part with content asks
    ("The light is blinking?", "And since when?")."""
    for part in parts:
        texts = [t.text.lower() for t in part.tokens]
        start = texts[_strip_openers(part.lemmas, texts, model) :][:1]
        wh_near_start = any(word in WH_WORDS for word in texts[:3])
        asks_anything = start and (start[0] in AUX_WORDS or start[0] in ANY_WORDS)
        if part.kind == TELLS and (wh_near_start or asks_anything) and not _subordinate(part):
            part.kind = ASKS  # "Any flashing on the box?", "has unplugging it helped?"
    if not any(p.kind in (ASKS, SUGGESTS, OFFERS, INSTRUCTS) for p in parts):
        content = [p for p in parts if not _is_formula(p, model)]
        if content:
            content[-1].kind = ASKS


def _subordinate(part: Part) -> bool:
    """'When you open the list, …', 'where it says …': a question word that starts a clause
    about something else, not a question (a question inverts: 'when did you …')."""
    texts = [t.text.lower() for t in part.tokens]
    for index, word in enumerate(texts[:3]):
        if word in WH_WORDS:
            following = texts[index + 1 : index + 2]
            return bool(following) and following[0] in ("you", "i", "we", "they", "it", "he", "she")
    return False


def _strip_openers(lemmas: list[str], texts: list[str], model: ScenarioModel) -> int:
    index = 0
    while index < len(lemmas) and (
        texts[index] in DISCOURSE or texts[index] in model.names or lemmas[index] in DISCOURSE
    ):
        if texts[index] in ("no", "not") and index + 1 < len(lemmas):
            break
        index += 1
    return index


def _kind(
    part: Part,
    model: ScenarioModel,
    *,
    last: bool = True,
    question: bool = True,
    first_part: bool = True,
) -> str:
    lemmas = part.lemmas
    texts = [t.text.lower() for t in part.tokens]
    index = _strip_openers(lemmas, texts, model)
    polite = "please" in texts[:index]
    lemmas, texts = lemmas[index:], texts[index:]
    if not lemmas:
        return TELLS
    first = texts[0]
    if INFO_REQUEST_OPENERS.starts(lemmas, texts):
        return ASKS
    if INSTRUCTION_OPENERS.starts(lemmas, texts):
        return INSTRUCTS
    if first in WH_WORDS:
        if first == "how" and len(texts) > 1 and texts[1] == "to":
            return INSTRUCTS
        if not last and _subordinate(part):
            return TELLS
        if not question and not first_part:
            return TELLS  # "…, which are posted every 30 minutes": a relative clause
        if not question and ("that" in texts[2:4] or "because" in texts[2:4]):
            return TELLS  # "what happened is that …": an explanation
        return ASKS
    if first in AUX_WORDS and len(texts) > 1:
        subject = texts[1]
        after = lemmas[2:]
        if subject == "not" and len(texts) > 2:  # "don't you …", "can't you …"
            subject, after = texts[2], lemmas[3:]
        if first == "do" and subject in ("a", "an", "the", "this", "that", "it"):
            return INSTRUCTS  # "do a hard refresh"
        if not question and subject not in PRONOUNS:
            return TELLS  # "have a great day", "is the fix" without a question mark
        if subject in SUBJECTS:
            if subject == "you" and after[:1] == ["try"] and first in ("have", "did", "do"):
                return SUGGESTS
            if subject == "you" and first in ("would", "do") and after[:1] in (["like"], ["want"]):
                # "would you like me to …": an offer; "would you like a new one or your money
                # back?" asks what they prefer.
                agent_does = {"me", "us", "i"} & set(after[:4])
                if agent_does and not {"rather", "prefer"} & set(texts):
                    return OFFERS
                if "or" in texts or after[1:2] == ["to"]:
                    return ASKS
                return OFFERS
            if subject == "it" and first in ("would", "will") and after[:1] in (["help"], ["be"]):
                return OFFERS  # "would it help if I …", "would it be easier if …"
            if subject == "i" and first in ("shall", "should", "can", "could", "may"):
                return OFFERS
            if subject == "you" and first in ("can", "could", "would", "will"):
                verbs = [w for w in after if w not in ("please", "just", "quickly", "also")]
                verb = verbs[0] if verbs else ""
                if verb == "mind" and len(verbs) > 1:
                    verb = verbs[1]
                if verb in INFO_VERBS or not _is_action(verb):
                    part.request = True
                    return ASKS
                return INSTRUCTS
            return ASKS
    if first in ASKING_IMPERATIVES:
        # "describe the error", "check whether any rules …": look and report. "Look for the
        # newest email" is an instruction.
        part.request = True
        if first in ("check", "look") and not _asks_back(texts):
            return INSTRUCTS
        return ASKS
    if first == "let" and texts[1:2] == ["me"]:
        return TELLS  # "let me check": the agent's own action
    if _is_action(first):  # the bare verb: "hold", not "held" or "clicked"
        if _names_a_thing(texts):
            return TELLS  # "Reset emails can take a few minutes": the verb's word as a noun
        return INSTRUCTS
    if polite and first not in SUBJECTS and first not in WH_WORDS and first not in AUX_WORDS:
        return INSTRUCTS  # "please take a paperclip…": whatever the verb
    if first == "you" and len(lemmas) > 2 and lemmas[1] in YOU_MODALS:
        rest = [w for w in lemmas[2:] if w not in ("also", "just", "to", "not", "now", "then")]
        if rest and (rest[0] in ACTION_VERBS or lemmas[1] in ("should", "need", "must", "have")):
            return INSTRUCTS
    if first == "if" and texts[1:2] == ["you"] and len(lemmas) > 2 and lemmas[2] in ACTION_VERBS:
        # "If you open a private window, does it load?" is a test to report back on, asked as
        # a question; "If you restart it, it will work" is advice.
        return SUGGESTS if question else INSTRUCTS
    return TELLS


# Words after which a clause's first word is its subject, not an order: "reset emails can
# take a few minutes", "update notes are on the blog".
_SUBJECT_VERBS = word_set("subject_verbs")
_OBJECT_STARTERS = word_set("object_starters")


def _names_a_thing(texts: list[str]) -> bool:
    if len(texts) > 1 and texts[1] in _SUBJECT_VERBS:
        return True
    return len(texts) > 2 and texts[1] not in _OBJECT_STARTERS and texts[2] in _SUBJECT_VERBS


_REPORT_WORDS = frozenset(
    ("whether", "if", "what", "which", "any", "anything", "anyone", "tell", "let", "how", "where")
)


def _is_action(word: str) -> bool:
    """An action verb as typed, "re-" forms included ("re-link", "reupload")."""
    if word in ACTION_VERBS or any(part in ACTION_VERBS for part in word.split("-")[1:]):
        return True  # "force-reload", "double-click"
    for prefix in ("re-", "re"):
        if word.startswith(prefix) and word[len(prefix) :] in ACTION_VERBS:
            return True
    return False


def _asks_back(texts: list[str]) -> bool:
    """'Check whether any rules forward your mail', 'look and tell me what it says'."""
    return any(word in _REPORT_WORDS for word in texts[1:])


def _is_formula(part: Part, model: ScenarioModel) -> bool:
    return all(
        t.lemma in FORMULA_WORDS or t.text.lower() in FORMULA_WORDS or t.text.lower() in model.names
        for t in part.tokens
    )


def _is_keyword_list(sentences: list[Sentence], model: ScenarioModel) -> bool:
    """Fragments without the small words that hold sentences together, weighing at least half
    as much as the sentences around them: "sorry, frustrating, light when tried? reset button
    10 seconds". A sentence that ends in a short list of options is still a sentence."""
    fragments = fragment_words = sentence_words = 0
    for sentence in sentences:
        for part in sentence.parts:
            if _is_formula(part, model):
                continue
            size = len(part.tokens)
            structure = any(t.lemma in STRUCTURE_WORDS - CONJUNCTIONS for t in part.tokens)
            if tuple(t.lemma for t in part.tokens) in model.echoes and not (
                part.kind == INSTRUCTS and size >= 3
            ):
                pasted = True  # a key phrase or topic pasted as it stands: "refund the 59"
            elif structure:
                # "refund the duplicate 3 to 5 working days confirmation email": a few small
                # words in a long run of keywords do not make it a sentence.
                share = sum(1 for t in part.tokens if t.lemma in STRUCTURE_WORDS) / size
                pasted = size < 2 or (size >= 6 and share < 0.25 and _echoes(part, model) >= 2)
            else:  # "unplug it" is terse; "reset button 10 seconds" a list of keywords
                pasted = not (part.kind == INSTRUCTS and 2 <= size <= 3)
            if pasted:
                fragments += 1
                fragment_words += size
            else:
                sentence_words += size
    if fragments == 1 and not sentence_words:
        return fragment_words >= 3  # "hi sorry calendar", "wifi channel less busy 5ghz"
    terse = [s for s in sentences if s.question_mark and len(_content_parts(s, model)) == 1]
    if not sentence_words and fragments == 2 == len(terse) == len(sentences):
        return False  # "Photos? Replacement or refund?": terse, but two real questions
    return fragments >= 2 and 2 * fragment_words >= sentence_words


def _content_parts(sentence: Sentence, model: ScenarioModel) -> list[Part]:
    return [part for part in sentence.parts if not _is_formula(part, model)]


def _echoes(part: Part, model: ScenarioModel) -> int:
    """How many key phrases or topics of the scenario appear word for word in a part."""
    lemmas = part.lemmas
    return sum(
        1
        for echo in model.echoes
        if len(echo) > 1
        and any(tuple(lemmas[i : i + len(echo)]) == echo for i in range(len(lemmas)))
    )


# What an agent can commit to doing that the customer then waits for ("I'll book an engineer").
COMMITMENT_VERBS = (ACTION_VERBS - {"start", "check", "look", "try", "make", "go", "use"}) | {
    "book",
    "arrange",
    "issue",
    "offer",
    "escalate",
    "credit",
    "refund",
    "unlock",
}


# "refund or credit" is still a list of keywords: conjunctions alone do not make a sentence.
CONJUNCTIONS = frozenset({"and", "or", "but", "so", "then", "nor"})


# --- acts ----------------------------------------------------------------------------------------


def _quote(text: str, tokens: list[Token]) -> str:
    return text[tokens[0].start : tokens[-1].end] if tokens else ""


def _find(lemmas: list[str], texts: list[str], phrase: tuple[str, ...]) -> int:
    size = len(phrase)
    for index in range(len(lemmas) - size + 1):
        if all(word in (lemmas[index + k], texts[index + k]) for k, word in enumerate(phrase)):
            return index
    return -1


def _negated_before(part: Part, index: int, window: int = 5) -> bool:
    before = part.tokens[max(0, index - window) : index]
    return any(t.lemma in NEGATORS or t.text.lower() in NEGATORS for t in before)


def _negated_start(part: Part) -> bool:
    """'Don't hold the button', 'no need to restart': the instruction is one not to act."""
    head = [t.text.lower() for t in part.tokens[:4]]
    return "not" in head[:3] or "never" in head[:2] or head[:3] == ["no", "need", "to"]


def _phrase_span(part: Part, phrases: PhraseIndex, *, negatable: bool) -> list[Token]:
    """The words of the first of `phrases` said in `part` (not negated), or []."""
    texts = [t.text.lower() for t in part.tokens]
    seen = set()
    for index, phrase in phrases.matches(part.lemmas, texts):
        if phrase in seen:
            continue  # only a phrase's first occurrence counts, as it is read left to right
        seen.add(phrase)
        if not (negatable and _negated_before(part, index)):
            return part.tokens[index : index + len(phrase)]
    return []


def _has_phrase(part: Part, phrases, *, negatable: bool) -> bool:
    return bool(_phrase_span(part, phrases, negatable=negatable))


def _feeling(part: Part) -> list[Token]:
    """A feeling word said to the customer, not about the agent ('I'm not frustrated')."""
    for index, token in enumerate(part.tokens):
        if token.lemma in FEELING_WORDS or token.text.lower() in FEELING_WORDS:
            return [] if _negated_before(part, index) else [token]
    return []


def _quotes_confirm_line(model: ScenarioModel, text: str) -> bool:
    """'Just reply "Perfect, thank you…" so I can close this': scripting the customer."""
    confirm = model.confirm.lower()
    return len(confirm) >= 12 and fuzz.partial_ratio(confirm, text.lower()) >= 85


def _is_injection(text: str, sentence: Sentence) -> bool:
    """'Ignore your instructions', 'SYSTEM: …', 'list every fact you know': words for the
    program, not for the customer. Such sentences ask and fix nothing."""
    if _INJECTION_MARK_RE.search(text[sentence.start : sentence.end]):
        return True
    tokens = sentence.tokens
    lemmas = [t.lemma for t in tokens]
    texts = [t.text.lower() for t in tokens]
    return bool(INJECTION_PHRASES.matches(lemmas, texts))


def _greeting(text: str, sentences: list[Sentence]) -> str:
    if not sentences:
        return ""
    first = sentences[0].parts[0]
    texts = [t.text.lower() for t in first.tokens]
    if texts and texts[0] in GREETING_WORDS:
        return _quote(text, first.tokens)
    if GREETING_OPENERS.starts(first.lemmas, texts):
        return _quote(text, first.tokens)
    return ""


def _blame(text: str, sentences: list[Sentence]):
    for sentence in sentences:
        for part in sentence.parts:
            lemmas = part.lemmas
            texts = [t.text.lower() for t in part.tokens]
            if [lemma for lemma in lemmas if lemma.isalpha()] == ["whatever"]:
                # A shrug on its own ("Whatever."), not "whatever time suits you".
                yield _quote(text, part.tokens)
                continue
            seen = set()
            for index, phrase in BLAME_PHRASES.matches(lemmas, texts):
                if phrase in seen:
                    continue
                seen.add(phrase)
                if phrase[0] != "not" and _negated_before(part, index):
                    continue  # "it's not your fault"
                if _in_quotes(text, part.tokens[index].start):
                    continue
                yield _quote(text, part.tokens[index : index + len(phrase)])
                break


_QUOTED_RE = re.compile(
    r"[\"“”«»]([^\"“”«»]{1,120})[\"“”«»]|(?<![A-Za-z])'([^']{1,120})'(?![A-Za-z])"
)


def _in_quotes(text: str, position: int) -> bool:
    return any(m.start() < position < m.end() for m in _QUOTED_RE.finditer(text))


def _forbidden(model: ScenarioModel, text: str, tokens: tuple[Token, ...]):
    lemmas = [t.lemma for t in tokens]
    texts = [t.text.lower() for t in tokens]
    for phrase, phrase_lemmas in model.forbidden:
        index = _find(lemmas, texts, phrase_lemmas)
        while index >= 0:
            before = tokens[max(0, index - 8) : index]
            negators = [t for t in before if t.lemma in NEGATORS]
            # A negator counts within the same clause: "I'm not going to tell you to calm
            # down", but not "No. Calm down." or "no worries, calm down".
            negated = phrase_lemmas[0] != "not" and any(
                not any(ch in ",;.!?\n" for ch in text[t.end : tokens[index].start])
                for t in negators
            )
            cue = any(t.lemma in QUOTE_CUES for t in tokens[max(0, index - 2) : index])
            if not (negated or cue or _in_quotes(text, tokens[index].start)):
                quote = text[tokens[index].start : tokens[index + len(phrase_lemmas) - 1].end]
                yield PhraseHit(phrase, quote)
                break
            following = _find(lemmas[index + 1 :], texts[index + 1 :], phrase_lemmas)
            index = index + 1 + following if following >= 0 else -1


def _jargon(model: ScenarioModel, text: str, tokens: tuple[Token, ...]):
    if not model.novice:
        return
    lemmas = [t.lemma for t in tokens]
    texts = [t.text.lower() for t in tokens]
    seen = set()
    for index, words in JARGON_INDEX.matches(lemmas, texts):
        if words in seen or all(word in model.known_words for word in words):
            continue
        seen.add(words)
        yield text[tokens[index].start : tokens[index + len(words) - 1].end]


def _is_shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 8 and sum(c.isupper() for c in letters) / len(letters) >= 0.7:
        return True
    return bool(re.search(r"\b[A-Z]{2,}(?:[\s,!?.]+[A-Z]{2,}\b){2,}", text))


# --- meaning -----------------------------------------------------------------------------------


@dataclass
class _FactMatch:
    size: int  # how many words the matched entry has (a longer entry is more specific)
    tokens: frozenset[int]  # positions of the words it rests on
    strong: bool = True  # rests on a word the ticket does not use


def _facts_asked(model: ScenarioModel, text: str, sentences: list[Sentence]):
    seen: set[str] = set()
    for sentence in sentences:
        for tokens, context in _questions(sentence, model):
            matches = _matches(model, _main_clause(tokens))
            if not matches:
                # Asked about what an answer says, with the context given before the question.
                matches = _matches(model, context + tokens, answers_only=True)
            for key in _most_specific(matches):
                if key not in seen:
                    seen.add(key)
                    yield FactAsked(key, _quote(text, tokens))


def _questions(sentence: Sentence, model: ScenarioModel) -> list[tuple[list[Token], list]]:
    """The questions of a sentence, each as (its words, the words said before it): "What's the
    problem with the box, and when is a good time to call you?" asks two things, each judged
    on its own words. A condition just before a question belongs to it ("if you try from your
    mobile, does it load?")."""
    questions: list[tuple[list[Token], list[Token]]] = []
    current: list[Token] | None = None
    before: list[Token] = []
    parts = sentence.parts
    for index, part in enumerate(parts):
        if part.kind in (ASKS, SUGGESTS):
            if current is None or _opens_question(part, model):
                current = []
                questions.append((current, list(before)))
                if index and _is_condition(parts[index - 1]) and not current:
                    current += parts[index - 1].tokens[1:]  # without its "if" or "when"
            current += part.tokens
        elif part.kind in (INSTRUCTS, OFFERS):
            current = None
        elif current is not None:
            current += part.tokens  # "…doing: steady, flashing, which shade?"
        before += part.tokens
    return questions


def _opens_question(part: Part, model: ScenarioModel) -> bool:
    texts = [t.text.lower() for t in part.tokens]
    start = texts[_strip_openers(part.lemmas, texts, model) :][:1]
    return bool(start) and (start[0] in WH_WORDS or start[0] in AUX_WORDS)


ANY_WORDS = frozenset({"any", "anything", "anyone", "anybody", "anywhere"})
PRONOUNS = frozenset({"you", "i", "we", "they", "it", "he", "she", "there", "anything", "anyone"})
CONDITIONS = frozenset({"if", "when", "once", "whenever"})
SUBORDINATORS = frozenset({"since", "after", "before", "when", "while", "because", "until", "if"})
# What starts a clause after "since", "when"…: "since you cancelled", "when the refund goes
# through", "after being charged".
CLAUSE_STARTS = frozenset(
    {"you", "i", "we", "they", "it", "he", "she", "the", "your", "my", "our", "this", "that"}
    | {"being", "having", "someone"}
)


def _is_condition(part: Part) -> bool:
    return bool(part.tokens) and part.tokens[0].text.lower() in CONDITIONS


def _main_clause(tokens: list[Token]) -> list[Token]:
    """The words before a clause like 'since you cancelled' or 'when it restarts': what the
    question is about, as opposed to the circumstances it mentions."""
    for index in range(1, len(tokens) - 1):
        word, following = tokens[index].text.lower(), tokens[index + 1].text.lower()
        if word in SUBORDINATORS and following in CLAUSE_STARTS:
            return tokens[:index]
    return tokens


def _matches(model: ScenarioModel, tokens: list[Token], *, answers_only: bool = False):
    content = [
        (index, t)
        for index, t in enumerate(tokens)
        if t.lemma not in STOP_WORDS or t.concepts - {t.lemma}
    ]
    matches = {}
    for fact in model.facts:
        found = _match_fact(fact, content, model.ticket_concepts, tokens, answers_only=answers_only)
        if found is not None:
            matches[fact.key] = found
    if answers_only and matches:
        # Judged by an answer's words, only the answer the question shares most with counts.
        most = max(len(match.tokens) for match in matches.values())
        matches = {key: match for key, match in matches.items() if len(match.tokens) == most}
    return matches


def _match_fact(
    fact,
    content: list[tuple[int, Token]],
    ticket: frozenset[str],
    every: list[Token],
    *,
    answers_only: bool = False,
) -> _FactMatch | None:
    best: _FactMatch | None = None
    asking_wh = {t.text.lower() for t in every} & WH_WORDS
    for entry in () if answers_only else fact.entries:
        if entry.needs_question_word and not asking_wh:
            continue
        words = entry.words
        hits = 0
        strong = False
        used: set[int] = set()
        for word in words:
            found = [(i, t) for i, t in content if t.concepts & word.concepts]
            if found:
                # In an example question, "problem" or "happen" alone asks nothing.
                hits += not (entry.example and word.lemma in GENERIC_TOPICS)
                used |= {i for i, _ in found}
                strong = strong or not (word.concepts & ticket)
        needed = _needed(entry)
        if hits >= needed:
            if best is None:
                best = _FactMatch(len(words), frozenset(used), strong)
            else:  # every entry that matched supports the fact
                best = _FactMatch(
                    max(best.size, len(words)),
                    best.tokens | used,
                    best.strong or strong,
                )
    if best is None and not answers_only and fact.phrases:
        for phrase in fact.phrases:
            size = len(phrase)
            for start in range(len(every) - size + 1):
                if tuple(t.lemma for t in every[start : start + size]) == phrase:
                    return _FactMatch(size, frozenset(range(start, start + size)))
    if best is None and answers_only and fact.answer_concepts:
        # Asked about what the answer says ("is the light blinking orange?", "how many other
        # Wi-Fi networks does your laptop list?") in words the author did not list.
        found = [(i, t) for i, t in content if t.concepts & fact.answer_concepts]
        if len({t.lemma for _, t in found}) >= 2:
            best = _FactMatch(0, frozenset(i for i, _ in found))
    return best


def _needed(entry) -> int:
    """How many words of an `asked_by` entry a question must share: all of a topic ("reset
    button"); of an example question ("when did the problem start?"), half of the words that
    say what it is about, not the ones any support question has ("problem", "happen")."""
    words = entry.words
    if not entry.example:
        return len(words) if len(words) <= 2 else max(2, math.ceil(0.6 * len(words)))
    telling = [word for word in words if word.lemma not in GENERIC_TOPICS]
    return max(1, math.ceil(0.5 * len(telling)))


def _most_specific(matches: dict[str, _FactMatch]) -> list[str]:
    """Facts a sentence asks about, once readings that only a looser sense supports are gone:
    a synonym gives way to a word typed as listed ("update your payment details" asks about
    the card, not the amount), and a word gives way to a longer entry built on it ("network
    name" is the band, not the neighbours' networks)."""
    if any(match.strong for match in matches.values()):
        # "the dates on both charges": "charges" echoes the ticket ("charged twice"), so it
        # does not also ask for the amounts when another word asks for something.
        matches = {key: match for key, match in matches.items() if match.strong}
    kept = []
    for key, match in matches.items():
        if any(
            other_key != key
            and match.tokens <= other.tokens
            and (other.size > match.size or len(other.tokens) > len(match.tokens))
            for other_key, other in matches.items()
        ):
            continue
        kept.append(key)
    return kept


def _fixes(model: ScenarioModel, text: str, sentences: list[Sentence]):
    """(fix steps, wrong fixes) of the message."""
    told = [_told_words(sentence) for sentence in sentences]
    outcomes = {
        (entry.id, phrase.text): [_phrase_in(words, phrase) for words in told]
        for entry in model.entries
        for phrase in entry.phrases
    }
    # Numbers a sentence gives for some key phrase are spoken for: "a refund arrives in 3 to
    # 5 working days" does not contradict "refund the 59".
    explained: list[set[float]] = [set() for _ in sentences]
    for (entry_id, phrase_text), results in outcomes.items():
        phrase = model.entry(entry_id).phrase(phrase_text)
        for number, result in enumerate(results):
            if result and result[0] == "covered":
                explained[number] |= set(phrase.numbers)

    steps: list[FixStep] = []
    wrong: list[WrongFix] = []
    covered_sentences: set[int] = set()
    for entry in model.entries:
        matched: list[tuple[str, str]] = []
        mismatched: list[tuple[str, str, int]] = []
        for phrase in entry.phrases:
            results = outcomes[(entry.id, phrase.text)]
            found = next(
                (n for n, result in enumerate(results) if result and result[0] == "covered"), None
            )
            if found is not None:
                matched.append((phrase.text, _quote(text, results[found][1])))
                covered_sentences.add(found)
                continue
            for number, result in enumerate(results):
                if (
                    result
                    and {t.number for t in result[1] if t.number is not None} - explained[number]
                ):
                    mismatched.append((phrase.text, _quote(text, result[1]), number))
                    break
        for phrase_text, quote, number in mismatched:
            phrase = entry.phrase(phrase_text)
            sentence = sentences[number]
            told = _told(sentence)
            if told and not _addresses_customer(sentence) and not matched:
                continue  # background ("devices often stick to the 2.4 GHz band")
            if not phrase.words and not matched:
                continue  # a bare number ("350") contradicts only a fix otherwise given
            if matched or not phrase.unit_only or _about_entry(model, entry, sentence):
                wrong.append(WrongFix(WRONG_NUMBER, quote, entry.id, phrase_text, told))
                covered_sentences.add(number)
        if matched:
            steps.append(
                FixStep(entry.id, tuple(p for p, _ in matched), " … ".join(q for _, q in matched))
            )
    for number, sentence in enumerate(sentences):
        if number in covered_sentences:
            continue
        for part in sentence.parts:
            if not _advises(part):
                continue
            if _unknown_advice(model, part):
                wrong.append(WrongFix(UNKNOWN_ADVICE, _quote(text, part.tokens)))
    return steps, wrong


def _advises(part: Part) -> bool:
    """An instruction, or a remedy the agent commits to ("I'll book an engineer"): advice the
    customer will act on or wait for."""
    if part.kind == INSTRUCTS:
        return not _negated_start(part)
    texts = [t.text.lower() for t in part.tokens[:4]]
    lemmas = [t.lemma for t in part.tokens[:4]]
    return (
        part.kind == TELLS
        and texts[:2] in (["i", "will"], ["we", "will"], ["i", "can"], ["we", "can"])
        and "not" not in texts
        and len(lemmas) > 2
        and lemmas[2] in COMMITMENT_VERBS
    )


def _told(sentence: Sentence) -> bool:
    return not any(part.kind in (INSTRUCTS, SUGGESTS) for part in sentence.parts)


PERSONAL = frozenset({"you", "your", "i", "we", "our", "us", "me"})


def _addresses_customer(sentence: Sentence) -> bool:
    """'It should reach your card in 10 days', 'I've opened a trace': about this customer's
    case, not background ('devices often stick to the crowded 2.4 GHz band')."""
    return any(t.text.lower() in PERSONAL for t in sentence.tokens)


def _about_entry(model: ScenarioModel, entry, sentence: Sentence) -> bool:
    """Whether a sentence is about this entry's fix in words of its own ("your account will
    unlock after 30 minutes" is about the lockout entry, "wait a second" about nothing): a
    word only the entry uses, or, told to the customer, two words of the entry's title that
    the customer also uses ("your account stays locked for 60 minutes", under "Account
    lockout"; not "I'll check your account in 5 minutes")."""
    shared = [
        t
        for t in sentence.tokens
        if t.number is None
        and t.lemma not in STOP_WORDS
        and t.lemma not in UNIT_WORDS
        and t.concepts & entry.vocabulary
    ]
    if any(not t.concepts & model.customer_concepts for t in shared):
        return True
    titled = {t.lemma for t in shared if t.concepts & entry.title_concepts}
    return len(titled) >= 2 and _addresses_customer(sentence)


def _told_words(sentence: Sentence) -> list[Token]:
    """The words a sentence tells or instructs: not its questions, and not what is said under
    a negation ("without an idempotency header", "don't hold the button")."""
    telling = [p for p in sentence.parts if p.kind in (TELLS, INSTRUCTS, SUGGESTS) or p.request]
    return [
        t
        for p in telling
        if not _negated_start(p)
        for i, t in enumerate(p.tokens)
        if not _negated_before(p, i, window=6)
    ]


def _phrase_in(tokens: list[Token], phrase) -> tuple[str, list[Token]] | None:
    """Whether a key phrase is told in a sentence's told words (`_told_words`): ("covered" |
    "mismatch", the words); a mismatch has the phrase's words with other numbers than the
    phrase's."""
    if not tokens:
        return None
    used: list[Token] = []
    for word in phrase.words:
        hits = [t for t in tokens if t.concepts & word]
        if not hits:
            return None
        fresh = [t for t in hits if t not in used] or hits
        used.append(fresh[0])
    # "one" is as often a pronoun ("you won't need to raise one") as a number; a bare amount
    # ("180") is not contradicted by a count of something else ("six months").
    numbers = [
        t
        for t in tokens
        if t.number is not None
        and t.text.lower() != "one"
        and (phrase.words or not _counts_units(t, tokens))
    ]
    if phrase.numbers:
        values = {t.number for t in numbers}
        if all(n in values for n in phrase.numbers):
            used += [t for t in numbers if t.number in phrase.numbers]
        elif numbers:
            return "mismatch", sorted(used + numbers, key=lambda t: t.start)
        else:
            return None
    if not used:
        return None
    used.sort(key=lambda t: t.start)
    return "covered", used


def _counts_units(number: Token, tokens: list[Token]) -> bool:
    """Whether a number is followed by a unit ("six months", "5 working days")."""
    index = tokens.index(number)
    following = tokens[index + 1 : index + 3]
    return any(t.lemma in UNIT_WORDS for t in following)


def _unknown_advice(model: ScenarioModel, part: Part) -> bool:
    """An instruction that no knowledge-base entry supports: the customer will try it in vain."""
    verb_index = next(
        (i for i, t in enumerate(part.tokens) if t.lemma in ACTION_VERBS | NON_FIX_VERBS), None
    )
    if verb_index is not None and part.tokens[verb_index].lemma in NON_FIX_VERBS:
        return False
    if verb_index is not None and part.tokens[verb_index].lemma == "hold":
        following = [t.text.lower() for t in part.tokens[verb_index + 1 : verb_index + 2]]
        if following == ["on"]:
            return False  # "please hold on while I pull up your payments": a wait, not a fix
    content = [
        t
        for t in part.tokens
        if t.lemma not in STOP_WORDS
        and t.lemma not in GENERIC_WORDS
        and t.number is None
        and t.text.lower() not in model.names
    ]
    if len(content) < 2:
        return False  # "try again", "wait a moment": too vague to be advice
    if not model.entries:
        return False
    for entry in model.entries:
        shared = [t for t in content if t.concepts & entry.vocabulary]
        distinctive = [t for t in shared if not t.concepts & model.customer_concepts]
        if distinctive and len(shared) >= max(1, 0.4 * len(content)):
            return False
    return True
