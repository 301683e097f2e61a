from django import forms

from performance.selectors import HistoryFilters
from scenarios.models import Difficulty

PASSED_CHOICES = [("", "Any result"), ("yes", "Passed"), ("no", "Not passed")]


class HistoryFilterForm(forms.Form):
    """The dashboard's history filters, read from GET parameters."""

    difficulty = forms.ChoiceField(
        required=False, choices=[("", "Any difficulty"), *Difficulty.choices]
    )
    passed = forms.ChoiceField(required=False, choices=PASSED_CHOICES, label="Result")
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def filters(self) -> HistoryFilters:
        """The valid filters; an invalid field is ignored (and reported by the form)."""
        data = self.cleaned_data if self.is_valid() else getattr(self, "cleaned_data", {})
        passed = {"yes": True, "no": False}.get(data.get("passed") or "")
        return HistoryFilters(
            difficulty=data.get("difficulty") or "",
            passed=passed,
            date_from=data.get("date_from") if "date_from" not in self.errors else None,
            date_to=data.get("date_to") if "date_to" not in self.errors else None,
        )
