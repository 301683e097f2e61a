import pytest

from overview.progress import (
    recommended_next_scenario,
    scenario_get_with_progress,
    scenario_list_with_progress,
)
from performance.models import PerformanceMetric
from sessions_app.selectors import missing_prerequisites
from tests.factories import ScenarioFactory, UserFactory, UserSessionFactory

pytestmark = pytest.mark.django_db


def progress_by_slug(scenarios):
    return {
        s.slug: (
            s.progress.attempts,
            s.progress.best_score,
            s.progress.completed,
            s.progress.missing_prerequisite_slugs,
        )
        for s in scenarios
    }


def test_progress_and_locks_for_a_trainee_with_history(history, user):
    scenarios = scenario_list_with_progress(user=user)
    assert [s.slug for s in scenarios] == ["starter-a", "starter-b", "inter-c", "inter-d", "adv-e"]
    assert progress_by_slug(scenarios) == {
        "starter-a": (2, 85, True, []),
        "starter-b": (1, 55, False, []),
        "inter-c": (1, None, False, []),
        "inter-d": (0, None, False, ["starter-b"]),
        "adv-e": (0, None, False, ["inter-c", "inter-d"]),
    }


def test_the_locks_agree_with_what_session_start_enforces(history, user):
    for scenario in scenario_list_with_progress(user=user):
        expected = [s.slug for s in missing_prerequisites(user=user, scenario=scenario)]
        assert scenario.progress.missing_prerequisite_slugs == expected


def test_filters(history, user):
    def slugs(**filters):
        return [s.slug for s in scenario_list_with_progress(user=user, **filters)]

    assert slugs(difficulty="intermediate") == ["inter-c", "inter-d"]
    assert slugs(completed=True) == ["starter-a"]
    assert slugs(completed=False) == ["starter-b", "inter-c", "inter-d", "adv-e"]
    assert slugs(category="billing-refunds") == ["starter-b"]
    assert slugs(search="advanced") == ["adv-e"]
    assert slugs(difficulty="starter", completed=False) == ["starter-b"]


def test_an_inactive_prerequisite_no_longer_locks(history, user):
    history["b"].is_active = False
    history["b"].save()
    detail = scenario_get_with_progress(user=user, slug="inter-d")
    assert detail.progress.locked is False
    assert missing_prerequisites(user=user, scenario=history["d"]) == []


def test_inactive_scenarios_are_not_listed(path, user):
    path["e"].is_active = False
    path["e"].save()
    assert "adv-e" not in [s.slug for s in scenario_list_with_progress(user=user)]


def _metric(user, criterion, score):
    session = UserSessionFactory(user=user, status="scored", score=score, passed=False)
    PerformanceMetric.objects.create(
        session=session, user=user, criterion=criterion, score=score, weight=1
    )


def test_recommendation_without_history_is_the_easiest_unlocked_one(path):
    trainee = UserFactory()
    recommended = recommended_next_scenario(user=trainee)
    assert recommended.slug == "starter-a"
    assert recommended.recommendation.criterion is None


def test_recommendation_trains_the_weakest_criterion():
    trainee = UserFactory()
    criteria = lambda **weights: {  # noqa: E731
        "pass_score": 70,
        "criteria": [{"key": k, "weight": w} for k, w in weights.items()],
    }
    ScenarioFactory(
        slug="mostly-greeting", assessment_criteria=criteria(greeting=80, resolution=20)
    )
    ScenarioFactory(slug="some-empathy", assessment_criteria=criteria(empathy=30, resolution=70))
    ScenarioFactory(
        slug="lots-of-empathy",
        difficulty="advanced",
        assessment_criteria=criteria(empathy=60, resolution=40),
    )
    _metric(trainee, "greeting", 90)
    _metric(trainee, "empathy", 35)
    _metric(trainee, "empathy", 45)
    _metric(trainee, "resolution", 60)
    recommended = recommended_next_scenario(user=trainee)
    assert recommended.slug == "lots-of-empathy"
    assert recommended.recommendation.criterion == "empathy"
    assert "empathy" in recommended.recommendation.reason
    assert "40" in recommended.recommendation.reason


def test_recommendation_skips_locked_and_completed_and_ends_with_none(history, user):
    assert recommended_next_scenario(user=user).slug == "starter-b"
    for scenario in history.values():
        UserSessionFactory(user=user, scenario=scenario, status="scored", score=90, passed=True)
    assert recommended_next_scenario(user=user) is None
