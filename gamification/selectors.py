"""Reads for gamification: streaks, the leaderboard and the achievements gallery."""

import datetime as dt
import itertools
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import (
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Rank, RowNumber, TruncDate
from django.utils import timezone

from accounts.models import TeamMembership, TeamRole, User, public_name
from core.cache import ProcessMemo, Version
from gamification.models import Achievement, UserAchievement, XPTransaction
from sessions_app.models import SessionStatus

PERIOD_ALL = "all"
PERIOD_WEEK = "week"
PERIODS = (PERIOD_ALL, PERIOD_WEEK)
LEADERBOARD_DEFAULT_LIMIT = 10
LEADERBOARD_MAX_LIMIT = 100


# --- Streaks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Streak:
    current: int
    best: int
    last_day: dt.date | None = None


def user_zone(user) -> zoneinfo.ZoneInfo:
    """The trainee's own time zone; an unknown name (edited in the database) falls back to UTC."""
    try:
        return zoneinfo.ZoneInfo(user.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def practice_moment():
    """When a session counts as practised: the moment it was scored (or, for rows scored
    before `scored_at` existed, when it ended or started)."""
    return Coalesce("scored_at", "ended_at", "started_at")


def streak_from_days(days: Iterable[dt.date], *, today: dt.date) -> Streak:
    """Runs of consecutive local days. The current run still counts until the trainee's
    `today` is over: a run that ended yesterday is current, one that ended earlier is broken."""
    ordered = sorted(set(days))
    if not ordered:
        return Streak(current=0, best=0)
    best = run = 1
    for previous, day in itertools.pairwise(ordered):
        run = run + 1 if (day - previous).days == 1 else 1
        best = max(best, run)
    last = ordered[-1]
    current = run if (today - last).days <= 1 else 0
    return Streak(current=current, best=best, last_day=last)


def streak_for_user(*, user, now: dt.datetime | None = None) -> Streak:
    """Current and best streak of days with a scored, non-preview session, in the user's zone.
    One query: the database turns each moment into a local date (DST-aware on both backends)."""
    zone = user_zone(user)
    days = (
        user.training_sessions.filter(status=SessionStatus.SCORED, is_preview=False)
        .annotate(day=TruncDate(practice_moment(), tzinfo=zone))
        .values_list("day", flat=True)
        .distinct()
    )
    today = (now or timezone.now()).astimezone(zone).date()
    return streak_from_days(days, today=today)


# --- Leaderboard ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LeaderboardEntry:
    rank: int
    user_id: int
    display_name: str
    level: int
    xp: int
    total_xp: int
    is_viewer: bool


@dataclass(frozen=True)
class Leaderboard:
    period: str
    limit: int
    total: int
    entries: list[LeaderboardEntry]
    me: LeaderboardEntry | None
    since: dt.datetime | None


def xp_earned(*, since: dt.datetime, until: dt.datetime | None = None):
    """An annotation: the XP a user's ledger gained from `since` (to `until`), 0 if none. A
    correlated subquery rather than JOIN + GROUP BY keeps the outer query unaggregated, which
    is what lets it carry a window (the rank) and be filtered."""
    entries = XPTransaction.objects.filter(user=OuterRef("pk"), created_at__gte=since)
    if until is not None:
        entries = entries.filter(created_at__lt=until)
    total = entries.order_by().values("user").annotate(total=Sum("amount")).values("total")
    return Coalesce(Subquery(total), Value(0), output_field=IntegerField())


def iso_week_start(now: dt.datetime) -> dt.datetime:
    """Monday 00:00 UTC of the ISO week that contains `now`."""
    day = now.astimezone(dt.UTC).date()
    monday = day - dt.timedelta(days=day.weekday())
    return dt.datetime.combine(monday, dt.time.min, tzinfo=dt.UTC)


def leaderboard(
    *, period: str, limit: int, viewer=None, now: dt.datetime | None = None
) -> Leaderboard:
    """The top `limit` trainees and the viewer's own row.

    Served from this process's copy of the period's whole ranking (`ranking_memo`): one
    cache GET for the shared version and a slice, no SQL while the ranking is current.
    """
    if period not in PERIODS:
        raise ValueError(f"Unknown leaderboard period {period!r}.")
    limit = max(1, min(int(limit), LEADERBOARD_MAX_LIMIT))
    since = iso_week_start(now or timezone.now()) if period == PERIOD_WEEK else None
    viewer_id = viewer.pk if viewer is not None and viewer.is_authenticated else None

    # One slot per period: a new ISO week replaces last week's ranking.
    ranking = ranking_memo.get(period, since, slot=period)
    top, total = ranking.rows[:limit], len(ranking.rows)
    position = ranking.positions.get(viewer_id)
    mine = ranking.rows[position] if position is not None else None

    entries = [_entry(row, viewer_id) for row in top]
    me = _entry(mine, viewer_id) if mine is not None else None
    return Leaderboard(period=period, limit=limit, total=total, entries=entries, me=me, since=since)


class _RankedRow(NamedTuple):
    rank: int
    user_id: int
    display_name: str
    level: int
    score: int
    total_xp: int


def _entry(row: _RankedRow, viewer_id: int | None) -> LeaderboardEntry:
    return LeaderboardEntry(
        rank=row.rank,
        user_id=row.user_id,
        display_name=row.display_name,
        level=row.level,
        xp=row.score,
        total_xp=row.total_xp,
        is_viewer=row.user_id == viewer_id,
    )


def _ranked_rows(*, period: str, since: dt.datetime | None) -> list[_RankedRow]:
    """Every ranked trainee in position order, in one query.

    RANK() gives tied trainees the same rank; ROW_NUMBER() orders them. Staff (content
    authors), inactive accounts and trainees who chose not to be shown are not ranked; the
    week counts trainees with XP since `since`.
    """
    users = User.objects.filter(is_active=True, is_staff=False, on_leaderboard=True)
    if period == PERIOD_WEEK:
        until = since + dt.timedelta(days=7)
        users = users.annotate(score=xp_earned(since=since, until=until)).filter(score__gt=0)
    else:
        users = users.annotate(score=F("xp"))

    ranked = users.annotate(
        rank=Window(Rank(), order_by=F("score").desc()),
        position=Window(RowNumber(), order_by=[F("score").desc(), F("id").asc()]),
    )
    rows = ranked.order_by("position").values_list(
        "rank", "id", "public_name", "first_name", "last_name", "level", "score", "xp"
    )
    return [
        _RankedRow(
            rank,
            user_id,
            public_name(chosen=chosen, first_name=first, last_name=last, pk=user_id),
            level,
            score,
            xp,
        )
        for rank, user_id, chosen, first, last, level, score, xp in rows
    ]


@dataclass(frozen=True)
class TeamLeaderboardEntry:
    rank: int
    user_id: int
    display_name: str
    level: int
    xp: int  # all time
    period_xp: int  # earned since the period's start
    on_leaderboard: bool  # False: left out of the global leaderboard, by their own choice


def team_leaderboard(*, team, since: dt.datetime | None = None) -> list[TeamLeaderboardEntry]:
    """The team's members ranked by all-time XP (tied ones share a rank), in one query.

    Unlike the global leaderboard it keeps trainees who chose not to be shown there: they may
    hide from other trainees, not from their own team's trainers. It is not memoised either: a
    team is small next to the whole ranking, and its trainers expect the latest figures.
    """
    members = TeamMembership.objects.filter(team=team, role=TeamRole.MEMBER).values("user_id")
    users = User.objects.filter(pk__in=members).only(
        "public_name", "first_name", "last_name", "level", "xp", "on_leaderboard"
    )
    if since is not None:
        users = users.annotate(period_xp=xp_earned(since=since))
    else:
        users = users.annotate(period_xp=F("xp"))
    ranked = users.annotate(rank=Window(Rank(), order_by=F("xp").desc())).order_by("-xp", "id")
    return [
        TeamLeaderboardEntry(
            rank=user.rank,
            user_id=user.pk,
            display_name=user.display_name,
            level=user.level,
            xp=user.xp,
            period_xp=user.period_xp,
            on_leaderboard=user.on_leaderboard,
        )
        for user in ranked
    ]


# --- The ranking kept in each process ------------------------------------------------------


@dataclass(frozen=True)
class _Ranking:
    rows: tuple[_RankedRow, ...]  # in position order
    positions: dict[int, int]  # user id -> index in `rows`


def _build_ranking(period: str, since: dt.datetime | None) -> _Ranking:
    rows = _ranked_rows(period=period, since=since)
    return _Ranking(
        rows=tuple(rows), positions={row.user_id: index for index, row in enumerate(rows)}
    )


#: Moved on by XP awards (`gamification.services.xp_award`) and by saves of users that change
#: who is ranked or what a row shows (`gamification.signals`).
LEADERBOARD = Version("gamification.leaderboard")

# One slot per period: a new week or version replaces its ranking, so two at most per process.
# Process-local on purpose (`core.cache.ProcessMemo`): the price is memory, one row tuple per
# ranked trainee and period in every process (~370 bytes each, under 2 MB per period at 5,000).
ranking_memo = ProcessMemo(LEADERBOARD, _build_ranking, max_age_setting="LEADERBOARD_CACHE_SECONDS")


def leaderboard_version():
    """The shared number that moves on when the ranking may have changed."""
    return LEADERBOARD.current()


# --- Achievements --------------------------------------------------------------------------


def achievements_for_user(*, user):
    """Every active achievement with `unlocked_at` (None while locked), in one query."""
    unlocked = UserAchievement.objects.filter(user=user, achievement=OuterRef("pk")).values(
        "unlocked_at"
    )[:1]
    return Achievement.objects.filter(is_active=True).annotate(
        unlocked_at=Subquery(unlocked)
        if user.is_authenticated
        else Value(None, output_field=DateTimeField())
    )
