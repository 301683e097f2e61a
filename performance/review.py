"""A trainer's review of a scored session: corrections to criterion scores, comments, and the
mark "reviewed".

Only a trainer of a team the trainee is a member of may review; to anyone else the session
does not exist. A correction keeps the machine's score beside it (`machine_score`) and leaves an
audit record (`ScoreOverride`); the total and pass/fail are recalculated from the weights the
scoring used, and `session_rescored` lets gamification move the XP by the difference, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import TeamMembership, TeamRole
from core.errors import DomainError
from core.live import notify_user
from performance.evaluators.resolution import RESOLVED_FLOOR
from performance.models import PerformanceMetric, ScoreOverride, SessionReview
from performance.rubric import CAP_WRONG_ADVICE, round_half_up
from sessions_app.exceptions import SessionNotFound
from sessions_app.models import SessionStatus, UserSession
from sessions_app.signals import session_rescored


class ReviewInvalid(DomainError):
    code = "invalid_review"
    default_message = "That review cannot be saved."


@dataclass(frozen=True)
class Correction:
    score: int
    comment: str = ""


def may_review(*, reviewer, trainee_id) -> bool:
    """Whether `reviewer` trains a team `trainee_id` is a member of."""
    trained = TeamMembership.objects.filter(user=reviewer, role=TeamRole.TRAINER).values("team_id")
    return TeamMembership.objects.filter(
        user_id=trainee_id, role=TeamRole.MEMBER, team_id__in=trained
    ).exists()


def session_get_for_reviewer(*, reviewer, session_id) -> UserSession:
    """A scored session a trainer may review; SessionNotFound otherwise, like a missing one."""
    try:
        session = UserSession.objects.select_related("scenario", "user").get(
            pk=session_id, status=SessionStatus.SCORED, is_preview=False
        )
    except (UserSession.DoesNotExist, ValueError, TypeError):
        raise SessionNotFound() from None
    if not may_review(reviewer=reviewer, trainee_id=session.user_id):
        raise SessionNotFound()
    return session


def total_of(metrics, *, cap: int | None = None) -> int:
    """The session's total from its criteria, as the rubric computes it (weights are shares of
    100), held at `cap` when the rubric capped it."""
    total = max(0, min(100, round_half_up(sum(m.score * m.weight for m in metrics) / 100)))
    return total if cap is None else min(total, cap)


def cap_after_review(session, metrics: dict) -> int | None:
    """The rubric's cap on the total (`rubric.TotalCap`), while it still holds: a trainer who
    scores Resolution at `RESOLVED_FLOOR` or more has judged the advice sound, which lifts a
    cap for advice that could not work."""
    cap = (session.feedback or {}).get("total_cap") or {}
    if not cap.get("limit"):
        return None
    resolution = metrics.get("resolution")
    if cap.get("reason") == CAP_WRONG_ADVICE and resolution and resolution.score >= RESOLVED_FLOOR:
        return None
    return int(cap["limit"])


def review_save(
    *, reviewer, session_id, corrections: dict[str, Correction], comment: str = ""
) -> SessionReview:
    """Apply `corrections` (criterion -> new score and why), mark the session reviewed and
    recalculate its total. Saving the same review twice changes nothing the second time."""
    with transaction.atomic():
        session = session_get_for_reviewer(reviewer=reviewer, session_id=session_id)
        session = UserSession.objects.select_for_update().get(pk=session.pk)
        metrics = {m.criterion: m for m in PerformanceMetric.objects.filter(session=session)}
        unknown = set(corrections) - set(metrics)
        if unknown:
            raise ReviewInvalid("No such criterion in this session: " + ", ".join(sorted(unknown)))
        review, created = SessionReview.objects.get_or_create(
            session=session,
            defaults={"reviewer": reviewer, "machine_score": session.score or 0},
        )
        for key, correction in corrections.items():
            if not 0 <= correction.score <= 100:
                raise ReviewInvalid("Scores are between 0 and 100.")
            metric = metrics[key]
            if metric.score != correction.score:
                ScoreOverride.objects.create(
                    metric=metric,
                    reviewer=reviewer,
                    score_before=metric.score,
                    score_after=correction.score,
                    comment=correction.comment,
                )
                if metric.machine_score is None:
                    metric.machine_score = metric.score
                metric.score = correction.score
            metric.review_comment = correction.comment
            metric.save(update_fields=["score", "machine_score", "review_comment"])
        total = total_of(metrics.values(), cap=cap_after_review(session, metrics))
        pass_score = session.snapshot.pass_score
        changed = total != session.score
        session.score, session.passed = total, total >= pass_score
        session.save(update_fields=["score", "passed", "updated_at"])
        review.reviewer, review.comment, review.reviewed_at = reviewer, comment, timezone.now()
        review.save()
        session_rescored.send(sender=UserSession, session=session)
        if changed or created:
            event = {
                "type": "session.reviewed",
                "session_id": str(session.pk),
                "score": total,
                "passed": session.passed,
            }
            transaction.on_commit(partial(notify_user, session.user_id, event), robust=True)
    return review


def sessions_to_review(*, team, limit: int = 30) -> list[UserSession]:
    """The team members' latest scored sessions, each with `.reviewed`, newest first: two
    queries whatever the team's size or history."""
    members = TeamMembership.objects.filter(team=team, role=TeamRole.MEMBER).values("user_id")
    return list(
        UserSession.objects.filter(
            user_id__in=members, status=SessionStatus.SCORED, is_preview=False
        )
        .annotate(reviewed=Exists(SessionReview.objects.filter(session=OuterRef("pk"))))
        .select_related("scenario", "user")
        .order_by("-scored_at", "-started_at")[:limit]
    )


@dataclass(frozen=True)
class ReviewedSession:
    session: UserSession
    metrics: list[PerformanceMetric]  # in the scenario author's order
    review: SessionReview | None


def session_review_detail(*, session: UserSession) -> ReviewedSession:
    """A reviewable session's criteria and review, as a reviewer reads them: two queries."""
    order = session.snapshot.criterion_order
    metrics = sorted(
        PerformanceMetric.objects.filter(session=session),
        key=lambda m: (order.get(m.criterion, len(order)), m.criterion),
    )
    review = SessionReview.objects.filter(session=session).select_related("reviewer").first()
    return ReviewedSession(session=session, metrics=metrics, review=review)
