"""Writes for training sessions. Pages, the API, the consumer and tasks all call these."""

from django.conf import settings
from django.db import transaction

from scenarios.exceptions import ScenarioLocked
from scenarios.models import Scenario
from scenarios.selectors import missing_prerequisites
from sessions_app.exceptions import TooManyActiveSessions
from sessions_app.models import SessionStatus, UserSession


def session_start(*, user, scenario: Scenario, is_preview: bool = False) -> UserSession:
    """Start an attempt. Staff previews skip the prerequisite lock and never count toward XP.

    The scenario document is snapshotted so that later edits do not change this attempt.
    The customer's opening message is written by the chat engine (see `engines`).
    """
    if not (is_preview and user.is_staff):
        is_preview = False
        missing = missing_prerequisites(user=user, scenario=scenario)
        if missing:
            raise ScenarioLocked(
                "Complete " + ", ".join(f"“{s.title}”" for s in missing) + " first.",
                missing=[s.slug for s in missing],
            )
    active = UserSession.objects.filter(user=user, status=SessionStatus.ACTIVE).count()
    if active >= settings.CHAT_MAX_ACTIVE_SESSIONS:
        raise TooManyActiveSessions()
    with transaction.atomic():
        session = UserSession.objects.create(
            user=user,
            scenario=scenario,
            is_preview=is_preview,
            engine=settings.CUSTOMER_ENGINE,
            scenario_snapshot=scenario.to_document(),
        )
    return session
