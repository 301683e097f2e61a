import contextlib
import functools
import importlib.resources
import re
import zoneinfo
from pathlib import Path

from django import forms

from accounts.models import User
from accounts.services import PROFILE_FIELDS

DEFAULT_TIMEZONE = User._meta.get_field("timezone").default

PREFERENCE_FIELDS = {
    "show_customer_mood": ("Show the customer's mood during a chat", True),
    "reduce_motion": ("Reduce animations (celebrations, typing dots)", False),
    "enter_sends": ("Enter sends a message (Shift+Enter for a new line)", True),
}


# --- Time zones --------------------------------------------------------------------------------

#: The few zones most trainees live in, offered first (IANA name, the city a person looks for).
COMMON_TIMEZONES = [
    ("UTC", "UTC"),
    ("Europe/London", "London"),
    ("Europe/Paris", "Paris"),
    ("Europe/Berlin", "Berlin"),
    ("America/New_York", "New York"),
    ("America/Chicago", "Chicago"),
    ("America/Denver", "Denver"),
    ("America/Los_Angeles", "Los Angeles"),
    ("America/Sao_Paulo", "São Paulo"),
    ("Africa/Lagos", "Lagos"),
    ("Africa/Johannesburg", "Johannesburg"),
    ("Asia/Dubai", "Dubai"),
    ("Asia/Kolkata", "Kolkata"),
    ("Asia/Singapore", "Singapore"),
    ("Asia/Tokyo", "Tokyo"),
    ("Australia/Sydney", "Sydney"),
]
#: The IANA areas, in the order their groups are offered.
TIMEZONE_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)
# Area/Location[/Sublocation] with a capitalised place name: not "Factory", "localtime",
# "posixrules", "Etc/GMT+5", "US/Eastern", "GB" or abbreviations such as "Australia/NSW".
_CANONICAL = re.compile(
    r"^(?:" + "|".join(TIMEZONE_REGIONS) + r")/[A-Z][A-Za-z_\-]*[a-z][A-Za-z_\-]*"
    r"(?:/[A-Z][A-Za-z_\-]*[a-z][A-Za-z_\-]*)?$"
)


def timezone_label(name: str) -> str:
    """A zone's place as the trainee looks for it: "Argentina / Buenos Aires", "Lisbon"."""
    return name.split("/", 1)[-1].replace("_", " ").replace("/", " / ")


def _zone_tab() -> set[str] | None:
    """The zones tzdata's `zone.tab` lists (one or more per country, current names only: not
    "Asia/Calcutta" or "Europe/Kiev", which stay as aliases), from the same places zoneinfo
    reads; None when there is no such file."""
    candidates = [Path(root) / "zone.tab" for root in zoneinfo.TZPATH]
    with contextlib.suppress(ModuleNotFoundError):
        candidates.append(importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab"))
    for candidate in candidates:
        try:
            text = candidate.read_text(encoding="utf-8")
        except OSError:
            continue
        rows = (line.split("\t") for line in text.splitlines() if not line.startswith("#"))
        return {row[2].strip() for row in rows if len(row) >= 3}
    return None


@functools.cache
def _canonical_timezones() -> tuple[str, ...]:
    """Area/Location zones, without the aliases kept for old names when tzdata says which."""
    names = {n for n in zoneinfo.available_timezones() if _CANONICAL.match(n)}
    current = _zone_tab()
    if current:
        names &= current
    return tuple(sorted(names))


def timezone_choices(*, keep: str = "") -> list:
    """The profile's time zones: a short group of common ones, then every canonical
    Area/Location zone grouped by region (each zone once), by place name. `keep` is a valid
    zone to offer even if it is not canonical (one a trainee chose before), so that saving
    the profile never rejects their own setting."""
    common = [(name, label) for name, label in COMMON_TIMEZONES if name in _available()]
    listed = {name for name, _ in common}
    by_region: dict[str, list[tuple[str, str]]] = {region: [] for region in TIMEZONE_REGIONS}
    names = list(_canonical_timezones())
    if keep and keep not in listed and keep not in names and keep in _available():
        names.append(keep)
    other = []
    for name in names:
        if name in listed:
            continue
        region = name.split("/", 1)[0]
        if region in by_region and "/" in name:
            by_region[region].append((name, timezone_label(name)))
        else:
            other.append((name, name.replace("_", " ")))
    groups = [("Common", common)]
    for region in TIMEZONE_REGIONS:
        if by_region[region]:
            groups.append((region, sorted(by_region[region], key=lambda c: c[1].casefold())))
    if other:
        groups.append(("Other", other))
    return groups


def _available() -> set[str]:
    return zoneinfo.available_timezones()  # cached by zoneinfo itself


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
    timezone = forms.ChoiceField(
        label="Time zone",
        choices=timezone_choices,
        help_text="Streaks and dates use it. Type a city's name to jump to it.",
    )

    class Meta:
        model = User
        fields = list(PROFILE_FIELDS)
        help_texts = {
            "on_leaderboard": "Off: you are left out of the leaderboard other trainees see.",
            "paced_replies": "The customer pauses to read your message, then types at their "
            "own speed. Off: replies appear as fast as they are written.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["timezone"]
        field.choices = timezone_choices(keep=self.instance.timezone or "")
        if not self.is_bound and self.instance.timezone in ("", DEFAULT_TIMEZONE):
            # Never set (UTC is the default): profile.js offers the browser's own zone.
            field.widget.attrs["data-suggest-browser-zone"] = ""
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
