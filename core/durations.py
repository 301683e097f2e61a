"""How long something took, in words a trainee reads at a glance: "45 s", "3 min", "1 h 5 min".

Whole minutes alone turn every session shorter than half a minute into "0 min", which reads
as "nothing happened"; under a minute the seconds are shown instead."""

from __future__ import annotations

import math


def format_duration(seconds: float | None) -> str:
    """`seconds` in words: seconds under a minute, then whole minutes (rounded), then hours
    and minutes. An unknown duration is an empty string; a negative one counts as 0 s."""
    if seconds is None:
        return ""
    seconds = max(0, math.floor(seconds + 0.5))
    if seconds < 60:
        return f"{seconds} s"
    minutes = math.floor(seconds / 60 + 0.5)  # half a minute rounds up, as people do
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def iso_duration(seconds: float | None) -> str:
    """`seconds` as an ISO 8601 duration for `<time datetime>` ("PT185S"); "" when unknown."""
    if seconds is None:
        return ""
    return f"PT{max(0, math.floor(seconds + 0.5))}S"
