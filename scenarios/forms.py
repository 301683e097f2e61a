"""Forms for the catalogue's filters and the admin's YAML editing of scenario documents."""

from django import forms
from django.core.exceptions import ValidationError

from scenarios.loader import ScenarioFileError, dump_yaml, parse_yaml
from scenarios.models import Difficulty

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
        self.fields["category"].choices = [("", "Any category")] + [
            (category, category.replace("-", " ").capitalize()) for category in categories
        ]

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


class _InvalidYAML(str):
    """Text that did not parse: shown back to the author unchanged, with the error beside it."""


class YAMLDocumentField(forms.Field):
    """A JSON value edited as YAML (JSON is accepted too, since YAML reads it)."""

    widget = forms.Textarea
    default_error_messages = {"invalid": "%(error)s"}

    def __init__(self, *, rows: int = 16, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.Textarea(
                attrs={"rows": rows, "class": "vLargeTextField yaml-field", "spellcheck": "false"}
            ),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, _InvalidYAML):
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
            return parse_yaml(value, source="YAML")
        except ScenarioFileError as error:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"error": error.message}
            ) from None

    def bound_data(self, data, initial):
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            return parse_yaml(data)
        except ScenarioFileError:
            return _InvalidYAML(data)

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != initial
        except ValidationError:
            return True
