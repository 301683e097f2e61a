"""A team's scores over a period, for its trainers: the criteria heat map, pass rate by scenario,
the weekly trend, the weakest skills and the time each trainee spent.

Every figure is aggregated by the database (GROUP BY, or a window for "latest"), so each query
returns at most one row per trainee and criterion, per scenario, per week or per trainee, however
long the team's history: the number of queries is fixed whatever the team's size.

Only scored, non-preview sessions count, and a session belongs to the week it was scored in
(sessions from before `scored_at` existed have none and are left out). Weeks are ISO weeks
(Monday to Sunday) in the active time zone, the trainer's own.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Window,
)
from django.db.models.functions import RowNumber, TruncWeek
from django.utils import timezone

from performance.models import PerformanceMetric
from performance.selectors import criterion_label
from sessions_app.models import SessionStatus, UserSession

WEEKS_DEFAULT = 12
WEEKS_MIN = 1
WEEKS_MAX = 52
VIEW_LATEST = "latest"
VIEW_AVERAGE = "average"
VIEWS = (VIEW_LATEST, VIEW_AVERAGE)
#: A trainee whose average on a criterion is under this counts as struggling with it (the
#: assignments' default minimum score).
STRUGGLING_BELOW = 70
#: How many of the team's weakest criteria the page lists.
WEAKEST_SHOWN = 5


def score_band(score: float | None) -> str:
    """The heat map's colour band, on the same thresholds as the dashboard's bars."""
    if score is None:
        return "none"
    if score >= 80:
        return "good"
    return "mid" if score >= 60 else "low"


def _rounded(value) -> float | None:
    return None if value is None else round(float(value), 1)


@dataclass(frozen=True)
class Period:
    weeks: int
    since: dt.datetime  # Monday 00:00 of the first week, in the active time zone
    until: dt.datetime  # now

    @property
    def week_starts(self) -> list[dt.date]:
        first = timezone.localtime(self.since).date()
        return [first + dt.timedelta(weeks=index) for index in range(self.weeks)]


def period_of(*, weeks: int = WEEKS_DEFAULT, now: dt.datetime | None = None) -> Period:
    """This ISO week and the `weeks - 1` before it; out-of-range values are clamped, since a
    page's query string is whatever someone typed."""
    weeks = max(WEEKS_MIN, min(WEEKS_MAX, int(weeks)))
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    first = today - dt.timedelta(days=today.weekday(), weeks=weeks - 1)
    since = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    return Period(weeks=weeks, since=since, until=now)


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str


@dataclass(frozen=True)
class HeatCell:
    criterion: str
    score: float | None  # the latest score, or the average over the period
    sessions: int  # scored sessions that rated this criterion in the period

    @property
    def band(self) -> str:
        return score_band(self.score)


@dataclass(frozen=True)
class HeatRow:
    user: object
    cells: list[HeatCell]


@dataclass(frozen=True)
class ScenarioPassRate:
    scenario_id: int
    slug: str
    title: str
    attempts: int
    passed: int
    average_score: float | None

    @property
    def pass_rate(self) -> float:
        return round(self.passed / self.attempts, 3) if self.attempts else 0.0

    @property
    def pass_rate_percent(self) -> int:
        return round(100 * self.pass_rate)

    @property
    def band(self) -> str:
        return score_band(self.pass_rate_percent)


@dataclass(frozen=True)
class WeekAverage:
    week_start: dt.date
    average_score: float | None
    sessions: int

    @property
    def iso_week(self) -> str:
        year, week, _day = self.week_start.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Skill:
    key: str
    label: str
    average: float
    sessions: int
    trainees: int  # trainees rated on it in the period
    struggling: int  # of whom averaging under STRUGGLING_BELOW


@dataclass(frozen=True)
class TimeSpent:
    user: object
    sessions: int
    seconds: int


@dataclass(frozen=True)
class TeamPerformance:
    period: Period
    view: str
    criteria: list[Criterion]
    heat_map: list[HeatRow]
    scenarios: list[ScenarioPassRate]
    weeks: list[WeekAverage]
    weakest: list[Skill]
    time_spent: list[TimeSpent]


def _scored_sessions(member_ids, period: Period):
    return UserSession.objects.filter(
        user_id__in=member_ids,
        status=SessionStatus.SCORED,
        is_preview=False,
        scored_at__gte=period.since,
        scored_at__lte=period.until,
    ).order_by()


def _metrics(member_ids, period: Period):
    return PerformanceMetric.objects.filter(
        user_id__in=member_ids,
        session__status=SessionStatus.SCORED,
        session__is_preview=False,
        session__scored_at__gte=period.since,
        session__scored_at__lte=period.until,
    ).order_by()


def _latest_scores(member_ids, period: Period) -> dict[tuple[int, str], int]:
    """(trainee, criterion) -> the score of the most recently scored session that rated it: one
    row per pair, picked by the database (ROW_NUMBER over each pair, newest first)."""
    newest_first = [F("session__scored_at").desc(), F("session__started_at").desc(), F("id").desc()]
    ranked = _metrics(member_ids, period).annotate(
        position=Window(
            RowNumber(), partition_by=[F("user_id"), F("criterion")], order_by=newest_first
        )
    )
    rows = ranked.filter(position=1).values_list("user_id", "criterion", "score")
    return {(user_id, criterion): score for user_id, criterion, score in rows}


