"""A trainer's review: corrected criterion scores recalculate the total from the weights, the
machine's scores are kept, every change is audited, XP moves by the difference exactly once,
and only a trainer of the trainee's team may review."""

import pytest

from accounts.models import TeamMembership
from accounts.services import team_create, trainer_role_grant
from gamification.models import XPReason, XPTransaction
from gamification.services import process_scored_session
from performance.models import PerformanceMetric, ScoreOverride, SessionReview
from performance.review import Correction, ReviewInvalid, review_save
from sessions_app.exceptions import SessionNotFound
from sessions_app.models import SessionStatus, UserSession
from tests.factories import ScenarioFactory, UserFactory, UserSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainer():
    user = UserFactory()
    trainer_role_grant(user=user)
    return user


def member_session(trainer, user, *, scores: dict[str, int], **fields):
    """A scored session of a member of the trainer's team, each criterion weighing 50."""
    team = team_create(trainer=trainer, name=f"Team {UserSession.objects.count() + 1}")
    TeamMembership.objects.create(team=team, user=user)
    session = UserSessionFactory(
        user=user,
        scenario=ScenarioFactory(xp_reward=100),
        status=SessionStatus.SCORED,
        passed=False,
        **fields,
    )
    for criterion, score in scores.items():
        PerformanceMetric.objects.create(
            session=session, user=user, criterion=criterion, score=score, weight=50.0
        )
    return session


@pytest.fixture
def scored(trainer, user):
    """A session scored 60 (not passed, pass mark 70) of a member of the trainer's team."""
    session = member_session(trainer, user, scores={"empathy": 40, "resolution": 80}, score=60)
    process_scored_session(session=session)  # a fail earns 10 % of 100: 10 XP
    return session


def test_a_correction_recalculates_the_total_keeps_the_machine_score_and_is_audited(
    trainer, scored
):
    review_save(
        reviewer=trainer,
        session_id=scored.pk,
        corrections={"empathy": Correction(90, "They did acknowledge the deadline.")},
        comment="Good recovery after a slow start.",
    )
    scored.refresh_from_db()
    assert (scored.score, scored.passed) == (85, True)  # (90 + 80) / 2
    empathy = PerformanceMetric.objects.get(session=scored, criterion="empathy")
    assert (empathy.score, empathy.machine_score) == (90, 40)
    assert empathy.review_comment == "They did acknowledge the deadline."
    [audit] = ScoreOverride.objects.all()
    assert (audit.reviewer, audit.score_before, audit.score_after) == (trainer, 40, 90)
    review = SessionReview.objects.get(session=scored)
    assert (review.machine_score, review.comment) == (60, "Good recovery after a slow start.")


def test_xp_moves_by_the_difference_once_and_back_down(trainer, scored, user):
    user.refresh_from_db()
    before = user.xp  # the session's 10 XP, and any achievement bonus
    assert scored.xp_awarded == 10
    correction = {"empathy": Correction(90)}
    review_save(reviewer=trainer, session_id=scored.pk, corrections=correction)
    review_save(reviewer=trainer, session_id=scored.pk, corrections=correction)  # again
    user.refresh_from_db()
    assert user.xp == before + 75  # a pass at 85 earns 85 of 100, not 10
    reviews = XPTransaction.objects.filter(session=scored, reason=XPReason.REVIEW)
    assert list(reviews.values_list("amount", flat=True)) == [75]

    review_save(reviewer=trainer, session_id=scored.pk, corrections={"empathy": Correction(40)})
    user.refresh_from_db()
    assert user.xp == before  # back to the machine's fail
    assert list(reviews.values_list("amount", flat=True)) == [0]  # the net correction
    assert user.xp == sum(XPTransaction.objects.filter(user=user).values_list("amount", flat=True))
    assert ScoreOverride.objects.count() == 2


def test_only_a_trainer_of_the_trainees_team_may_review(scored, user):
    other_trainer = UserFactory()
    trainer_role_grant(user=other_trainer)
    team_create(trainer=other_trainer, name="Other team")
    for reviewer in (other_trainer, user, UserFactory()):
        with pytest.raises(SessionNotFound):
            review_save(reviewer=reviewer, session_id=scored.pk, corrections={})
    assert not SessionReview.objects.exists()


def test_bad_corrections_are_refused_and_change_nothing(trainer, scored):
    for corrections in ({"no_such_criterion": Correction(50)}, {"empathy": Correction(101)}):
        with pytest.raises(ReviewInvalid):
            review_save(reviewer=trainer, session_id=scored.pk, corrections=corrections)
    scored.refresh_from_db()
    assert scored.score == 60
    assert not ScoreOverride.objects.exists()
    assert not SessionReview.objects.exists()


def test_a_correction_keeps_charging_for_the_hints_taken(trainer, scored, user):
    from sessions_app.models import SessionHint

    SessionHint.objects.create(session=scored, after_seq=3, kind="ask", text="…")
    review_save(reviewer=trainer, session_id=scored.pk, corrections={"empathy": Correction(90)})
    scored.refresh_from_db()
    assert scored.xp_awarded == 77  # a pass at 85 earns 85, less 10% for the hint (76.5 → 77)


def _capped(trainer, user):
    cap = {"limit": 40, "reason": "wrong_advice", "uncapped": 60}
    return member_session(
        trainer,
        user,
        scores={"empathy": 100, "resolution": 20},
        score=40,
        feedback={"total_cap": cap},
    )


def test_the_cap_for_wrong_advice_holds_until_the_trainer_judges_the_fix_sound(trainer, user):
    session = _capped(trainer, user)
    review_save(reviewer=trainer, session_id=session.pk, corrections={"empathy": Correction(90)})
    session.refresh_from_db()
    assert session.score == 40  # 55 by the weights, still held at 40
    review_save(reviewer=trainer, session_id=session.pk, corrections={"resolution": Correction(80)})
    session.refresh_from_db()
    assert session.score == 85  # the advice was sound after all: (90 + 80) / 2
