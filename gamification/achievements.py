"""Achievement rules, registered by key. `Achievement.rule` names one of them.

Every rule reads one precomputed `AchievementContext`: the trainee's scored history is fetched
in a fixed, small number of queries per scoring, never once per rule.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef
from django.db.models.fields.json import KT
from django.utils import timezone

from accounts.models import level_for_xp
from gamification.selectors import Streak, streak_from_days, user_zone
from scenarios.models import Difficulty, Scenario
from sessions_app.models import SessionHint, SessionStatus, UserSession

HOSTILE_PATIENCE = (1, 2)


@dataclass(frozen=True)
class SessionFacts:
    """What the rules need to know about one scored, non-preview session."""

    id: object
    scenario_id: int
    score: int | None
    passed: bool
    outcome: str
    difficulty: str
    estimated_minutes: int | None
    patience: int | None
    started_at: dt.datetime
    ended_at: dt.datetime | None
    practised_at: dt.datetime
    #: the customer was hostile (an angry persona, or pushed to frustration) at some point
    hostile: bool = False
    #: the trainee took a hint during it (`sessions_app.hints`)
    aided: bool = False

    @property
    def duration(self) -> dt.timedelta | None:
        return self.ended_at - self.started_at if self.ended_at else None


@dataclass
class AchievementContext:
    user_id: int
    xp: int
    sessions: list[SessionFacts]  # oldest first
    starter_scenario_ids: frozenset[int]
    streak: Streak
    current_session_id: object = None
    extra: dict = field(default_factory=dict)

    @property
    def level(self) -> int:
        return level_for_xp(self.xp)

    @property
    def passes(self) -> list[SessionFacts]:
        return [s for s in self.sessions if s.passed]


Rule = Callable[[AchievementContext], bool]
RULES: dict[str, Rule] = {}


def rule(key: str) -> Callable[[Rule], Rule]:
    def register(func: Rule) -> Rule:
        if key in RULES:
            raise ValueError(f"Achievement rule {key!r} registered twice.")
        RULES[key] = func
        return func

    return register


def evaluate(rule_key: str, context: AchievementContext) -> bool:
    """An achievement whose rule is unknown (a typo in the admin) simply never unlocks."""
    func = RULES.get(rule_key)
    return bool(func and func(context))


def build_context(*, user, current_session=None, now: dt.datetime | None = None):
    """The trainee's scored history in two queries (sessions, starter scenarios)."""
    rows = (
        UserSession.objects.filter(user=user, status=SessionStatus.SCORED, is_preview=False)
        .annotate(
            snap_difficulty=KT("scenario_snapshot__difficulty"),
            snap_estimated=KT("scenario_snapshot__estimated_time"),
            snap_patience=KT("scenario_snapshot__customer_persona__personality__patience"),
            hostile=KT("feedback__customer__hostile"),
            aided=Exists(SessionHint.objects.filter(session=OuterRef("pk"))),
        )
        .values(
            "id",
            "scenario_id",
            "score",
            "passed",
            "outcome",
            "started_at",
            "ended_at",
            "scored_at",
            "snap_difficulty",
            "snap_estimated",
            "snap_patience",
            "hostile",
            "aided",
            "scenario__difficulty",
            "scenario__estimated_time",
        )
    )
    sessions = [
        SessionFacts(
            id=row["id"],
            scenario_id=row["scenario_id"],
            score=row["score"],
            passed=bool(row["passed"]),
            outcome=row["outcome"] or "",
            difficulty=row["snap_difficulty"] or row["scenario__difficulty"] or "",
            estimated_minutes=_as_int(row["snap_estimated"]) or row["scenario__estimated_time"],
            patience=_as_int(row["snap_patience"]),
            hostile=str(row["hostile"]).lower() in ("true", "1"),
            aided=bool(row["aided"]),
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            practised_at=row["scored_at"] or row["ended_at"] or row["started_at"],
        )
        for row in rows
    ]
    sessions.sort(key=lambda s: (s.practised_at, str(s.id)))
    zone = user_zone(user)
    today = (now or timezone.now()).astimezone(zone).date()
    streak = streak_from_days(
        (s.practised_at.astimezone(zone).date() for s in sessions), today=today
    )
    starters = frozenset(
        Scenario.objects.filter(is_active=True, difficulty=Difficulty.STARTER).values_list(
            "id", flat=True
        )
    )
    return AchievementContext(
        user_id=user.pk,
        xp=user.xp,
        sessions=sessions,
        starter_scenario_ids=starters,
        streak=streak,
        current_session_id=getattr(current_session, "pk", None),
    )


def _as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- The rules -----------------------------------------------------------------------------


@rule("first_session")
def first_session(ctx: AchievementContext) -> bool:
    return len(ctx.sessions) >= 1


@rule("ten_sessions")
def ten_sessions(ctx: AchievementContext) -> bool:
    return len(ctx.sessions) >= 10


@rule("first_pass")
def first_pass(ctx: AchievementContext) -> bool:
    return any(s.passed for s in ctx.sessions)


@rule("five_passes")
def five_passes(ctx: AchievementContext) -> bool:
    return len(ctx.passes) >= 5


@rule("perfect_score")
def perfect_score(ctx: AchievementContext) -> bool:
    return any(s.score == 100 and not s.aided for s in ctx.sessions)


@rule("streak_3")
def streak_3(ctx: AchievementContext) -> bool:
    return ctx.streak.best >= 3


@rule("streak_7")
def streak_7(ctx: AchievementContext) -> bool:
    return ctx.streak.best >= 7


@rule("all_starters")
def all_starters(ctx: AchievementContext) -> bool:
    passed = {s.scenario_id for s in ctx.passes}
    return bool(ctx.starter_scenario_ids) and ctx.starter_scenario_ids <= passed


@rule("first_advanced_pass")
def first_advanced_pass(ctx: AchievementContext) -> bool:
    return any(s.difficulty == "advanced" for s in ctx.passes)


@rule("hostile_resolved")
def hostile_resolved(ctx: AchievementContext) -> bool:
    """Cool under fire: an impatient customer (patience 1-2) who was actually hostile during
    the session (an angry persona, or pushed to frustration), brought to a confirmed fix in a
    passed session. A merely curt customer who stayed calm does not count."""
    return any(
        s.outcome == "resolved" and s.patience in HOSTILE_PATIENCE and s.hostile for s in ctx.passes
    )


@rule("under_time")
def under_time(ctx: AchievementContext) -> bool:
    """Quick fix: the customer confirmed the fix within half the scenario's estimated time."""
    return any(
        s.outcome == "resolved"
        and s.duration is not None
        and s.estimated_minutes
        and s.duration * 2 < dt.timedelta(minutes=s.estimated_minutes)
        for s in ctx.passes
    )


@rule("level_5")
def level_5(ctx: AchievementContext) -> bool:
    return ctx.level >= 5


@rule("comeback")
def comeback(ctx: AchievementContext) -> bool:
    failures_in_a_row: dict[int, int] = {}
    for s in ctx.sessions:
        if s.passed:
            if failures_in_a_row.get(s.scenario_id, 0) >= 2:
                return True
            failures_in_a_row[s.scenario_id] = 0
        else:
            failures_in_a_row[s.scenario_id] = failures_in_a_row.get(s.scenario_id, 0) + 1
    return False
