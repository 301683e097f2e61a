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


class SignupForm(forms.Form):
    """What allauth's sign-up asks besides the e-mail and password (ACCOUNT_SIGNUP_FORM_CLASS):
    the name other trainees will see, so that nothing shown to them comes from the address."""

    public_name = forms.CharField(
        label="Display name",
        max_length=40,
        help_text="Shown to other trainees on leaderboards. You can change it later.",
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )

    def clean_public_name(self):
        name = self.cleaned_data["public_name"].strip()
        if not name:
            raise forms.ValidationError("Choose the name other trainees will see.")
        return name

    def signup(self, request, user):
        user.public_name = self.cleaned_data["public_name"]
        user.save(update_fields=["public_name"])


class ProfileForm(forms.ModelForm):
    timezone = forms.ChoiceField(choices=timezone_choices, help_text="Streaks and dates use it.")

    class Meta:
        model = User
        fields = ["public_name", "first_name", "last_name", "timezone", "on_leaderboard"]
        help_texts = {
            "on_leaderboard": "Off: you are left out of the leaderboard other trainees see."
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.preferences or {}
        for key, (label, default) in PREFERENCE_FIELDS.items():
            self.fields[key] = forms.BooleanField(
                label=label, required=False, initial=bool(stored.get(key, default))
            )

    def preferences(self) -> dict:
        return {key: self.cleaned_data[key] for key in PREFERENCE_FIELDS}


class TeamForm(forms.Form):
    name = forms.CharField(label="Team name", max_length=80)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the team a name.")
        return name


class TeamInviteForm(forms.Form):
    email = forms.EmailField(
        label="E-mail (optional)",
        required=False,
        max_length=254,
        help_text="We e-mail the link to this address; leave it empty to copy the link yourself.",
    )
