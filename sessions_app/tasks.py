"""Celery tasks: ids in, one service call; safe to run twice."""

from celery import shared_task

from sessions_app.assignments import assignment_reminders_send
from sessions_app.broadcast import broadcast, status_payload
from sessions_app.models import UserSession
from sessions_app.services import sessions_expire_idle


@shared_task
def expire_idle_sessions() -> int:
    """End sessions nobody has typed in for SESSION_IDLE_MINUTES; scoring follows."""
    ended = sessions_expire_idle()
    for session in UserSession.objects.filter(pk__in=ended):
        broadcast(session.pk, status_payload(session))
    return len(ended)


@shared_task
def remind_due_assignments() -> int:
    """E-mail people whose assignment is due within a day and not done; each once."""
    return assignment_reminders_send()
