"""The trainee's home page: their streak, what to do next, recent sessions and achievements."""

import datetime as dt
from dataclasses import dataclass

from gamification.models import UserAchievement
from gamification.selectors import Streak, achievements_for_user, streak_for_user
from overview.progress import recommended_next_scenario
from sessions_app.assignments import assignments_for_trainee

# What a recent-session row shows: not the transcript's snapshot, engine state or report,
# whose JSON was most of the dashboard's own CPU to decode (`make bench`, cProfile).
RECENT_SESSION_FIELDS = (
    "id",
    "user_id",
    "status",
    "outcome",
    "is_preview",
    "score",
    "passed",
    "xp_awarded",
    "started_at",
    "scenario__id",
    "scenario__slug",
    "scenario__title",
)


def recent_sessions_for_user(*, user, limit: int = 5):
    recent = user.training_sessions.select_related("scenario").only(*RECENT_SESSION_FIELDS)
    return list(recent.order_by("-started_at")[:limit])


@dataclass(frozen=True)
class Dashboard:
    streak: Streak
    recommended: object | None
    recent_sessions: list
    recent_achievements: list
    achievements: list
    unlocked_count: int
    assigned: list


def dashboard_for_user(*, user, now: dt.datetime | None = None) -> Dashboard:
    """Everything the dashboard shows, in a fixed number of queries whatever the history."""
    gallery = list(achievements_for_user(user=user))
    # The gallery already carries each unlock: the three newest come from it, not a query.
    newest = sorted(
        (a for a in gallery if a.unlocked_at), key=lambda a: a.unlocked_at, reverse=True
    )[:3]
    return Dashboard(
        streak=streak_for_user(user=user, now=now),
        recommended=recommended_next_scenario(user=user),
        recent_sessions=recent_sessions_for_user(user=user),
        recent_achievements=[
            UserAchievement(user=user, achievement=a, unlocked_at=a.unlocked_at) for a in newest
        ],
        achievements=gallery,
        unlocked_count=sum(1 for a in gallery if a.unlocked_at is not None),
        assigned=assignments_for_trainee(user=user),
    )
