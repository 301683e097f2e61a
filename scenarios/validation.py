"""The one validation of a scenario document, shared by the admin, the importer and the API.

JSON Schema checks the shape of each structured field; cross-field checks (knowledge-base ids,
criterion keys, prerequisites) follow. Every problem carries the field path an author can find in
their file, e.g. `customer_persona.facts[2].asked_by`.
"""

from __future__ import annotations

from dataclasses import dataclass

from jsonschema import Draft202012Validator

from scenarios.criteria import known_criterion_keys

_NON_EMPTY = {"type": "string", "minLength": 1}
_STRING_LIST = {"type": "array", "items": _NON_EMPTY}

TICKET_TEMPLATE_SCHEMA = {
    "type": "object",
    "required": ["priority", "category", "description"],
    "properties": {
        "priority": {"enum": ["low", "medium", "high"]},
        "category": {"type": "string", "minLength": 1, "maxLength": 64},
        "description": _NON_EMPTY,
        "customer_info": {"type": "object"},
        "technical_context": {"type": "object"},
    },
}

CUSTOMER_PERSONA_SCHEMA = {
    "type": "object",
    "required": ["name", "technical_level", "resolution"],
    "properties": {
        "name": _NON_EMPTY,
        "technical_level": {"enum": ["novice", "intermediate", "advanced"]},
        "personality": {
            "type": "object",
            "properties": {
                "patience": {"type": "integer", "minimum": 1, "maximum": 5},
                "temperament": {"type": "string"},
            },
        },
        "communication_style": {
            "type": "object",
            "properties": {"tone": {"type": "string"}, "verbosity": {"type": "string"}},
        },
        "facts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "asked_by", "answer"],
                "properties": {
                    "key": _NON_EMPTY,
                    "asked_by": {**_STRING_LIST, "minItems": 1},
                    "answer": _NON_EMPTY,
                },
            },
        },
        "resolution": {
            "type": "object",
            "required": ["requires"],
            "properties": {
                "requires": _STRING_LIST,
                "confirm": {"type": "string"},
                "unresolved": {"type": "string"},
            },
        },
    },
}

KNOWLEDGE_BASE_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["id", "title", "body"],
        "properties": {
            "id": _NON_EMPTY,
            "title": _NON_EMPTY,
            "body": _NON_EMPTY,
            "key_phrases": _STRING_LIST,
        },
    },
}

ASSESSMENT_CRITERIA_SCHEMA = {
    "type": "object",
    "required": ["criteria"],
    "properties": {
        "pass_score": {"type": "number", "minimum": 0, "maximum": 100},
        "criteria": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["key", "weight"],
                "properties": {
                    "key": _NON_EMPTY,
                    "weight": {"type": "number", "exclusiveMinimum": 0},
                },
            },
        },
        "forbidden_phrases": _STRING_LIST,
    },
}

SCENARIO_SCHEMA = {
    "type": "object",
    "required": [
        "slug",
        "title",
        "difficulty",
        "ticket_template",
        "customer_persona",
        "assessment_criteria",
    ],
    "properties": {
        "slug": {"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$", "maxLength": 100},
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": "string"},
        "difficulty": {"enum": ["starter", "intermediate", "advanced"]},
        "estimated_time": {"type": "integer", "minimum": 1, "maximum": 600},
        "xp_reward": {"type": "integer", "minimum": 0, "maximum": 10000},
        "is_active": {"type": "boolean"},
        "prerequisites": _STRING_LIST,
        "ticket_template": TICKET_TEMPLATE_SCHEMA,
        "customer_persona": CUSTOMER_PERSONA_SCHEMA,
        "knowledge_base_entries": KNOWLEDGE_BASE_SCHEMA,
        "assessment_criteria": ASSESSMENT_CRITERIA_SCHEMA,
    },
}

FIELD_SCHEMAS = {
    "ticket_template": TICKET_TEMPLATE_SCHEMA,
    "customer_persona": CUSTOMER_PERSONA_SCHEMA,
    "knowledge_base_entries": KNOWLEDGE_BASE_SCHEMA,
    "assessment_criteria": ASSESSMENT_CRITERIA_SCHEMA,
}

