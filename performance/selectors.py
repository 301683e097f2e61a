"""Reads for the report, the performance dashboard and its API.

Each function runs a fixed number of queries whatever the number of sessions: rows are fetched
in one query each and folded in Python.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from performance.charts import line_chart
from performance.models import PerformanceMetric
from performance.registry import evaluators
from sessions_app.models import SessionStatus, UserSession

#: Sessions on the dashboard's charts (the latest ones); averages use every session.
CHART_SESSIONS = 30
TREND_WINDOW = 5
TREND_FLAT = 2.0


def criterion_label(key: str) -> str:
    evaluator = evaluators().get(key)
    return getattr(evaluator, "label", "") or key.replace("_", " ").capitalize()


def bar_class(score) -> str:
    if score is None:
        return "bar-low"
    if score >= 80:
        return "bar-good"
    return "bar-mid" if score >= 60 else "bar-low"


# --- the report ---------------------------------------------------------------------------


def sessions_stuck_in_scoring(*, older_than: timedelta) -> list:
    """Ids of sessions that have waited in `scoring` longer than `older_than`."""
    cutoff = timezone.now() - older_than
    return list(
        UserSession.objects.filter(status=SessionStatus.SCORING)
        .annotate(waiting_since=Coalesce(F("ended_at"), F("last_activity_at")))
        .filter(waiting_since__lt=cutoff)
        .order_by("waiting_since")
        .values_list("id", flat=True)[:500]
    )


# --- the dashboard and its API ------------------------------------------------------------


@dataclass(frozen=True)
class HistoryFilters:
    difficulty: str = ""
    passed: bool | None = None
    date_from: date | None = None
    date_to: date | None = None

    def as_dict(self) -> dict:
        return {
            "difficulty": self.difficulty or None,
            "passed": self.passed,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }


def _day_start(day: date) -> datetime:
    """Midnight of `day` in the active (the trainee's) time zone."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def scored_sessions(*, user, filters: HistoryFilters | None = None):
    """The trainee's scored, non-preview sessions, newest first, with their scenario."""
    queryset = (
        UserSession.objects.filter(user=user, status=SessionStatus.SCORED, is_preview=False)
        .select_related("scenario")
        .order_by("-scored_at", "-started_at")
    )
    filters = filters or HistoryFilters()
    if filters.difficulty:
        queryset = queryset.filter(scenario__difficulty=filters.difficulty)
    if filters.passed is not None:
        queryset = queryset.filter(passed=filters.passed)
    if filters.date_from:
        queryset = queryset.filter(scored_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        queryset = queryset.filter(scored_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    return queryset


def _average(values) -> float | None:
    values = list(values)
    return round(sum(values) / len(values), 1) if values else None


def _trend(scores: list[int]) -> dict:
    recent = scores[-TREND_WINDOW:]
    previous = scores[-2 * TREND_WINDOW : -TREND_WINDOW]
    recent_average, previous_average = _average(recent), _average(previous)
    delta = None
    direction = "flat"
    if recent_average is not None and previous_average is not None:
        delta = round(recent_average - previous_average, 1)
        if delta > TREND_FLAT:
            direction = "up"
        elif delta < -TREND_FLAT:
            direction = "down"
    return {
        "recent_average": recent_average,
        "previous_average": previous_average,
        "delta": delta,
        "direction": direction,
    }


def _brief(criterion: dict | None) -> dict | None:
    if criterion is None:
        return None
    return {k: criterion[k] for k in ("key", "label", "average")}


def performance_summary(*, user) -> dict:
    """The trainee's progress in figures: two queries, whatever the number of sessions."""
    sessions = list(
        UserSession.objects.filter(user=user, status=SessionStatus.SCORED, is_preview=False)
        .order_by("scored_at", "started_at")
        .values("id", "started_at", "ended_at", "scored_at", "score", "passed")
    )
    metric_rows = (
        PerformanceMetric.objects.filter(
            Q(session__status=SessionStatus.SCORED) & Q(session__is_preview=False), user=user
        )
        .order_by("session__scored_at", "session__started_at", "criterion")
        .values_list("criterion", "score", "session_id")
    )
    position = {row["id"]: index for index, row in enumerate(sessions)}
    per_criterion: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for criterion, score, session_id in metric_rows:
        if session_id in position:
            per_criterion[criterion].append((position[session_id], score))

    count = len(sessions)
    passed = sum(1 for s in sessions if s["passed"])
    seconds = sum(
        max(0, int((s["ended_at"] - s["started_at"]).total_seconds()))
        for s in sessions
        if s["ended_at"] and s["started_at"]
    )
    totals = [s["score"] or 0 for s in sessions]
    criteria = []
    for key, rows in per_criterion.items():
        scores = [score for _, score in rows]
        criteria.append(
            {
                "key": key,
                "label": criterion_label(key),
                "average": _average(scores),
                "sessions": len(scores),
                "trend": _trend(scores),
                "points": [
                    {
                        "session_id": str(sessions[index]["id"]),
                        "scored_at": sessions[index]["scored_at"],
                        "score": score,
                    }
                    for index, score in rows
                ],
            }
        )
    criteria.sort(key=lambda c: (-c["average"], c["key"]))
    strongest = criteria[0] if criteria else None
    weakest = criteria[-1] if len(criteria) > 1 else None
    return {
        "sessions_count": count,
        "passed_count": passed,
        "pass_rate": round(passed / count, 3) if count else None,
        "average_score": _average(totals),
        "best_score": max(totals) if totals else None,
        "time_practised_seconds": seconds,
        "total_trend": _trend(totals),
        "totals": [
            {
                "session_id": str(s["id"]),
                "scored_at": s["scored_at"],
                "score": s["score"],
                "passed": s["passed"],
            }
            for s in sessions
        ],
        "criteria": criteria,
        "strongest_criterion": _brief(strongest),
        "weakest_criterion": _brief(weakest),
    }


def dashboard_charts(summary: dict) -> dict:
    """SVG layouts for the dashboard: the total over time and each criterion over time."""
    totals = summary["totals"][-CHART_SESSIONS:]
    first = len(summary["totals"]) - len(totals)
    labels = [
        timezone.localtime(t["scored_at"]).strftime("%d %b") if t["scored_at"] else ""
        for t in totals
    ]
    total_chart = line_chart(
        [("total", "Total score", [t["score"] for t in totals])], x_labels=labels
    )
    index_of = {t["session_id"]: i for i, t in enumerate(totals)}
    series = []
    for criterion in sorted(summary["criteria"], key=lambda c: c["key"]):
        values: list[float | None] = [None] * len(totals)
        for point in criterion["points"]:
            i = index_of.get(point["session_id"])
            if i is not None:
                values[i] = point["score"]
        series.append((criterion["key"], criterion["label"], values))
    criteria_chart = line_chart(series, x_labels=labels)
    return {"total": total_chart, "criteria": criteria_chart, "first_index": first}
