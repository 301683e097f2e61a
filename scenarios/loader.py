"""Reading and writing scenario files (docs/scenarios.md): YAML or JSON, one scenario or a list
per file.

Parsing is kept apart from importing so that the admin's YAML fields, the command and the tests
share one reader, and so that the services only ever see plain, JSON-compatible documents.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from scenarios.models import DOCUMENT_FIELDS
from scenarios.validation import SCENARIO_SCHEMA


class ScenarioFileError(Exception):
    """A file that cannot be read as scenario documents at all (bad syntax, wrong shape)."""

    def __init__(self, source: str, message: str, *, line: int | None = None):
        self.source = source
        self.message = message
        self.line = line  # 1-based, when the parser knows where it stopped
        super().__init__(f"{source}: {message}")


@dataclass(frozen=True)
class SourcedDocument:
    """A scenario document and where it came from, so that errors can name the file."""

    source: str
    document: object
    index: int | None = None  # position in the file's list, None for a one-scenario file

    @property
    def slug(self) -> str | None:
        slug = self.document.get("slug") if isinstance(self.document, dict) else None
        return slug if isinstance(slug, str) else None

    @property
    def label(self) -> str:
        if self.slug:
            return f"scenario “{self.slug}”"
        return "scenario" if self.index is None else f"scenario #{self.index + 1}"


class _ScenarioYAMLLoader(yaml.SafeLoader):
    """YAML as authors mean it: dates stay text (JSON has no date type) and a key written twice
    is an error instead of silently keeping the last one."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"the key “{key}” appears twice",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_ScenarioYAMLLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _yaml_error_message(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    detail = f"{context}, {problem}" if context else problem
    return f"{where}not valid YAML ({detail})"


def parse_yaml(text: str, *, source: str = "<text>"):
    """Any YAML (or JSON, which YAML reads too) value; ScenarioFileError with the line if not."""
    try:
        # A SafeLoader subclass: no arbitrary Python objects.
        return yaml.load(text, Loader=_ScenarioYAMLLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ScenarioFileError(source, _yaml_error_message(error), line=line) from None


def parse_json(text: str, *, source: str = "<text>"):
    """A JSON value, read as JSON rather than YAML so that a syntax error is told in JSON's
    terms (a missing comma, not a YAML flow-mapping complaint) at its exact line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        message = f"line {error.lineno}, column {error.colno}: not valid JSON ({error.msg})"
        raise ScenarioFileError(source, message, line=error.lineno) from None


def parse_documents(text: str, *, source: str) -> list[SourcedDocument]:
    """The scenarios in one file's text. JSON files are read as JSON for exact error positions."""
    if source.lower().endswith(".json"):
        data = parse_json(text, source=source)
    else:
        data = parse_yaml(text, source=source)
    if data is None:
        raise ScenarioFileError(source, "the file contains no scenario")
    if isinstance(data, dict):
        return [SourcedDocument(source, data)]
    if isinstance(data, list):
        return [SourcedDocument(source, item, index) for index, item in enumerate(data)]
    raise ScenarioFileError(source, "a scenario file holds one scenario (a mapping) or a list")


def read_documents(paths) -> list[SourcedDocument]:
    """Every scenario in every file, in order. Stops at the first unreadable file."""
    documents: list[SourcedDocument] = []
    for path in paths:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ScenarioFileError(source, "no such file") from None
        except (OSError, UnicodeDecodeError) as error:
            raise ScenarioFileError(source, f"cannot be read ({error})") from None
        documents.extend(parse_documents(text, source=source))
    return documents


# --- Finding a field in the text ------------------------------------------------------------

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def path_parts(path: str) -> list[str | int]:
    """`customer_persona.facts[2].asked_by` as `["customer_persona", "facts", 2, "asked_by"]`."""
    return [int(index) if index else key for key, index in _PATH_PART.findall(path)]


def line_of(text: str, parts: list[str | int]) -> int | None:
    """The 1-based line where a field path is written in YAML or JSON text, or None.

    Validation works on parsed values and knows only the path; an author looks at the text.
    When the path ends in a field that is missing (a required field, say), the line of the
    deepest part that is there is the place to add it. Text that does not parse has no lines
    to offer (its syntax error already carries one).
    """
    try:
        node = yaml.compose(text, Loader=_ScenarioYAMLLoader)
    except yaml.YAMLError:
        return None
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in parts:
        if isinstance(part, int) and isinstance(node, yaml.SequenceNode):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        elif isinstance(part, str) and isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == part), None)
            if found is None:
                break
            key, node = found
            line = key.start_mark.line + 1
        else:
            break
    return line


# --- Writing ---------------------------------------------------------------------------------


def _ordered(value, schema: dict | None):
    """`value` with the keys the schema knows in the contract's order, then any others sorted.

    PostgreSQL's jsonb does not keep key order; ordering on the way out makes an export the same
    on every database and readable in the order authors write it.
    """
    if isinstance(value, dict):
        properties = (schema or {}).get("properties")
        if properties is None:
            return {key: _ordered(item, None) for key, item in value.items()}
        known = [key for key in properties if key in value]
        extra = sorted(key for key in value if key not in properties)
        return {key: _ordered(value[key], properties.get(key)) for key in known + extra}
    if isinstance(value, list):
        items = (schema or {}).get("items")
        return [_ordered(item, items) for item in value]
    return value


def canonical_document(document: dict) -> dict:
    ordered = _ordered(document, SCENARIO_SCHEMA)
    return {key: ordered[key] for key in DOCUMENT_FIELDS if key in ordered} | {
        key: value for key, value in ordered.items() if key not in DOCUMENT_FIELDS
    }


class _ScenarioYAMLDumper(yaml.SafeDumper):
    """Block style with lists indented under their key, and multi-line text as `|` blocks."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _represent_str(dumper, value: str):
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _represent_list(dumper, value: list):
    """Short lists of plain values (`asked_by`, `key_phrases`, `requires`) on one line."""
    scalars = all(isinstance(item, str | int | float | bool) for item in value)
    short = scalars and sum(len(str(item)) + 2 for item in value) <= 72
    flow = short and not any(isinstance(item, str) and "\n" in item for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


def _represent_dict(dumper, value: dict):
    """Small flat mappings (`personality`, a criterion) on one line, as the contract writes them."""
    scalars = all(isinstance(item, str | int | float | bool) for item in value.values())
    short = scalars and sum(len(str(k)) + len(str(v)) + 4 for k, v in value.items()) <= 72
    flow = short and not any(isinstance(item, str) and "\n" in item for item in value.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=flow)


_ScenarioYAMLDumper.add_representer(str, _represent_str)
_ScenarioYAMLDumper.add_representer(dict, _represent_dict)
_ScenarioYAMLDumper.add_representer(list, _represent_list)


def dump_yaml(value) -> str:
    return yaml.dump(
        value,
        Dumper=_ScenarioYAMLDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=88,
    )


def dump_documents(documents: list[dict], *, as_list: bool | None = None) -> str:
    """Scenario documents as one YAML file: a mapping for one, a list otherwise."""
    ordered = [canonical_document(document) for document in documents]
    if as_list is None:
        as_list = len(ordered) != 1
    return dump_yaml(ordered if as_list else ordered[0])
