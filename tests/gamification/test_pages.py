import datetime as dt

import pytest
from django.utils import timezone

from gamification.models import Achievement
from gamification.services import process_scored_session
from tests.factories import ScenarioFactory, UserSessionFactory
from tests.gamification.conftest import make_scored

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_get_the_landing_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Start training" in response.content
    assert b"achievement-gallery" not in response.content


def test_dashboard_shows_level_progress_streak_sessions_and_gallery(client, user):
    now = timezone.now()
    yesterday = make_scored(user=user, score=100, at=now - dt.timedelta(days=1))
    process_scored_session(session=yesterday)
    today = make_scored(user=user, score=30, at=now)
    process_scored_session(session=today)
    user.refresh_from_db()
    client.force_login(user)

    html = client.get("/").content.decode()

    assert f"Level {user.level}" in html
    assert f'<progress class="xp-bar" max="100" value="{user.xp_into_level}"' in html
    assert f"<span data-xp-total>{user.xp}</span> XP in total" in html
    assert 'style="' not in html
    assert "<strong>2</strong> days" in html  # current streak
    assert "Best: 2 days" in html
    assert f'href="/sessions/{today.id}/"' in html
    assert f'href="/sessions/{yesterday.id}/"' in html
    assert "Flawless" in html  # unlocked: perfect score
    assert "is-unlocked" in html
    assert "is-locked" in html
    assert "To unlock: Practise on 7 days in a row." in html
    unlocked = user.achievements.count()
    assert f"{unlocked} of {Achievement.objects.filter(is_active=True).count()}" in html


def test_dashboard_escapes_names(client, user):
    user.first_name = "<script>x</script>"
    user.save()
    scenario = ScenarioFactory(title="<b>bold</b>")
    UserSessionFactory(user=user, scenario=scenario)
    client.force_login(user)
    html = client.get("/").content.decode()
    assert "<script>x</script>" not in html
    assert "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_dashboard_shows_the_recommended_scenario_when_the_catalogue_offers_one(client, user):
    from overview import progress as selectors

    scenario = ScenarioFactory(title="Try me next")
    client.force_login(user)
    html = client.get("/").content.decode()
    if getattr(selectors, "recommended_next_scenario", None) is None:
        assert "Browse scenarios" in html
    else:
        recommended = selectors.recommended_next_scenario(user=user)
        assert recommended is not None
        assert f'href="/scenarios/{recommended.slug}/"' in html
    assert scenario.pk


def test_dashboard_query_count_does_not_grow_with_history(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import UserFactory

    scenarios = [ScenarioFactory() for _ in range(3)]
    ScenarioFactory()  # never played: there is always something to recommend
    now = timezone.now()
    counts = []
    for history in (1, 60):
        trainee = UserFactory()
        for i in range(history):
            session = make_scored(
                user=trainee,
                scenario=scenarios[i % 3],
                score=40 + i % 60,
                at=now - dt.timedelta(days=i),
            )
            process_scored_session(session=session)
        client.force_login(trainee)
        client.get("/")
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        counts.append(len(captured))
    # The same number of queries for 1 and 60 sessions (and the recommendation's share is
    # the scenarios app's business, so only a ceiling is pinned here).
    assert counts[0] == counts[1]
    assert counts[1] <= 14
