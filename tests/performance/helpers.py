"""Bulk builders for dashboard tests: many scored sessions with their metrics, quickly."""

from datetime import timedelta

from django.utils import timezone

from performance.models import PerformanceMetric
from sessions_app.models import SessionStatus
from tests.factories import UserSessionFactory

CRITERIA = ("greeting", "empathy", "resolution")


def scored_sessions(*, user, scenario, count, start_score=50, is_preview=False, days_ago=None):
    """`count` scored sessions, one a day (oldest first), scores rising by one each time."""
    now = timezone.now()
    sessions = []
    for index in range(count):
        when = now - timedelta(days=(days_ago if days_ago is not None else count - index))
        score = min(100, start_score + index)
        session = UserSessionFactory(
            user=user,
            scenario=scenario,
            status=SessionStatus.SCORED,
            outcome="resolved",
            is_preview=is_preview,
            started_at=when - timedelta(minutes=10),
            ended_at=when,
            scored_at=when,
            score=score,
            passed=score >= 70,
            xp_awarded=10,
        )
        sessions.append(session)
        PerformanceMetric.objects.bulk_create(
            PerformanceMetric(
                session=session,
                user=user,
                criterion=criterion,
                score=min(100, score + offset),
                weight=100 / len(CRITERIA),
                rationale="r",
                evidence=[],
                created_at=when,
            )
            for offset, criterion in zip((20, 0, -20), CRITERIA, strict=True)
        )
    return sessions
