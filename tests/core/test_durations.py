"""How long something took, as the report says it (core.durations)."""

import pytest

from core.durations import format_duration, iso_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (1, "1 s"),
        (45, "45 s"),
        (59.4, "59 s"),
        (59.6, "1 min"),  # never "60 s"
        (60, "1 min"),
        (89, "1 min"),
        (90, "2 min"),  # half a minute rounds up
        (180, "3 min"),
        (59 * 60 + 29, "59 min"),
        (59 * 60 + 30, "1 h"),  # never "60 min"
        (3600, "1 h"),
        (3900, "1 h 5 min"),
        (2 * 3600 + 59 * 60, "2 h 59 min"),
        (-5, "0 s"),  # a clock that stepped back is not a negative duration
    ],
)
def test_a_duration_reads_in_seconds_minutes_or_hours(seconds, text):
    assert format_duration(seconds) == text


def test_a_session_shorter_than_half_a_minute_is_not_zero_minutes():
    # The bug: whole minutes alone said "0 min" for anything under 30 s.
    assert all(format_duration(s) != "0 min" for s in range(0, 120))


def test_an_unknown_duration_is_empty():
    assert format_duration(None) == ""
    assert iso_duration(None) == ""


def test_the_machine_readable_form_is_an_iso_8601_duration():
    assert iso_duration(45) == "PT45S"
    assert iso_duration(3900.4) == "PT3900S"
    assert iso_duration(-1) == "PT0S"
