"""The profile's time-zone list: common zones first, then canonical Area/Location zones by
region, no junk, and still only known zones accepted."""

import re
import zoneinfo

import pytest

from accounts.forms import COMMON_TIMEZONES, TIMEZONE_REGIONS, ProfileForm, timezone_choices

JUNK = ["Factory", "localtime", "posixrules", "Etc/GMT+5", "US/Eastern", "GB", "Australia/NSW"]
AREA_LOCATION = re.compile(r"^[A-Z][a-z]+/[A-Z][A-Za-z_\-]+(/[A-Z][A-Za-z_\-]+)?$")


def _values(groups):
    return [value for _, choices in groups for value, _ in choices]


def test_common_zones_come_first_then_the_regions_in_order():
    groups = timezone_choices()
    assert groups[0][0] == "Common"
    assert [value for value, _ in groups[0][1]] == [name for name, _ in COMMON_TIMEZONES]
    assert groups[0][1][0] == ("UTC", "UTC")
    regions = [name for name, _ in groups[1:]]
    assert regions == [r for r in TIMEZONE_REGIONS if r in regions]
    assert "Europe" in regions
    assert "America" in regions


def test_only_canonical_area_location_zones_each_offered_once():
    values = _values(timezone_choices())
    assert len(values) == len(set(values)), "a zone is offered twice"
    for junk in JUNK:
        assert junk not in values
    assert all(v == "UTC" or AREA_LOCATION.match(v) for v in values), [
        v for v in values if v != "UTC" and not AREA_LOCATION.match(v)
    ]
    available = zoneinfo.available_timezones()
    assert set(values) <= available
    # Far fewer than the raw ~600 entries, but every region's cities are there.
    assert 300 <= len(values) < len(available)
    for name in ("Europe/Lisbon", "America/Argentina/Buenos_Aires", "Pacific/Auckland"):
        assert name in values


def test_choices_read_as_places_sorted_within_their_region():
    groups = dict(timezone_choices())
    europe = groups["Europe"]
    assert ("Europe/Lisbon", "Lisbon") in europe
    assert [label for _, label in europe] == sorted(
        (label for _, label in europe), key=str.casefold
    )
    assert ("America/Argentina/Buenos_Aires", "Argentina / Buenos Aires") in groups["America"]
    assert ("Europe/London", "London") not in europe  # already in Common


def test_the_form_renders_optgroups_and_suggests_the_browser_zone_only_when_unset(user):
    assert user.timezone == "UTC"
    html = str(ProfileForm(instance=user)["timezone"])
    assert '<optgroup label="Common">' in html
    assert '<optgroup label="Europe">' in html
    assert "data-suggest-browser-zone" in html
    assert '<option value="Europe/Lisbon">Lisbon</option>' in html
    assert ">Factory<" not in html
    assert "localtime" not in html

    user.timezone = "Asia/Tokyo"
    chosen = str(ProfileForm(instance=user)["timezone"])
    assert "data-suggest-browser-zone" not in chosen
    assert '<option value="Asia/Tokyo" selected>Tokyo</option>' in chosen


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "Factory", "localtime", "Etc/GMT+5", "US/Eastern", ""]
)
def test_unknown_or_junk_zones_are_rejected(user, zone):
    form = ProfileForm(data={"timezone": zone}, instance=user)
    assert not form.is_valid()
    assert "timezone" in form.errors


def test_a_zone_chosen_before_the_list_was_cleaned_up_can_still_be_saved(user):
    # An alias a trainee picked from the old list stays valid for them (and only for them).
    user.timezone = "US/Eastern"
    form = ProfileForm(data={"timezone": "US/Eastern"}, instance=user)
    assert form.is_valid(), form.errors
    assert "US/Eastern" not in _values(timezone_choices())


def test_a_common_zone_saves(user):
    form = ProfileForm(data={"timezone": "Europe/Lisbon"}, instance=user)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["timezone"] == "Europe/Lisbon"