def _criterion_totals(member_ids, period: Period) -> dict[tuple[int, str], tuple[int, int]]:
    """(trainee, criterion) -> (sum of scores, number of scores) over the period."""
    rows = (
        _metrics(member_ids, period)
        .values("user_id", "criterion")
        .annotate(total=Sum("score"), count=Count("id"))
        .values_list("user_id", "criterion", "total", "count")
    )
    return {(user_id, criterion): (total, count) for user_id, criterion, total, count in rows}


def _weakest(totals: dict[tuple[int, str], tuple[int, int]]) -> list[Skill]:
    """The criteria with the lowest team average (every score weighs the same), with how many
    trainees average under STRUGGLING_BELOW on each."""
    per_criterion: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for (_user_id, criterion), pair in totals.items():
        per_criterion[criterion].append(pair)
    skills = []
    for key, pairs in per_criterion.items():
        total = sum(t for t, _ in pairs)
        count = sum(c for _, c in pairs)
        skills.append(
            Skill(
                key=key,
                label=criterion_label(key),
                average=round(total / count, 1),
                sessions=count,
                trainees=len(pairs),
                struggling=sum(1 for t, c in pairs if t / c < STRUGGLING_BELOW),
            )
        )
    skills.sort(key=lambda skill: (skill.average, -skill.struggling, skill.key))
    return skills[:WEAKEST_SHOWN]


def _pass_rates(member_ids, period: Period) -> list[ScenarioPassRate]:
    rows = (
        _scored_sessions(member_ids, period)
        .values("scenario_id", "scenario__slug", "scenario__title")
        .annotate(
            attempts=Count("id"), passed_count=Count("id", filter=Q(passed=True)), avg=Avg("score")
        )
        .order_by("scenario__title", "scenario_id")
    )
    return [
        ScenarioPassRate(
            scenario_id=row["scenario_id"],
            slug=row["scenario__slug"],
            title=row["scenario__title"],
            attempts=row["attempts"],
            passed=row["passed_count"],
            average_score=_rounded(row["avg"]),
        )
        for row in rows
    ]


def _weekly(member_ids, period: Period) -> list[WeekAverage]:
    """The team's average total per week of the period, weeks without a session included."""
    rows = (
        _scored_sessions(member_ids, period)
        .annotate(week=TruncWeek("scored_at", tzinfo=timezone.get_current_timezone()))
        .values("week")
        .annotate(avg=Avg("score"), sessions=Count("id"))
        .values_list("week", "avg", "sessions")
    )
    by_week = {timezone.localtime(week).date(): (avg, count) for week, avg, count in rows}
    return [
        WeekAverage(
            week_start=start,
            average_score=_rounded(by_week.get(start, (None, 0))[0]),
            sessions=by_week.get(start, (None, 0))[1],
        )
        for start in period.week_starts
    ]


def _time_spent(members, period: Period) -> list[TimeSpent]:
    """Each trainee's scored sessions and the time between their start and end, summed by the
    database; a session whose clock ran backwards adds nothing."""
    duration = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    rows = (
        _scored_sessions([m.pk for m in members], period)
        .values("user_id")
        .annotate(
            sessions=Count("id"),
            spent=Sum(duration, filter=Q(ended_at__gte=F("started_at"))),
        )
        .values_list("user_id", "sessions", "spent")
    )
    found = {user_id: (count, spent) for user_id, count, spent in rows}
    spent = []
    for member in members:
        count, total = found.get(member.pk, (0, None))
        seconds = int(total.total_seconds()) if total else 0
        spent.append(TimeSpent(user=member, sessions=count, seconds=seconds))
    spent.sort(key=lambda row: (-row.seconds, -row.sessions))
    return spent


def team_performance(
    *, members: list, weeks: int = WEEKS_DEFAULT, view: str = VIEW_LATEST, now=None
) -> TeamPerformance:
    """The team's figures over its last `weeks` ISO weeks; `members` (users, in the order the
    heat map lists them) are the team's trainees now, so someone taken off the team drops out
    of every figure. Four queries, five for the "latest" heat map."""
    if view not in VIEWS:
        raise ValueError(f"Unknown heat map view {view!r}.")
    period = period_of(weeks=weeks, now=now)
    member_ids = [member.pk for member in members]
    totals = _criterion_totals(member_ids, period)
    latest = _latest_scores(member_ids, period) if view == VIEW_LATEST else {}
    keys = sorted({criterion for _user_id, criterion in totals})
    criteria = sorted(
        (Criterion(key=key, label=criterion_label(key)) for key in keys),
        key=lambda c: (c.label.lower(), c.key),
    )

    heat_map = []
    for member in members:
        cells = []
        for criterion in criteria:
            total, count = totals.get((member.pk, criterion.key), (0, 0))
            if view == VIEW_LATEST:
                score = latest.get((member.pk, criterion.key))
            else:
                score = round(total / count, 1) if count else None
            cells.append(HeatCell(criterion=criterion.key, score=score, sessions=count))
        heat_map.append(HeatRow(user=member, cells=cells))

    return TeamPerformance(
        period=period,
        view=view,
        criteria=criteria,
        heat_map=heat_map,
        scenarios=_pass_rates(member_ids, period),
        weeks=_weekly(member_ids, period),
        weakest=_weakest(totals),
        time_spent=_time_spent(members, period),
    )
