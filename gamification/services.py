"""XP, levels and achievements. `process_scored_session` runs inside the scoring transaction
(on `sessions_app.signals.session_scored`, `gamification.signals`).

The XP rule (also in the README):
- a pass earns the scenario's `xp_reward` scaled by the score (at least 1 XP);
- a fail earns a participation share of 10% of `xp_reward`;
- a repeat of a scenario the trainee had already passed earns 25% of that amount;
- each hint taken during the session (`sessions_app.hints`) takes 10% off that amount (a
  session allows 3: 30% off at most); a pass still earns at least 1 XP;
- previews (staff trying a scenario) earn nothing and unlock nothing.
Amounts are rounded half up. Achievement bonuses are added on top through the same ledger.
"""

from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Floor

from accounts.models import XP_PER_LEVEL, User, level_for_xp
from core.live import notify_user
from gamification import achievements as rules
from gamification.models import Achievement, UserAchievement, XPReason, XPTransaction
from gamification.selectors import LEADERBOARD
from sessions_app import hints
from sessions_app.models import SessionStatus, UserSession

FAIL_SHARE_PERCENT = 10
REPEAT_SHARE_PERCENT = 25


def _percent_of(value: int, percent: int) -> int:
    """Integer percentage, rounded half up (Python's round() would round half to even)."""
    return (value * percent + 50) // 100


def xp_for_session(*, session, repeat: bool = False, hints_used: int = 0) -> int:
    """The XP a scored session earns under the rule in this module's docstring."""
    if session.is_preview or session.score is None:
        return 0
    reward = session.snapshot.xp_reward
    if session.passed:
        amount = max(1, _percent_of(reward, int(session.score))) if reward else 0
    else:
        amount = _percent_of(reward, FAIL_SHARE_PERCENT)
    if repeat:
        amount = _percent_of(amount, REPEAT_SHARE_PERCENT)
    if hints_used and amount:
        kept = 100 - hints.xp_percent_lost(hints_used)
        amount = max(1 if session.passed else 0, _percent_of(amount, kept))
    return amount


def scenario_already_passed(*, session) -> bool:
    """Had the trainee passed this scenario before this session was scored?"""
    earlier = UserSession.objects.filter(
        user_id=session.user_id,
        scenario_id=session.scenario_id,
        status=SessionStatus.SCORED,
        passed=True,
        is_preview=False,
    ).exclude(pk=session.pk)
    if session.scored_at is not None:
        earlier = earlier.filter(Q(scored_at__lt=session.scored_at) | Q(scored_at__isnull=True))
    return earlier.exists()


def xp_award(*, user_id: int, amount: int, reason: str, session=None, achievement=None) -> bool:
    """Add `amount` to the ledger and the user's total in one transaction.

    Returns False (and changes nothing) when the ledger already holds this award: the unique
    constraints make a second award of the same session or achievement impossible, even when
    two workers race. A session award of 0 XP is still written: it records that the session
    was processed, which is what makes `process_scored_session` idempotent.
    """
    if amount < 0 or (amount == 0 and session is None):
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
            if amount:
                # One UPDATE: concurrent awards serialise on the row and none is lost, and the
                # level can never disagree with the XP it was computed from.
                User.objects.filter(pk=user_id).update(
                    xp=F("xp") + amount, level=Floor((F("xp") + amount) / XP_PER_LEVEL) + 1
                )
                LEADERBOARD.bump()
    except IntegrityError:
        return False
    return True


@dataclass
class _Unlock:
    achievement: Achievement
    awarded_xp: int


def achievements_evaluate(*, user, session=None) -> list[_Unlock]:
    """Unlock every active achievement whose rule now holds, each once, with its bonus XP.

    `user.xp` must be current (the caller holds the user's row lock). A bonus can lift the
    trainee into a level that another rule waits for, so the rules run again until nothing
    new unlocks.
    """
    candidates = list(Achievement.objects.filter(is_active=True).exclude(holders__user=user))
    if not candidates:
        return []
    context = rules.build_context(user=user, current_session=session)
    _include_current_session(context, session)
    unlocked: list[_Unlock] = []
    progress = True
    while progress and candidates:
        progress = False
        for achievement in list(candidates):
            if not rules.evaluate(achievement.rule, context):
                continue
            candidates.remove(achievement)
            try:
                with transaction.atomic():
                    UserAchievement.objects.create(
                        user=user, achievement=achievement, session=session
                    )
            except IntegrityError:
                continue  # unlocked by a concurrent scoring of another session
            bonus = achievement.bonus_xp
            awarded = xp_award(
                user_id=user.pk,
                amount=bonus,
                reason=XPReason.ACHIEVEMENT,
                achievement=achievement,
            )
            if awarded and bonus:
                context.xp += bonus
                user.xp += bonus
            unlocked.append(_Unlock(achievement, bonus if awarded else 0))
            progress = True
    return unlocked


def _include_current_session(context, session) -> None:
    """The caller may not have saved `status="scored"` yet; the rules must still see it."""
    if session is None or any(s.id == session.pk for s in context.sessions):
        return
    snapshot = session.snapshot
    practised_at = session.scored_at or session.ended_at or session.started_at
    context.sessions.append(
        rules.SessionFacts(
            id=session.pk,
            scenario_id=session.scenario_id,
            score=session.score,
            passed=bool(session.passed),
            outcome=session.outcome or "",
            difficulty=snapshot.difficulty,
            estimated_minutes=snapshot.estimated_time,
            patience=snapshot.patience,
            started_at=session.started_at,
            ended_at=session.ended_at,
            practised_at=practised_at,
        )
    )
    context.sessions.sort(key=lambda s: (s.practised_at, str(s.id)))


