from django import forms

from accounts.models import TeamRole
from performance.review import Correction
from scenarios.models import Scenario

TEAM = "team"


class AssignmentForm(forms.Form):
    """A trainer's assignment for one of their teams: to the whole team or to one member."""

    scenarios = forms.ModelMultipleChoiceField(
        queryset=Scenario.objects.none(),
        help_text="Hold Ctrl (⌘ on a Mac) to choose several.",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    assign_to = forms.ChoiceField(label="Assign to")
    due_at = forms.DateTimeField(
        label="Due", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    min_score = forms.IntegerField(label="Minimum score", min_value=0, max_value=100, initial=70)

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team
        self.fields["scenarios"].queryset = Scenario.objects.active().order_by("title")
        members = [m for m in team.memberships.all() if m.role == TeamRole.MEMBER]
        self.members = {str(m.user_id): m.user for m in members}
        self.fields["assign_to"].choices = [
            (TEAM, f"Everyone in {team.name}"),
            *((key, user.display_name) for key, user in self.members.items()),
        ]

    def assignee(self):
        """The one member chosen, or None for the whole team."""
        choice = self.cleaned_data["assign_to"]
        return None if choice == TEAM else self.members[choice]


class ReviewForm(forms.Form):
    """One score and comment per criterion of the session, and an overall comment."""

    comment = forms.CharField(
        label="Overall comment", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, metrics, **kwargs):
        super().__init__(*args, **kwargs)
        self.metrics = metrics
        self.keys = [metric.criterion for metric in metrics]
        for metric in metrics:
            self.fields[f"score_{metric.criterion}"] = forms.IntegerField(
                label=f"{metric.label} score",
                min_value=0,
                max_value=100,
                initial=metric.score,
            )
            self.fields[f"comment_{metric.criterion}"] = forms.CharField(
                label=f"{metric.label}: why",
                required=False,
                initial=metric.review_comment,
            )
        self.order_fields(
            [*(f for k in self.keys for f in (f"score_{k}", f"comment_{k}")), "comment"]
        )

    def criteria(self) -> list[tuple]:
        """(metric, score field, comment field) per criterion: the page sets each correction
        beside the machine's evidence for it."""
        return [
            (metric, self[f"score_{metric.criterion}"], self[f"comment_{metric.criterion}"])
            for metric in self.metrics
        ]

    def corrections(self) -> dict:
        return {
            key: Correction(
                self.cleaned_data[f"score_{key}"], self.cleaned_data[f"comment_{key}"].strip()
            )
            for key in self.keys
        }
