"""Celery tasks: ids in, one service call; safe to run twice (see `session_score`)."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

from performance.selectors import sessions_stuck_in_scoring
from performance.services import session_score

logger = logging.getLogger(__name__)

# A database restart or a dropped connection passes; anything else is a bug to see in logs.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerError, ConnectionError, TimeoutError)
#: Sessions left in `scoring` this long are assumed lost (worker killed mid-task, broker
#: flushed). Scoring takes well under a second, so a minute is generous; a duplicate task of a
#: session merely slow to score finds it scored and does nothing. With the sweep every 30 s
#: (CELERY_BEAT_SCHEDULE), a lost session is scored again within about 90 s.
STUCK_AFTER = timedelta(seconds=60)


# Back-off 5, 10, 20, 40, 80 s (with jitter): ~2.5 min in all, far below the broker's one-hour
# visibility timeout, so Redis never re-delivers a task that is only waiting to retry.
@shared_task(
    bind=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    retry_backoff_max=80,
    retry_jitter=True,
    max_retries=5,
)
def score_session(self, session_id: str) -> dict | None:
    session = session_score(session_id=session_id)
    if session is None:
        return None
    return {"session_id": str(session.id), "score": session.score, "passed": session.passed}


@shared_task
def sweep_unscored_sessions() -> int:
    """Re-enqueue sessions stuck in `scoring`; scoring is idempotent, so a duplicate is harmless."""
    session_ids = sessions_stuck_in_scoring(older_than=STUCK_AFTER)
    for session_id in session_ids:
        score_session.delay(str(session_id))
    if session_ids:
        logger.info("Re-enqueued %d session(s) stuck in scoring", len(session_ids))
    return len(session_ids)
