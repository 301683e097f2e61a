"""XP, levels and achievements. Called once a session is scored (see performance.services)."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Floor

from accounts.models import XP_PER_LEVEL, User
from gamification.models import XPReason, XPTransaction


def xp_for_session(*, session) -> int:
    """A pass earns the reward scaled by the score; a fail a small participation share."""
    reward = int(session.scenario_snapshot.get("xp_reward", session.scenario.xp_reward))
    if session.is_preview or session.score is None:
        return 0
    if session.passed:
        return max(1, round(reward * session.score / 100))
    return round(reward * 0.1)


def xp_award(*, user_id: int, amount: int, reason: str, session=None, achievement=None) -> bool:
    """Add `amount` to the ledger and the user's total in one transaction.

    Returns False (and changes nothing) when the ledger already holds this award: the unique
    constraints make a second award of the same session or achievement impossible, even when
    two workers race.
    """
    if amount <= 0:
        return False
    try:
        with transaction.atomic():
            XPTransaction.objects.create(
                user_id=user_id,
                session=session,
                achievement=achievement,
                reason=reason,
                amount=amount,
            )
            User.objects.filter(pk=user_id).update(
                xp=F("xp") + amount, level=Floor((F("xp") + amount) / XP_PER_LEVEL) + 1
            )
    except IntegrityError:
        return False
    return True


def process_scored_session(*, session) -> dict:
    """Award the session's XP once. Idempotent: a second call awards nothing.

    Returns what happened, for the report and notifications.
    """
    level_before = User.objects.values_list("level", flat=True).get(pk=session.user_id)
    amount = xp_for_session(session=session)
    awarded = xp_award(
        user_id=session.user_id, amount=amount, reason=XPReason.SESSION, session=session
    )
    level_after = User.objects.values_list("level", flat=True).get(pk=session.user_id)
    return {
        "xp_awarded": amount if awarded else 0,
        "level_before": level_before,
        "level_after": level_after,
        "achievements": [],
    }
