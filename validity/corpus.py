"""The labelled corpus (validity/corpus/*.yaml) and the bundled scenarios it refers to."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

CORPUS = Path(__file__).with_name("corpus")
LIBRARY = Path(__file__).resolve().parents[1] / "scenarios" / "library"


@dataclass(frozen=True)
class LabelledMessage:
    id: str
    scenario: str
    split: str
    kind: str
    text: str
    asks: frozenset[str]
    delivers: frozenset[str]
    wrong_fix: bool
    forbidden: frozenset[str]
    keyword_list: bool


@dataclass(frozen=True)
class ScriptedConversation:
    id: str
    scenario: str
    split: str
    archetype: str
    should_pass: bool | None
    agent: tuple[str, ...]


@dataclass(frozen=True)
class LabelledReply:
    """A customer reply a model might write before any fact was asked for."""

    id: str
    scenario: str
    split: str
    text: str
    leaks: frozenset[str]


def replies(split: str | None = None) -> list[LabelledReply]:
    items = [
        LabelledReply(
            id=row["id"],
            scenario=row["scenario"],
            split=row["split"],
            text=row["text"],
            leaks=frozenset(row.get("leaks") or ()),
        )
        for row in _rows(("leaks.yaml",))
    ]
    return [item for item in items if split is None or item.split == split]


@functools.cache
def scenario(slug: str) -> dict:
    return yaml.safe_load((LIBRARY / f"{slug}.yaml").read_text())


#: Labelled messages: the first set (dev and test) and a second, dev-only set written later,
#: without reading the first, to tune on more than the first set's dev half.
MESSAGE_FILES = ("messages.yaml", "messages_extra.yaml", "messages_extra2.yaml")
#: Scripted conversations: the first set (dev and test, split by scenario) and a dev-only set
#: over the first set's dev scenarios and five more.
CONVERSATION_FILES = ("conversations.yaml", "conversations_extra.yaml")


def _rows(names) -> list[dict]:
    return [
        row
        for name in names
        if (CORPUS / name).exists()
        for row in yaml.safe_load((CORPUS / name).read_text())
    ]


def messages(split: str | None = None) -> list[LabelledMessage]:
    rows = _rows(MESSAGE_FILES)
    items = [
        LabelledMessage(
            id=row["id"],
            scenario=row["scenario"],
            split=row["split"],
            kind=row["kind"],
            text=row["text"],
            asks=frozenset(row.get("asks") or ()),
            delivers=frozenset(row.get("delivers") or ()),
            wrong_fix=bool(row.get("wrong_fix")),
            forbidden=frozenset(row.get("forbidden") or ()),
            keyword_list=bool(row.get("keyword_list")),
        )
        for row in rows
    ]
    return [item for item in items if split is None or item.split == split]


def conversations(split: str | None = None) -> list[ScriptedConversation]:
    rows = _rows(CONVERSATION_FILES)
    items = [
        ScriptedConversation(
            id=row["id"],
            scenario=row["scenario"],
            split=row["split"],
            archetype=row["archetype"],
            should_pass=row.get("should_pass"),
            agent=tuple(row["agent"]),
        )
        for row in rows
    ]
    return [item for item in items if split is None or item.split == split]
