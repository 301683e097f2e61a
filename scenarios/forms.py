"""Forms for the catalogue's filters and the admin's YAML editing of scenario documents."""

import re

from django import forms
from django.core.exceptions import ValidationError

from scenarios.loader import (
    ScenarioFileError,
    dump_yaml,
    line_of,
    parse_json,
    parse_yaml,
    path_parts,
)
from scenarios.models import Difficulty
from scenarios.selectors import category_label

COMPLETED_CHOICES = [("", "All"), ("false", "Not completed yet"), ("true", "Completed")]


class ScenarioFilterForm(forms.Form):
    """The catalogue's query string. An invalid value is ignored rather than shown as an error:
    a stale bookmark should still show the catalogue."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Title or topic"}),
    )
    difficulty = forms.ChoiceField(
        label="Difficulty", required=False, choices=[("", "Any difficulty"), *Difficulty.choices]
    )
    category = forms.ChoiceField(label="Category", required=False)
    completed = forms.TypedChoiceField(
        label="Progress",
        required=False,
        choices=COMPLETED_CHOICES,
        coerce=lambda value: value == "true",
        empty_value=None,
    )

    def __init__(self, *args, categories: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labelled = sorted(
            ((category, category_label(category)) for category in categories),
            key=lambda choice: choice[1].casefold(),
        )
        self.fields["category"].choices = [("", "Any category"), *labelled]

    def filters(self) -> dict:
        """The valid filters as keyword arguments of `scenario_list_with_progress`."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = self.cleaned_data
        return {
            key: value
            for key, value in {
                "difficulty": data.get("difficulty") or None,
                "category": data.get("category") or None,
                "search": (data.get("q") or "").strip() or None,
                "completed": data.get("completed"),
            }.items()
            if value is not None
        }


class _AsTyped(str):
    """The author's own text, shown back unchanged after an error.

    Re-dumping what parsed would reformat it (their JSON turned into YAML, their comments
    gone), and the line numbers in the errors beside the field would point at text they can
    no longer see.
    """


# A model validation message that starts with a field path ("customer_persona.facts[0]: …").
_PATH_PREFIX = re.compile(
    r"^(?P<path>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[\d+\])*): (?P<rest>.+)$", re.S
)
_LINE_IN_MESSAGE = re.compile(r"\bline (\d+)\b")
MIN_ROWS, MAX_ROWS = 6, 32


class CodeTextarea(forms.Textarea):
    """A textarea for structured text: monospace, no soft wrapping (a line on screen is a line
    in the file, so the numbers in errors can be counted), as tall as its text within bounds.

    `code-lines.js` adds a line-number gutter; without script the field is still a plain
    textarea and every error is rendered on the server.
    """

    class Media:
        css = {"all": ["css/code-editor.css"]}
        js = ["js/code-lines.js"]

    def __init__(self, *, rows: int = 16, attrs=None):
        self.min_rows = rows
        base = {"rows": rows, "class": "vLargeTextField yaml-field", "spellcheck": "false"}
        base.update({"wrap": "off", "data-code-editor": "", "autocapitalize": "off"})
        super().__init__(attrs={**base, **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        lines = (str(value).count("\n") + 1) if value else 1
        rows = max(MIN_ROWS, min(MAX_ROWS, max(self.min_rows, lines + 1)))
        context["widget"]["attrs"]["rows"] = rows
        return context


class YAMLDocumentField(forms.Field):
    """A JSON value edited as YAML (JSON is accepted too, and read as JSON when it looks
    like JSON, so that its syntax errors are told in JSON's terms)."""

    widget = CodeTextarea
    default_error_messages = {"invalid": "%(error)s"}

    def __init__(self, *, rows: int = 16, **kwargs):
        kwargs.setdefault("widget", CodeTextarea(rows=rows))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, _AsTyped):
            return value
        if value is None:
            return ""
        return dump_yaml(value)

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            return value
        try:
            return parse_structured_text(value)
        except ScenarioFileError as error:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"error": error.message}
            ) from None

    def bound_data(self, data, initial):
        if self.disabled:
            return initial
        if data is None:
            return None
        return _AsTyped(data)

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != initial
        except ValidationError:
            return True


def parse_structured_text(text: str):
    """YAML, or JSON when the text opens like JSON.

    A `{` or `[` first may still be YAML's flow style (`{priority: low}`), so YAML gets its
    turn when JSON fails; only when both fail is the JSON error reported, as the author most
    likely wrote JSON.
    """
    if text.lstrip().startswith(("{", "[")):
        try:
            return parse_json(text, source="JSON")
        except ScenarioFileError as json_error:
            try:
                return parse_yaml(text, source="YAML")
            except ScenarioFileError:
                raise json_error from None
    return parse_yaml(text, source="YAML")


class LocatedErrorsMixin:
    """Adds, to a model validation error on a structured text field, the line of that field's
    text where the error's path is written ("customer_persona.facts[0].asked_by (line 9): …"),
    and marks the lines of every error on the textarea (`data-error-lines`) for the gutter.

    The model's validation knows the document, not the text it came from; only the form holds
    the author's text, so the line is found here.
    """

    located_fields: tuple[str, ...] = ()

    def add_error(self, field, error):
        if field is None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            error = ValidationError(
                {
                    name: [self._located(name, item) for item in items]
                    for name, items in error.error_dict.items()
                }
            )
        super().add_error(field, error)
        self._mark_error_lines()

    def _located(self, name: str, error: ValidationError) -> ValidationError:
        if name not in self.located_fields or error.params:
            return error
        match = _PATH_PREFIX.match(str(error.message))
        text = self.data.get(self.add_prefix(name)) if self.is_bound else None
        if not match or not isinstance(text, str):
            return error
        parts = path_parts(match["path"])
        if len(parts) < 2 or parts[0] != name:
            return error
        line = line_of(text, parts[1:])
        if line is None:
            return error
        return ValidationError(f"{match['path']} (line {line}): {match['rest']}", code=error.code)

    def _mark_error_lines(self):
        for name in self.located_fields:
            if name not in self.fields:
                continue
            lines = sorted(
                {
                    int(n)
                    for message in self.errors.get(name, [])
                    for n in _LINE_IN_MESSAGE.findall(message)
                }
            )
            attrs = self.fields[name].widget.attrs
            if lines:
                attrs["data-error-lines"] = " ".join(map(str, lines))
            else:
                attrs.pop("data-error-lines", None)
