"""A team's analytics, as its trainers read them on the page and through the API: the scores
(performance), who is late on their assignments (sessions_app) and the team's XP ranking
(gamification), over one period.

Each part runs a fixed number of queries, so the whole costs the same for a team of ten as for
a team of five hundred (tests/overview/test_team_analytics.py counts them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import Team, TeamRole, User
from gamification.selectors import TeamLeaderboardEntry, team_leaderboard
from performance.charts import LineChart, line_chart
from performance.team_analytics import (
    VIEW_LATEST,
    VIEWS,
    WEEKS_DEFAULT,
    WEEKS_MAX,
    WEEKS_MIN,
    TeamPerformance,
    team_performance,
)
from scenarios.models import Scenario
from sessions_app.assignments import assignments_of_team
from sessions_app.models import Assignment

#: The periods the page offers; the API takes any number of weeks in WEEKS_MIN..WEEKS_MAX.
WEEKS_CHOICES = (4, 8, 12, 26, 52)


@dataclass(frozen=True)
class Overdue:
    user: User
    assignment: Assignment
    scenarios: list[Scenario]  # the ones not yet passed at the assignment's minimum
    due_at: dt.datetime
    late_by: dt.timedelta

    @property
    def days_late(self) -> int:
        return self.late_by.days


@dataclass(frozen=True)
class TeamAnalytics:
    team: Team
    members: list[User]
    performance: TeamPerformance
    trend_chart: LineChart
    overdue: list[Overdue]
    leaderboard: list[TeamLeaderboardEntry]


def analytics_options(params: Mapping) -> tuple[int, str]:
    """`weeks` and `view` from a page's query string: anything unreadable falls back to the
    default and a number out of range is clamped, since a link someone edited by hand should
    still show the page (the API refuses such values with a 400 instead)."""
    try:
        weeks = int(params.get("weeks", WEEKS_DEFAULT))
    except (TypeError, ValueError):
        weeks = WEEKS_DEFAULT
    weeks = max(WEEKS_MIN, min(WEEKS_MAX, weeks))
    view = params.get("view", VIEW_LATEST)
    return weeks, view if view in VIEWS else VIEW_LATEST


def team_members(team: Team) -> list[User]:
    """The team's trainees by name. `team_get_for_trainer` prefetched the memberships with their
    users, so this costs no query; trainers of the team are not among the people it measures."""
    members = [m.user for m in team.memberships.all() if m.role == TeamRole.MEMBER]
    return sorted(members, key=lambda user: (user.display_name.casefold(), user.pk))


def overdue_of(*, team: Team, members: list[User], now: dt.datetime) -> list[Overdue]:
    """Each current member past an assignment's due date without having passed all of it, the
    latest first. People who left the team are not chased here any more."""
    current = {member.pk for member in members}
    rows = []
    for progress in assignments_of_team(team=team):
        assignment = progress.assignment
        if assignment.due_at >= now:
            continue
        for person in progress.people:
            if person.pk not in current or progress.done_by(person.pk):
                continue
            missing = [
                scenario
                for scenario in progress.scenarios
                if progress.best.get((person.pk, scenario.pk), -1) < assignment.min_score
            ]
            rows.append(
                Overdue(
                    user=person,
                    assignment=assignment,
                    scenarios=missing,
                    due_at=assignment.due_at,
                    late_by=now - assignment.due_at,
                )
            )
    rows.sort(key=lambda row: (row.due_at, row.user.display_name.casefold(), row.user.pk))
    return rows


def trend_chart(performance: TeamPerformance) -> LineChart:
    """The weekly averages drawn by the dashboard's own chart, one point per week."""
    weeks = performance.weeks
    labels = [week.week_start.strftime("%d %b") for week in weeks]
    values = [week.average_score for week in weeks]
    return line_chart([("team", "Team average", values)], x_labels=labels)


def team_analytics_for(
    *,
    team: Team,
    weeks: int = WEEKS_DEFAULT,
    view: str = VIEW_LATEST,
    now: dt.datetime | None = None,
) -> TeamAnalytics:
    """Everything the analytics page and API show about `team` (from `team_get_for_trainer`)
    over its last `weeks` ISO weeks."""
    now = now or timezone.now()
    members = team_members(team)
    performance = team_performance(members=members, weeks=weeks, view=view, now=now)
    return TeamAnalytics(
        team=team,
        members=members,
        performance=performance,
        trend_chart=trend_chart(performance),
        overdue=overdue_of(team=team, members=members, now=now),
        leaderboard=team_leaderboard(team=team, since=performance.period.since),
    )
