"""Clarity: plain language at the customer's level — readable sentences, no unexplained jargon.

Readability is Flesch reading ease (textstat); the bar and the jargon penalty depend on the
persona's technical level, so an advanced customer may be spoken to in their own terms.
"""

import re

import textstat

from performance.evaluators.base import (
    CriterionResult,
    Evaluator,
    Transcript,
    phrase_pattern,
    quote_list,
    snippet,
)
from performance.registry import register

LEVELS = {
    # level: (reading-ease target, jargon factor, longest comfortable sentence in words)
    "novice": (60, 1.0, 20),
    "intermediate": (50, 0.5, 25),
    "advanced": (30, 0.0, 32),
}
JARGON_TERMS = (
    "dhcp",
    "dns",
    "ip address",
    "subnet",
    "default gateway",
    "mac address",
    "ssid",
    "wpa2",
    "latency",
    "packet loss",
    "throughput",
    "firmware",
    "ethernet",
    "protocol",
    "tcp",
    "udp",
    "traceroute",
    "reconfigure",
    "provisioning",
    "cache",
    "api",
    "ssl",
    "tls",
    "vpn",
    "proxy",
    "port forwarding",
    "nat",
    "mtu",
    "backend",
    "server-side",
    "authentication token",
    "oauth",
    "sso",
    "endpoint",
    "payload",
    "sla",
    "power cycle",
    "factory reset",
    "bios",
    "kernel",
    "registry",
    "localhost",
    "cname",
    "smtp",
    "imap",
)
_ACRONYM_RE = re.compile(r"\b[A-Z]{2,6}s?\b")
# A capitalised word next to another one is shouting (professionalism's concern), not jargon.
_CAPS_WORD_RE = re.compile(r"[A-Z]{2,}[.,!?]*")
_COMMON_ACRONYMS = {
    "OK",
    "TV",
    "PC",
    "ID",
    "PIN",
    "USB",
    "FAQ",
    "ASAP",
    "AM",
    "PM",
    "UK",
    "US",
    "EU",
    "WIFI",
    "HD",
    "SMS",
    "PDF",
    "CEO",
    "IT",
    "ATM",
    "VAT",
    "USA",
}
_EXPLAINED_RE = r"\s*(?:\(|,? which (?:means|is)|,? that is|,? i\.e\.|—|-)"


def _allowed_terms(transcript: Transcript) -> str:
    """Text whose words the customer already knows: the phrases the author requires and
    whatever the customer said."""
    parts = [m.lower for m in transcript.customer]
    for entry in transcript.required_entries:
        parts.extend(str(p).lower() for p in entry.get("key_phrases") or [])
    return "\n".join(parts)


@register("clarity")
class ClarityEvaluator(Evaluator):
    label = "Clarity"
    generic_tip = "Use short sentences and everyday words; explain any technical term."

    def evaluate(self, transcript: Transcript) -> CriterionResult:
        if not transcript.agent:
            return CriterionResult(0, "The agent never replied.")
        target, jargon_factor, longest = LEVELS.get(
            transcript.technical_level, LEVELS["intermediate"]
        )
        if not transcript.agent_sentences:
            return CriterionResult(
                0,
                "Every reply was a list of keywords rather than sentences.",
                [transcript.agent[0].evidence()],
                "Write to the customer in full sentences: a list of keywords explains nothing.",
            )
        text = " ".join(
            m.content.strip() + ("" if m.content.strip()[-1:] in ".!?" else ".")
            for m in transcript.agent_sentences
            if m.content.strip()
        )
        reading_ease = textstat.flesch_reading_ease(text) if text else 0.0
        score = 100.0
        evidence, problems = [], []
        if reading_ease < target:
            score -= min(40.0, target - reading_ease)
            hardest = min(
                (m for m in transcript.agent_sentences if m.words),
                key=lambda m: textstat.flesch_reading_ease(m.content),
                default=None,
            )
            if hardest is not None:
                evidence.append(hardest.evidence())
            problems.append(f"reading ease {reading_ease:.0f} is below {target}")

        jargon = self._jargon(transcript) if jargon_factor else []
        if jargon:
            score -= min(30.0, 10 * jargon_factor * len(jargon))
            evidence.extend(found for _, found in jargon[:4])
            problems.append("unexplained jargon " + quote_list([t for t, _ in jargon]))

        long_sentences = [
            (m, s)
            for m in transcript.agent_sentences
            for s in m.sentences
            if len(s.split()) > longest
        ]
        if long_sentences:
            score -= min(24.0, 8 * len(long_sentences))
            evidence.extend(m.evidence(snippet(s, 80)) for m, s in long_sentences[:2])
            problems.append(f"{len(long_sentences)} sentence(s) longer than {longest} words")

        lists = transcript.keyword_lists
        if lists:
            score -= min(75.0, 25 * len(lists))
            evidence.extend(m.evidence() for m in lists[:2])
            problems.append(f"{len(lists)} message(s) were lists of keywords, not sentences")

        level = transcript.technical_level
        if problems:
            rationale = f"For a {level} customer: " + "; ".join(problems) + "."
        else:
            rationale = (
                f"Plain, readable language for a {level} customer (reading ease "
                f"{reading_ease:.0f})."
            )
        tip = ""
        if score < 80:
            if lists:
                tip = (
                    "Write whole sentences: a list of keywords leaves the customer guessing "
                    "what you are asking or telling them to do."
                )
            elif jargon:
                _term, found = jargon[0]
                tip = (
                    f"“{found.quote}” is jargon to a {level} customer; say what it means in "
                    "everyday words, or explain it in brackets."
                )
            elif long_sentences:
                _, sentence = long_sentences[0]
                tip = (
                    f"“{snippet(sentence, 60)}…” runs to {len(sentence.split())} words; split "
                    "it into one instruction per sentence."
                )
            else:
                tip = "Your replies read heavily; use shorter words and one idea per sentence."
        if not evidence:
            evidence = [transcript.agent[0].evidence()]
        return CriterionResult(round(score), rationale, evidence, tip)

    @staticmethod
    def _jargon(transcript: Transcript):
        allowed = _allowed_terms(transcript)
        seen, found = set(), []
        for message in transcript.agent:
            for term in JARGON_TERMS:
                if term in seen or term in allowed:
                    continue
                match = re.search(
                    phrase_pattern(term).pattern + r"(?!" + _EXPLAINED_RE + ")",
                    message.content,
                    re.IGNORECASE,
                )
                if match:
                    seen.add(term)
                    found.append((term, message.evidence(match.group(0))))
            for match in _ACRONYM_RE.finditer(message.content):
                word = (
                    match.group(0).rstrip("s") if match.group(0).endswith("s") else match.group(0)
                )
                term = word.lower()
                before = message.content[: match.start()].split()[-1:]
                after = message.content[match.end() :].split()[:1]
                if (
                    word in _COMMON_ACRONYMS
                    or any(_CAPS_WORD_RE.fullmatch(w) for w in before + after)
                    or term in seen
                    or term in allowed
                    or re.match(_EXPLAINED_RE, message.content[match.end() :])
                ):
                    continue
                seen.add(term)
                found.append((term, message.evidence(match.group(0))))
        return found
