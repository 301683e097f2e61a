import pytest

from gamification.models import Achievement
from gamification.services import process_scored_session
from tests.gamification.conftest import make_scored

pytestmark = pytest.mark.django_db


def test_achievements_lists_every_active_one_with_unlocked_at(api_client, user):
    Achievement.objects.filter(key="comeback").update(is_active=False)
    process_scored_session(session=make_scored(user=user, score=100))

    body = api_client.get("/api/v1/achievements/").json()

    assert body["success"] is True
    rows = {row["key"]: row for row in body["data"]}
    active = Achievement.objects.filter(is_active=True)
    assert set(rows) == set(active.values_list("key", flat=True))
    assert "comeback" not in rows
    assert rows["perfect-score"]["unlocked_at"] is not None
    assert rows["perfect-score"]["unlocked"] is True
    assert rows["streak-7"]["unlocked_at"] is None
    assert rows["streak-7"]["unlocked"] is False
    for field in ("name", "description", "icon", "bonus_xp"):
        assert field in rows["streak-7"]
    assert body["meta"]["total"] == active.count()
    assert body["meta"]["unlocked"] == user.achievements.count()


def test_achievements_are_per_user(api_client, other_user):
    process_scored_session(session=make_scored(user=other_user, score=100))
    body = api_client.get("/api/v1/achievements/").json()
    assert all(row["unlocked_at"] is None for row in body["data"])


def test_achievements_is_one_query(api_client, user, django_assert_num_queries):
    process_scored_session(session=make_scored(user=user, score=100))
    api_client.get("/api/v1/achievements/")
    with django_assert_num_queries(1):
        assert api_client.get("/api/v1/achievements/").status_code == 200


def test_achievements_needs_login():
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/achievements/").status_code == 401


def test_admin_offers_only_registered_rules(client, staff_user):
    client.force_login(staff_user)
    achievement = Achievement.objects.get(key="comeback")
    page = client.get(f"/admin/gamification/achievement/{achievement.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<option value="comeback" selected>' in html
    assert '<option value="streak_7">' in html
