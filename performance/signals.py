"""Scoring follows a session's end (sessions_app.signals.session_ended, sent after commit)."""

import logging

from django.dispatch import receiver
from kombu.exceptions import OperationalError as BrokerError

from performance.tasks import score_session
from sessions_app.signals import session_ended

logger = logging.getLogger(__name__)


@receiver(session_ended, dispatch_uid="performance.enqueue_scoring")
def enqueue_scoring(sender, *, session_id, **kwargs) -> None:
    """Best effort: with the broker down the session stays in `scoring`, the end the trainee
    asked for stands, and `performance.tasks.sweep_unscored_sessions` enqueues it later."""
    try:
        score_session.delay(str(session_id))
    except (BrokerError, ConnectionError, TimeoutError) as exc:
        logger.warning(
            "Scoring not enqueued (broker unreachable); the sweep will retry: %s",
            type(exc).__name__,
            extra={"session_id": str(session_id)},
        )
