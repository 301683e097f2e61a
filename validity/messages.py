"""Scores the reader on single labelled messages: fact release, fixes, forbidden phrases,
keyword lists."""

from __future__ import annotations

from dataclasses import dataclass, field

from scenarios.reading import model_for, read_message
from scenarios.reading.turn import WRONG_NUMBER
from validity.corpus import LabelledMessage, scenario


@dataclass
class Counts:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positive + self.false_negative
        return self.true_positive / wanted if wanted else 1.0

    def add(self, predicted: set, expected: set) -> None:
        self.true_positive += len(predicted & expected)
        self.false_positive += len(predicted - expected)
        self.false_negative += len(expected - predicted)


@dataclass
class MessageReport:
    size: int = 0
    release: Counts = field(default_factory=Counts)
    release_paraphrase: Counts = field(default_factory=Counts)
    fixes: Counts = field(default_factory=Counts)
    wrong_fix: Counts = field(default_factory=Counts)
    #: flags for a fix told with the wrong figures alone: what the rubric's cap acts on
    wrong_figures: Counts = field(default_factory=Counts)
    wrong_accepted: int = 0
    forbidden: Counts = field(default_factory=Counts)
    keyword_list: Counts = field(default_factory=Counts)
    misses: list[str] = field(default_factory=list)


def delivered_entries(document: dict, reading) -> set[str]:
    """Entries whose every key phrase this one message tells, with no wrong number."""
    model = model_for(document)
    wrong = {w.entry_id for w in reading.wrong_fixes if w.reason == WRONG_NUMBER}
    out = set()
    for step in reading.fixes:
        entry = model.entry(step.entry_id)
        complete = entry is not None and {p.text for p in entry.phrases} <= set(step.phrases)
        if complete and step.entry_id not in wrong:
            out.add(step.entry_id)
    return out


def score_messages(items: list[LabelledMessage]) -> MessageReport:
    report = MessageReport(size=len(items))
    for item in items:
        document = scenario(item.scenario)
        reading = read_message(document, item.text)
        asked = set(reading.asked_keys)
        report.release.add(asked, set(item.asks))
        if item.kind == "paraphrase":
            report.release_paraphrase.add(asked, set(item.asks))
        delivered = delivered_entries(document, reading)
        report.fixes.add(delivered, set(item.delivers))
        flagged = {"wrong"} if reading.wrong_fixes else set()
        report.wrong_fix.add(flagged, {"wrong"} if item.wrong_fix else set())
        figures = {"wrong"} if any(w.reason == WRONG_NUMBER for w in reading.wrong_fixes) else set()
        report.wrong_figures.add(figures, {"wrong"} if item.wrong_fix else set())
        if item.wrong_fix and delivered - set(item.delivers):
            report.wrong_accepted += 1
        said = {hit.phrase for hit in reading.forbidden}
        report.forbidden.add(said, set(item.forbidden))
        listed = {"list"} if reading.keyword_list else set()
        report.keyword_list.add(listed, {"list"} if item.keyword_list else set())
        problems = []
        if asked != set(item.asks):
            problems.append(f"asks {sorted(asked)} want {sorted(item.asks)}")
        if delivered != set(item.delivers):
            problems.append(f"delivers {sorted(delivered)} want {sorted(item.delivers)}")
        if bool(reading.wrong_fixes) != item.wrong_fix:
            problems.append(f"wrong {[w.quote for w in reading.wrong_fixes]} want {item.wrong_fix}")
        if said != set(item.forbidden):
            problems.append(f"forbidden {sorted(said)} want {sorted(item.forbidden)}")
        if reading.keyword_list != item.keyword_list:
            problems.append(f"keyword_list {reading.keyword_list}")
        if problems:
            report.misses.append(f"{item.id} [{item.kind}] {item.text!r}: " + "; ".join(problems))
    return report


def score_leaks(items) -> Counts:
    """The leak guard on labelled customer replies: (reply, hidden fact) pairs caught."""
    from sessions_app.engines.guards import paraphrased_facts

    counts = Counts()
    for item in items:
        document = scenario(item.scenario)
        answers = {
            fact["key"]: str(fact.get("answer") or "").lower()
            for fact in document["customer_persona"]["facts"]
        }
        caught = set(paraphrased_facts(document, item.text, revealed=()))
        caught |= {key for key, answer in answers.items() if answer and answer in item.text.lower()}
        counts.add(caught, set(item.leaks))
    return counts
