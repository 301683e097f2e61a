"""Writes for scoring: claim a finished session, score it, store the metrics, announce it
(`session_scored`: gamification awards the XP in the same transaction) and tell the trainee's
open pages.

Precondition for `session_score`: the session was moved to `scoring` by `session_end` (or the
idle sweep). Everything else about it is read from the scenario snapshot taken at start.
"""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction
from django.utils import timezone

from core import live
from core.groups import session_group
from core.live import notify_user
from performance import judge, rubric
from performance.evaluators.base import Transcript
from performance.models import PerformanceMetric
from sessions_app.models import ChatMessage, SessionStatus, UserSession
from sessions_app.signals import session_scored

logger = logging.getLogger(__name__)


def transcript_for_session(*, session: UserSession, messages=None) -> Transcript:
    """The evaluators' view of a session: its snapshot (never the live scenario) and messages."""
    if messages is None:
        messages = ChatMessage.objects.filter(session=session).order_by("seq")
    return Transcript.build(
        scenario=session.scenario_document,
        messages=messages,
        outcome=session.outcome,
        started_at=session.started_at,
        ended_at=session.ended_at,
    )


def session_score(*, session_id, with_judge: bool = True) -> UserSession | None:
    """Score a session waiting in `scoring`; None when there is nothing to do. `with_judge`
    False leaves out the optional model judge (generated demo data never calls a model).

    Idempotent and race-safe: the row is claimed with SELECT … FOR UPDATE filtered on the
    status, so a second run, a redelivered task or a concurrent worker finds it `scored` and
    returns without writing. Metrics, score, status and the XP award commit together.
    """
    with transaction.atomic():
        session = (
            UserSession.objects.select_for_update()
            .filter(pk=session_id, status=SessionStatus.SCORING)
            .first()
        )
        if session is None:
            return None
        transcript = transcript_for_session(session=session)
        result = rubric.evaluate(transcript)
        now = timezone.now()
        PerformanceMetric.objects.bulk_create(
            [
                PerformanceMetric(
                    session=session,
                    user_id=session.user_id,
                    criterion=criterion.key,
                    score=criterion.score,
                    weight=criterion.weight,
                    rationale=criterion.result.rationale,
                    evidence=[e.as_dict() for e in criterion.result.evidence],
                    tip=criterion.result.tip,
                    created_at=now,
                )
                for criterion in result.criteria
            ]
        )
        session.score = result.total
        session.passed = result.passed
        session.feedback = result.feedback()
        session.scored_at = now
        session.status = SessionStatus.SCORED
        session.save(
            update_fields=["score", "passed", "feedback", "scored_at", "status", "updated_at"]
        )
        session_scored.send(sender=UserSession, session=session)

    # Outside the row lock: a slow model server must never hold up other workers.
    coach = judge.review(transcript=transcript, result=result) if with_judge else None
    if coach:
        session.feedback["coach"] = coach
        UserSession.objects.filter(pk=session.pk).update(feedback=session.feedback)

    transaction.on_commit(partial(_announce_scored, session=session), robust=True)
    return session


def _announce_scored(*, session: UserSession) -> None:
    """Best effort: a page that misses the event sees the report on its next load or poll."""
    notify_user(
        session.user_id,
        {
            "type": "session.scored",
            "session_id": str(session.id),
            "score": session.score,
            "passed": session.passed,
            "xp_awarded": session.xp_awarded,
            "scenario_title": session.snapshot.title,
        },
    )
    live.send(
        session_group(session.id),
        {
            "type": "session.event",
            "payload": {
                "type": "session.status",
                "status": session.status,
                "outcome": session.outcome,
                "score": session.score,
                "passed": session.passed,
                "xp_awarded": session.xp_awarded,
            },
        },
    )
