import pytest

from accounts.models import User, level_for_xp
from gamification.models import XPReason, XPTransaction
from gamification.services import process_scored_session, xp_award, xp_for_session
from tests.factories import ScenarioFactory, UserSessionFactory
from tests.gamification.conftest import make_scored

pytestmark = pytest.mark.django_db


def _unsaved(score, passed, reward=50, preview=False):
    scenario = ScenarioFactory.build(xp_reward=reward)
    return UserSessionFactory.build(
        scenario=scenario,
        scenario_snapshot={"xp_reward": reward},
        score=score,
        passed=passed,
        is_preview=preview,
    )


@pytest.mark.parametrize(
    ("score", "passed", "repeat", "expected"),
    [
        (100, True, False, 50),  # a perfect pass earns the whole reward
        (80, True, False, 40),  # a pass is scaled by the score
        (71, True, False, 36),  # 35.5 rounds half up
        (69, False, False, 5),  # a fail earns 10% of the reward
        (0, False, False, 5),
        (100, True, True, 13),  # a repeat earns 25% of the normal amount (12.5 → 13)
        (80, True, True, 10),
        (40, False, True, 1),  # a fail on an already-passed scenario: 25% of 5, rounded
    ],
)
def test_xp_rule(score, passed, repeat, expected):
    assert xp_for_session(session=_unsaved(score, passed), repeat=repeat) == expected


def test_previews_and_unscored_sessions_earn_nothing():
    assert xp_for_session(session=_unsaved(100, True, preview=True)) == 0
    assert xp_for_session(session=_unsaved(None, None)) == 0


def test_the_snapshot_reward_wins_over_an_edited_scenario():
    session = _unsaved(100, True, reward=80)
    session.scenario.xp_reward = 10
    assert xp_for_session(session=session) == 80


@pytest.mark.parametrize(
    ("score", "passed", "hints_used", "expected"),
    [
        (80, True, 0, 40),
        (80, True, 1, 36),  # each hint takes 10% off
        (80, True, 3, 28),
        (80, True, 9, 28),  # never more than the 3 hints a session allows
        (69, False, 1, 5),  # 4.5 rounds half up
        (69, False, 3, 4),  # 3.5 → 4
        (1, True, 3, 1),  # a pass keeps at least 1 XP
    ],
)
def test_hints_cost_a_tenth_of_the_xp_each(score, passed, hints_used, expected):
    assert xp_for_session(session=_unsaved(score, passed), hints_used=hints_used) == expected


def test_a_scored_session_pays_for_its_hints(user, scenario):
    from sessions_app.models import SessionHint

    session = make_scored(user=user, scenario=scenario, score=90)
    for seq in (2, 4):
        SessionHint.objects.create(session=session, after_seq=seq, kind="ask", text="…")
    assert process_scored_session(session=session)["xp_awarded"] == 36  # 45 less 20%
    assert XPTransaction.objects.get(session=session).amount == 36


def test_a_tiny_pass_still_earns_one_xp():
    assert xp_for_session(session=_unsaved(1, True, reward=20)) == 1


@pytest.mark.parametrize(
    ("xp", "level"), [(0, 1), (99, 1), (100, 2), (101, 2), (199, 2), (200, 3), (450, 5)]
)
def test_level_for_xp_boundaries(xp, level):
    assert level_for_xp(xp) == level


def test_ledger_keeps_level_in_step_at_the_boundaries(user):
    steps = [(99, 1), (1, 2), (99, 2), (1, 3)]  # 99, 100, 199, 200 XP
    for amount, level in steps:
        assert xp_award(user_id=user.pk, amount=amount, reason=XPReason.ADJUSTMENT)
        user.refresh_from_db()
        assert user.level == level
    assert user.xp == 200
    assert sum(XPTransaction.objects.filter(user=user).values_list("amount", flat=True)) == 200


def test_first_pass_awards_scaled_xp_through_the_ledger(user, scenario):
    session = make_scored(user=user, scenario=scenario, score=90)

    result = process_scored_session(session=session)

    assert result["xp_awarded"] == 45
    entry = XPTransaction.objects.get(session=session)
    assert (entry.reason, entry.amount, entry.user_id) == ("session", 45, user.pk)
    session.refresh_from_db()
    assert session.xp_awarded == 45
    user.refresh_from_db()
    bonus = sum(a["bonus_xp"] for a in result["achievements"])
    assert user.xp == 45 + bonus
    assert user.level == level_for_xp(user.xp) == result["level_after"]
    assert result["level_before"] == 1


def test_fail_earns_participation_share(user, scenario):
    session = make_scored(user=user, scenario=scenario, score=30)
    assert process_scored_session(session=session)["xp_awarded"] == 5


def test_repeat_of_a_passed_scenario_earns_a_quarter(user, scenario):
    first = make_scored(user=user, scenario=scenario, score=100)
    process_scored_session(session=first)
    second = make_scored(user=user, scenario=scenario, score=100)

    assert process_scored_session(session=second)["xp_awarded"] == 13


def test_passing_after_failing_is_not_a_repeat(user, scenario):
    process_scored_session(session=make_scored(user=user, scenario=scenario, score=20))
    result = process_scored_session(session=make_scored(user=user, scenario=scenario, score=80))
    assert result["xp_awarded"] == 40


def test_same_session_twice_awards_once_and_unlocks_nothing_new(user, scenario):
    session = make_scored(user=user, scenario=scenario, score=100)
    first = process_scored_session(session=session)
    user.refresh_from_db()
    xp_after_first = user.xp

    second = process_scored_session(session=session)

    assert first["xp_awarded"] == 50
    assert first["achievements"]
    assert second["xp_awarded"] == 0
    assert second["achievements"] == []
    assert second["level_before"] == second["level_after"]
    user.refresh_from_db()
    assert user.xp == xp_after_first
    assert XPTransaction.objects.filter(session=session).count() == 1


def test_a_zero_xp_session_is_still_processed_once(user):
    scenario = ScenarioFactory(xp_reward=0)
    session = make_scored(user=user, scenario=scenario, score=100)
    first = process_scored_session(session=session)
    again = process_scored_session(session=session)
    assert first["xp_awarded"] == 0
    assert first["achievements"]
    assert again["achievements"] == []


def test_preview_awards_nothing_and_unlocks_nothing(staff_user, scenario):
    session = make_scored(user=staff_user, scenario=scenario, score=100, preview=True)

    result = process_scored_session(session=session)

    assert result == {"xp_awarded": 0, "level_before": 1, "level_after": 1, "achievements": []}
    assert not XPTransaction.objects.filter(user=staff_user).exists()
    assert not staff_user.achievements.exists()


def test_level_up_is_reported(user):
    User.objects.filter(pk=user.pk).update(xp=95, level=1)
    # Already holds the cheap achievements so only the session XP moves the level.
    from gamification.models import Achievement, UserAchievement

    for achievement in Achievement.objects.all():
        UserAchievement.objects.create(user=user, achievement=achievement)
    session = make_scored(user=user, score=100)

    result = process_scored_session(session=session)

    assert (result["level_before"], result["level_after"]) == (1, 2)
    user.refresh_from_db()
    assert (user.xp, user.level) == (145, 2)