def _session_reason(session, amount_repeat: bool) -> str:
    title = session.snapshot.title
    if amount_repeat:
        return f"Practised “{title}” again"
    if session.passed:
        return f"Passed “{title}” with {session.score}"
    return f"Attempted “{title}”"


def process_scored_session(*, session) -> dict:
    """Award the session's XP and unlock achievements, once, and record on the session what it
    earned (`xp_awarded`, the levels before and after in `feedback["rewards"]`). Idempotent: a
    second call (a retried scoring task) awards nothing and unlocks nothing.

    Holds the trainee's row lock until the surrounding transaction ends, so two sessions of
    one trainee scored at the same moment are processed one after the other and see each
    other's results. Notifications are sent only after the transaction commits.
    """
    with transaction.atomic():
        result = _award_scored_session(session)
        session.xp_awarded = result["xp_awarded"]
        levels = {"level_before": result["level_before"], "level_after": result["level_after"]}
        session.feedback = {**(session.feedback or {}), "rewards": levels}
        session.save(update_fields=["xp_awarded", "feedback", "updated_at"])
    return result


def _award_scored_session(session) -> dict:
    user = User.objects.select_for_update().get(pk=session.user_id)
    result = {
        "xp_awarded": 0,
        "level_before": user.level,
        "level_after": user.level,
        "achievements": [],
    }
    if session.is_preview or session.score is None:
        return result

    repeat = scenario_already_passed(session=session)
    amount = xp_for_session(session=session, repeat=repeat, hints_used=session.hints.count())
    if not xp_award(user_id=user.pk, amount=amount, reason=XPReason.SESSION, session=session):
        return result  # already processed
    user.xp += amount

    events: list[dict] = []
    if amount:
        events.append(
            {
                "type": "xp.awarded",
                "amount": amount,
                "total_xp": user.xp,
                "reason": _session_reason(session, repeat),
                "source": "session",
                "session_id": str(session.pk),
            }
        )
    unlocked = achievements_evaluate(user=user, session=session)
    running_total = user.xp - sum(u.awarded_xp for u in unlocked)
    for unlock in unlocked:
        achievement = unlock.achievement
        payload = {
            "key": achievement.key,
            "name": achievement.name,
            "description": achievement.description,
            "icon": achievement.icon,
            "bonus_xp": unlock.awarded_xp,
        }
        result["achievements"].append(payload)
        events.append({"type": "achievement.unlocked", **payload})
        if unlock.awarded_xp:
            running_total += unlock.awarded_xp
            events.append(
                {
                    "type": "xp.awarded",
                    "amount": unlock.awarded_xp,
                    "total_xp": running_total,
                    "reason": f"Achievement: {achievement.name}",
                    "source": "achievement",
                }
            )
    level_after = level_for_xp(user.xp)
    user.level = level_after
    if level_after > result["level_before"]:
        events.append(
            {"type": "level.up", "level": level_after, "previous_level": result["level_before"]}
        )
    result["xp_awarded"] = amount
    result["level_after"] = level_after

    user_id = user.pk
    transaction.on_commit(lambda: _send_all(user_id, events))
    return result


def _send_all(user_id: int, events: list[dict]) -> None:
    for event in events:
        notify_user(user_id, event)


def xp_correct_after_review(*, session) -> int:
    """Bring the trainee's XP to what the session earns at its reviewed score. The session's
    award stays as it was; one ledger entry per session (reason "review") holds the net
    correction, up or down, and changes by the difference (never below zero XP in all).
    Nothing moves when nothing changed, so saving the same review twice moves XP once.
    Returns the amount moved; who changed which score is in `performance.ScoreOverride`."""
    if session.is_preview:
        return 0
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=session.user_id)
        entries = XPTransaction.objects.select_for_update().filter(session=session)
        award = sum(e.amount for e in entries if e.reason == XPReason.SESSION)
        correction = next((e for e in entries if e.reason == XPReason.REVIEW), None)
        before = correction.amount if correction else 0
        target = xp_for_session(
            session=session,
            repeat=scenario_already_passed(session=session),
            hints_used=session.hints.count(),
        )
        after = max(target - award, before - user.xp)
        delta = after - before
        if delta == 0:
            return 0
        if correction is None:
            XPTransaction.objects.create(
                user=user, session=session, reason=XPReason.REVIEW, amount=after
            )
        else:
            correction.amount = after
            correction.save(update_fields=["amount"])
        User.objects.filter(pk=user.pk).update(
            xp=F("xp") + delta, level=Floor((F("xp") + delta) / XP_PER_LEVEL) + 1
        )
        session.xp_awarded = max(0, award + after)
        type(session).objects.filter(pk=session.pk).update(xp_awarded=session.xp_awarded)
        LEADERBOARD.bump()
        event = {
            "type": "xp.awarded",
            "amount": delta,
            "total_xp": user.xp + delta,
            "reason": "Score corrected by your trainer",
            "source": "review",
            "session_id": str(session.pk),
        }
        transaction.on_commit(partial(notify_user, user.pk, event))
    return delta