_VALIDATOR = Draft202012Validator(SCENARIO_SCHEMA)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario document, located by its field path."""

    path: str
    message: str

    @property
    def field(self) -> str:
        return self.path.split(".", 1)[0].split("[", 1)[0]

    @property
    def message_with_path(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def __str__(self) -> str:
        return self.message_with_path


def format_path(parts) -> str:
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _schema_message(error) -> str:
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"the required field “{missing}” is missing"
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return f"{error.instance!r} is not one of: {allowed}"
    if error.validator == "pattern" and error.path and error.path[-1] == "slug":
        return "must use only letters, digits, hyphens and underscores"
    return error.message


def _schema_problems(document) -> list[Problem]:
    if not isinstance(document, dict):
        return [Problem("", "a scenario must be a mapping of fields to values")]
    errors = sorted(_VALIDATOR.iter_errors(document), key=lambda e: list(map(str, e.path)))
    problems = []
    for error in errors:
        parts = list(error.absolute_path)
        if error.validator == "required":
            parts.append(error.message.split("'")[1])
        problems.append(Problem(format_path(parts), _schema_message(error)))
    return problems


def _duplicates(values) -> list:
    seen, repeated = set(), []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated


def _cross_field_problems(document: dict) -> list[Problem]:
    problems: list[Problem] = []
    kb = document.get("knowledge_base_entries") or []
    kb_ids = [entry.get("id") for entry in kb if isinstance(entry, dict)]
    for repeated in _duplicates(kb_ids):
        problems.append(
            Problem("knowledge_base_entries", f"the id “{repeated}” is used more than once")
        )

    persona = document.get("customer_persona") or {}
    facts = persona.get("facts") or []
    for repeated in _duplicates(f.get("key") for f in facts if isinstance(f, dict)):
        problems.append(
            Problem("customer_persona.facts", f"the fact key “{repeated}” is used more than once")
        )
    requires = (persona.get("resolution") or {}).get("requires") or []
    for index, entry_id in enumerate(requires):
        if entry_id not in kb_ids:
            problems.append(
                Problem(
                    f"customer_persona.resolution.requires[{index}]",
                    f"“{entry_id}” is not the id of any knowledge_base_entries item",
                )
            )

    criteria = (document.get("assessment_criteria") or {}).get("criteria") or []
    known = known_criterion_keys()
    keys = []
    for index, criterion in enumerate(criteria):
        key = criterion.get("key") if isinstance(criterion, dict) else None
        keys.append(key)
        if isinstance(key, str) and key not in known:
            problems.append(
                Problem(
                    f"assessment_criteria.criteria[{index}].key",
                    f"“{key}” is not a known criterion (known: {', '.join(sorted(known))})",
                )
            )
    for repeated in _duplicates(k for k in keys if k):
        problems.append(
            Problem("assessment_criteria.criteria", f"the criterion “{repeated}” appears twice")
        )

    slug = document.get("slug")
    prerequisites = document.get("prerequisites") or []
    if slug and slug in prerequisites:
        problems.append(Problem("prerequisites", "a scenario cannot be its own prerequisite"))
    for repeated in _duplicates(prerequisites):
        problems.append(Problem("prerequisites", f"“{repeated}” is listed twice"))
    return problems


def validate_scenario_document(document, *, check_prerequisites: bool = True) -> list[Problem]:
    """All problems with one scenario document; empty when it is valid.

    Prerequisite slugs are checked for existence and cycles by the caller, which knows the
    whole set of scenarios (see `find_prerequisite_problems`).
    """
    problems = _schema_problems(document)
    if problems:
        return problems
    problems = _cross_field_problems(document)
    if not check_prerequisites:
        problems = [p for p in problems if p.field != "prerequisites" or "own" in p.message]
    return problems


def find_prerequisite_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle in `slug -> prerequisite slugs`, as the list of slugs around it, or None."""
    visiting, done = set(), set()
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        visiting.add(node)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt in visiting:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in done:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        visiting.discard(node)
        done.add(node)
        stack.pop()
        return None

    for start in sorted(graph):
        if start not in done:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def find_prerequisite_problems(
    prerequisites_by_slug: dict[str, list[str]],
    *,
    known_slugs: set[str],
    checked_slugs: set[str] | None = None,
) -> dict[str, list[Problem]]:
    """Unknown prerequisite slugs and cycles, per scenario slug.

    `prerequisites_by_slug` is the whole graph as it will be once saved (existing scenarios
    merged with the incoming ones), so that a cycle through an unchanged scenario is found too.
    Problems are reported on `checked_slugs` (the scenarios being saved; default: all), and a
    cycle on the first of them it passes through.
    """
    checked = set(prerequisites_by_slug) if checked_slugs is None else checked_slugs
    problems: dict[str, list[Problem]] = {}
    for slug, prerequisites in prerequisites_by_slug.items():
        if slug not in checked:
            continue
        for index, prerequisite in enumerate(prerequisites):
            if prerequisite not in known_slugs:
                problems.setdefault(slug, []).append(
                    Problem(
                        f"prerequisites[{index}]",
                        f"“{prerequisite}” is not the slug of any scenario",
                    )
                )
    cycle = find_prerequisite_cycle({s: set(p) for s, p in prerequisites_by_slug.items()})
    if cycle:
        owner = next((slug for slug in cycle if slug in checked), cycle[0])
        problems.setdefault(owner, []).append(
            Problem("prerequisites", "prerequisites form a cycle: " + " → ".join(cycle))
        )
    return problems
