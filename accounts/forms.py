import zoneinfo

from django import forms

from accounts.models import User

PREFERENCE_FIELDS = {
    "show_customer_mood": ("Show the customer's mood during a chat", True),
    "reduce_motion": ("Reduce animations (celebrations, typing dots)", False),
    "enter_sends": ("Enter sends a message (Shift+Enter for a new line)", True),
}


def timezone_choices():
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.ModelForm):
    timezone = forms.ChoiceField(choices=timezone_choices, help_text="Streaks and dates use it.")

    class Meta:
        model = User
        fields = ["first_name", "last_name", "timezone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.preferences or {}
        for key, (label, default) in PREFERENCE_FIELDS.items():
            self.fields[key] = forms.BooleanField(
                label=label, required=False, initial=bool(stored.get(key, default))
            )

    def preferences(self) -> dict:
        return {key: self.cleaned_data[key] for key in PREFERENCE_FIELDS}
