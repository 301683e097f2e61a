"""A trainee's standing (progress per scenario, average per criterion) kept in the shared cache:
read without a query while nothing changed, never stale after their sessions change."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from overview.progress import (
    STANDING,
    scenario_list_with_progress,
    trainee_standing,
)
from performance.services import session_score
from sessions_app.models import SessionStatus, UserSession
from sessions_app.services import message_post_agent, session_end, session_start
from tests.factories import ScenarioFactory, UserSessionFactory

pytestmark = pytest.mark.django_db


def read(user):
    with CaptureQueriesContext(connection) as queries:
        progress, averages = trainee_standing(user=user)
    return progress, averages, len(queries)


def test_a_second_read_runs_no_query(user, scenario):
    UserSessionFactory(user=user, scenario=scenario, status=SessionStatus.ACTIVE)
    first = read(user)
    assert first[2] == 2
    again = read(user)
    assert again[:2] == first[:2]
    assert again[2] == 0


def test_starting_ending_and_scoring_a_session_show_at_once(user, scenario):
    assert read(user)[0] == {}
    session = session_start(user=user, scenario=scenario)
    assert read(user)[0] == {scenario.pk: (1, None, False)}
    message_post_agent(session=session, content="Hello, how can I help you today?")
    session_end(session=session)
    session_score(session_id=session.pk)
    session.refresh_from_db()
    progress, averages, _ = read(user)
    assert progress[scenario.pk][:2] == (1, session.score)
    assert averages  # one average per criterion the rubric scored
    assert set(averages) == set(session.metrics.values_list("criterion", flat=True))


def test_a_chat_turn_keeps_the_cached_standing(user, scenario):
    session = UserSessionFactory(user=user, scenario=scenario, status=SessionStatus.ACTIVE)
    read(user)
    session.engine_state = {"mood": "calm"}
    session.tokens_used = 12
    session.save(update_fields=["engine_state", "tokens_used", "updated_at"])
    assert read(user)[2] == 0


def test_deleting_a_session_shows_at_once(user, scenario):
    session = UserSessionFactory(user=user, scenario=scenario, status=SessionStatus.ACTIVE)
    assert scenario.pk in read(user)[0]
    UserSession.objects.get(pk=session.pk).delete()
    assert read(user)[0] == {}


def test_a_value_built_before_a_change_is_never_used(user, scenario):
    """A reader that queried just before a writer committed stores a value under the old
    version: the next reader sees the version has moved on and rebuilds."""
    version_key, value_key = STANDING.key(user.pk), STANDING.value_key(user.pk)
    read(user)
    stale_version = cache.get(version_key)
    UserSessionFactory(user=user, scenario=scenario, status=SessionStatus.ACTIVE)
    cache.set(value_key, (stale_version, {}, {}), timeout=60)  # the late reader's write
    progress, _, queries = read(user)
    assert queries == 2
    assert progress == {scenario.pk: (1, None, False)}


def test_a_flushed_cache_starts_a_fresh_version(user, scenario):
    read(user)
    UserSessionFactory(user=user, scenario=scenario, status=SessionStatus.ACTIVE)
    cache.clear()
    assert read(user)[0] == {scenario.pk: (1, None, False)}


def test_standing_changed_is_per_trainee(user, other_user, scenario):
    read(user)
    read(other_user)
    STANDING.bump(other_user.pk, now=True)
    assert read(user)[2] == 0
    assert read(other_user)[2] == 2


def test_zero_seconds_reads_the_database_every_time(user, settings):
    settings.STANDING_CACHE_SECONDS = 0
    read(user)
    assert read(user)[2] == 2


def test_anonymous_visitors_have_no_standing():
    from django.contrib.auth.models import AnonymousUser

    assert read(AnonymousUser()) == ({}, {}, 0)


def test_the_catalogue_uses_the_cached_standing(user):
    ScenarioFactory.create_batch(3)
    scenario_list_with_progress(user=user)
    with CaptureQueriesContext(connection) as queries:
        assert len(scenario_list_with_progress(user=user)) == 3
    assert len(queries) == 0
