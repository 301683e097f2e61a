"""`make validity`: measure training validity on the labelled corpus and write docs/validity.md.

Usage: python -m validity.run [--check]. With --check, exit 1 when a target is missed on the
test split. The measures are deterministic (no model, no clock), so the suite asserts the
same targets (tests/validity/test_targets.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

DOCS = Path(__file__).resolve().parents[1] / "docs" / "validity.md"


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    minimum: float | None = None
    maximum: float | None = None

    def met(self, value: float) -> bool:
        if self.minimum is not None and value < self.minimum:
            return False
        return not (self.maximum is not None and value > self.maximum)

    @property
    def text(self) -> str:
        if self.minimum is not None:
            return f"≥ {self.minimum:.2f}"
        if self.maximum is not None:
            return f"≤ {self.maximum:g}" if self.maximum else "0"
        return "(reported)"


TARGETS = (
    Target("release_recall_paraphrase", "fact-release recall on paraphrases", minimum=0.85),
    Target("release_recall", "fact-release recall, all questions"),
    Target("release_precision", "fact-release precision", minimum=0.95),
    Target("fix_detection", "fix detection (recall of delivered fixes)", minimum=0.95),
    Target("fix_precision", "fix precision"),
    Target("wrong_fix_recall", "wrong fixes flagged"),
    Target("wrong_fix_precision", "wrong-fix flags that are right"),
    # The rubric holds the total at 40 on these alone (rubric.WRONG_ADVICE_CAP).
    Target("wrong_figures_precision", "wrong-figure flags that are right", minimum=0.95),
    Target("wrong_accepted", "wrong fixes accepted as delivered", maximum=0),
    Target("forbidden_precision", "forbidden-phrase precision"),
    Target("forbidden_recall", "forbidden-phrase recall"),
    Target("keyword_list_recall", "keyword lists caught"),
    Target("leak_precision", "leak guard precision (a hidden fact told in other words)"),
    Target("leak_recall", "leak guard recall"),
    Target("false_passes", "false passes (bad archetypes that passed)", maximum=0),
    Target("false_fails", "good archetypes that failed"),
    Target("ordering", "pairwise ordering agreement between archetypes", minimum=0.95),
)


# Measured once on the trigger-word reader this one replaced, with the same corpus and
# definitions; kept as a record, not recomputed (that code is gone).
BEFORE = (
    "precision 0.37 and recall 0.48 (0.00 on paraphrases), fix detection 0.74, forbidden-phrase "
    "precision 0.55, 4 false passes of 25 bad conversations, 5 of 10 good ones failed, "
    "ordering agreement 0.67"
)


def measure(split: str) -> tuple[dict[str, float], dict]:
    from validity.conversations import score_conversations
    from validity.corpus import conversations, messages, replies
    from validity.messages import score_leaks, score_messages

    message_report = score_messages(messages(split))
    conversation_report = score_conversations(conversations(split))
    agreed, compared, misordered = conversation_report.ordering()
    leaks = score_leaks(replies(split))
    values = {
        "release_recall_paraphrase": message_report.release_paraphrase.recall,
        "release_recall": message_report.release.recall,
        "release_precision": message_report.release.precision,
        "fix_detection": message_report.fixes.recall,
        "fix_precision": message_report.fixes.precision,
        "wrong_fix_recall": message_report.wrong_fix.recall,
        "wrong_fix_precision": message_report.wrong_fix.precision,
        "wrong_figures_precision": message_report.wrong_figures.precision,
        "wrong_accepted": message_report.wrong_accepted,
        "forbidden_precision": message_report.forbidden.precision,
        "forbidden_recall": message_report.forbidden.recall,
        "keyword_list_recall": message_report.keyword_list.recall,
        "leak_precision": leaks.precision,
        "leak_recall": leaks.recall,
        "false_passes": len(conversation_report.false_passes),
        "false_fails": len(conversation_report.false_fails),
        "ordering": agreed / compared if compared else 1.0,
    }
    details = {
        "scenarios": {item.scenario for item in messages(split)}
        | {item.scenario for item in conversations(split)},
        "messages": message_report.size,
        "replies": len(replies(split)),
        "conversations": len(conversation_report.played),
        "pairs": compared,
        "message_misses": message_report.misses,
        "misordered": misordered,
        "played": conversation_report.played,
    }
    return values, details


def _format(value: float) -> str:
    return f"{value:.2f}" if isinstance(value, float) and not value.is_integer() else f"{value:g}"


def report(results: dict[str, tuple[dict, dict]]) -> str:
    dev, dev_details = results["dev"]
    test, test_details = results["test"]
    lines = [
        "# Training validity",
        "",
        "Generated by `make validity` (`python -m validity.run`); do not edit by hand.",
        "",
        "How well the simulator follows what a trainee *means*: the reader behind the customer",
        "and the rubric (`scenarios/reading/`), the customer's state machine and the rubric,",
        "measured on a hand-labelled corpus written before the reader was tuned",
        "(`validity/corpus/`, see its README). Tuning used the `dev` split only; the targets are",
        "asserted on `test` by `tests/validity/test_targets.py`.",
        "",
        f"Corpus: {dev_details['messages'] + test_details['messages']} labelled agent messages "
        f"({dev_details['messages']} dev, {test_details['messages']} test) and "
        f"{dev_details['conversations'] + test_details['conversations']} scripted conversations "
        f"({dev_details['conversations']} dev, {test_details['conversations']} test; "
        f"{test_details['pairs']} archetype pairs compared on test) over "
        f"{len(dev_details['scenarios'] | test_details['scenarios'])} bundled scenarios; "
        f"{dev_details['replies'] + test_details['replies']} labelled customer replies for the "
        "leak guard.",
        "",
        "| measure | target | dev | test | |",
        "|---|---|---|---|---|",
    ]
    for target in TARGETS:
        met = (
            ""
            if target.minimum is None and target.maximum is None
            else ("met" if target.met(test[target.key]) else "**missed**")
        )
        lines.append(
            f"| {target.label} | {target.text} | {_format(dev[target.key])} | "
            f"{_format(test[target.key])} | {met} |"
        )
    lines += [
        "",
        "Before this reader (commit ea11a30: `asked_by` words anywhere, key phrases anywhere, "
        "forbidden phrases by regular expression), on the same test split: fact-release "
        f"{BEFORE}.",
    ]
    lines += [
        "",
        "Definitions: a fact is *released* when the customer gives it in answer to the agent's",
        "question; precision and recall are over (message, fact) pairs. *Fix detection* is the",
        "share of labelled deliveries the reader recognises in full, numbers included. A *wrong",
        "fix accepted* is a message labelled wrong whose fix the reader would credit. A *false",
        "pass* is a keyword-stuffer, wrong-fix, stonewaller, rude or prompt-injector",
        "conversation that passes. *Ordering* compares every pair of archetypes of one scenario",
        "from different tiers (exemplary and paraphrasing > careless > the five bad ones): the",
        "better tier must score strictly higher.",
        "",
        "## Conversations on test",
        "",
        "| conversation | archetype | outcome | score | passed |",
        "|---|---|---|---|---|",
    ]
    for played in test_details["played"]:
        lines.append(
            f"| {played.conversation.id} | {played.conversation.archetype} | {played.outcome} "
            f"| {played.score} | {'yes' if played.passed else 'no'} |"
        )
    lines += ["", "## Where the reader still misses, on dev", ""]
    lines += [f"- {miss}" for miss in dev_details["message_misses"]] or ["- none"]
    lines += [f"- ordering: {pair}" for pair in dev_details["misordered"]]
    lines += [
        "",
        "Test-split misses are counted above but not listed: reading them would tune the",
        "reader on the test split.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when a target is missed")
    args = parser.parse_args(argv)
    import django

    django.setup()
    results = {split: measure(split) for split in ("dev", "test")}
    DOCS.write_text(report(results))
    test = results["test"][0]
    missed = [
        t
        for t in TARGETS
        if (t.minimum is not None or t.maximum is not None) and not t.met(test[t.key])
    ]
    for target in TARGETS:
        sys.stdout.write(f"{target.label:55} {target.text:8} test {_format(test[target.key])}\n")
    sys.stdout.write(f"Wrote {DOCS}\n")
    if missed and args.check:
        sys.stderr.write("Missed: " + ", ".join(t.label for t in missed) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
