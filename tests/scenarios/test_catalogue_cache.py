"""The catalogue each process keeps in memory (core.cache.ProcessMemo): fast, and never stale
after a write through the ORM or the services, in this process or (through the shared version)
any."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import cache as memo
from overview.api.serializers import (
    ScenarioProgressSerializer,
    catalogue_rows,
    progress_data,
    scenario_rows,
    untouched_rows,
)
from overview.progress import scenario_list_with_progress
from scenarios.models import Scenario
from scenarios.selectors import CATALOGUE, catalogue_memo
from scenarios.services import scenarios_set_active
from tests.factories import ScenarioFactory, UserSessionFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/scenarios/"


def slugs(api_client, query=""):
    response = api_client.get(LIST + query)
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["data"]]


def test_a_warm_catalogue_costs_no_scenario_query(api_client, user):
    ScenarioFactory.create_batch(3)
    slugs(api_client)
    with CaptureQueriesContext(connection) as queries:
        slugs(api_client)
    scenario_table = Scenario._meta.db_table
    assert not [q for q in queries.captured_queries if f'FROM "{scenario_table}"' in q["sql"]]


def test_the_query_count_does_not_grow_with_the_library(api_client, user):
    counts = []
    for size in (5, 60):
        ScenarioFactory.create_batch(size - Scenario.objects.count())
        UserSessionFactory(user=user, scenario=Scenario.objects.last(), status="active")
        slugs(api_client)  # each resize rebuilds the catalogue once
        with CaptureQueriesContext(connection) as queries:
            assert len(slugs(api_client, "?page_size=500")) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_an_edit_shows_at_once(api_client):
    scenario = ScenarioFactory(title="Before")
    assert slugs(api_client) == [scenario.slug]
    scenario.title = "After"
    scenario.save()
    assert api_client.get(LIST).json()["data"][0]["title"] == "After"


def test_a_new_scenario_and_a_deactivated_one_show_at_once(api_client):
    first = ScenarioFactory()
    assert slugs(api_client) == [first.slug]
    second = ScenarioFactory()
    assert slugs(api_client) == [first.slug, second.slug]
    scenarios_set_active(scenarios=Scenario.objects.filter(pk=first.pk), is_active=False)
    assert slugs(api_client) == [second.slug]


def test_a_new_prerequisite_locks_at_once(api_client):
    first, second = ScenarioFactory(), ScenarioFactory()
    assert api_client.get(LIST).json()["data"][1]["progress"]["locked"] is False
    second.prerequisites.add(first)
    row = api_client.get(LIST).json()["data"][1]
    assert row["progress"]["locked"] is True
    assert row["prerequisites"] == [first.slug]


def test_another_process_rebuilds_when_the_shared_version_changes(api_client):
    scenario = ScenarioFactory(title="Before")
    slugs(api_client)
    # A write this process did not see (another process's, here a bulk update: no signal).
    Scenario.objects.filter(pk=scenario.pk).update(title="After")
    assert api_client.get(LIST).json()["data"][0]["title"] == "Before"
    # That process bumped the version in the shared cache when it saved.
    cache.set(CATALOGUE.key(), "bumped-elsewhere", timeout=None)
    assert api_client.get(LIST).json()["data"][0]["title"] == "After"


def test_max_age_bounds_staleness_and_zero_turns_the_memo_off(api_client, settings):
    scenario = ScenarioFactory(title="Before")
    slugs(api_client)
    Scenario.objects.filter(pk=scenario.pk).update(title="After")
    settings.CATALOGUE_CACHE_SECONDS = 0
    assert api_client.get(LIST).json()["data"][0]["title"] == "After"


def test_a_flushed_cache_rebuilds(api_client):
    scenario = ScenarioFactory(title="Before")
    slugs(api_client)
    Scenario.objects.filter(pk=scenario.pk).update(title="After")
    cache.clear()
    assert api_client.get(LIST).json()["data"][0]["title"] == "After"


def test_progress_is_per_trainee_on_shared_scenarios(user, other_user):
    scenario = ScenarioFactory()
    UserSessionFactory(user=user, scenario=scenario, status="scored", score=90, passed=True)
    mine = scenario_list_with_progress(user=user)[0]
    theirs = scenario_list_with_progress(user=other_user)[0]
    assert mine.scenario is theirs.scenario  # one shared copy
    assert (mine.progress.completed, mine.progress.best_score) == (True, 90)
    assert (theirs.progress.completed, theirs.progress.attempts) == (False, 0)


def test_progress_data_matches_the_serializer(user):
    first, second = ScenarioFactory(), ScenarioFactory()
    second.prerequisites.add(first)
    UserSessionFactory(user=user, scenario=first, status="scored", score=40, passed=False)
    for row in scenario_list_with_progress(user=user):
        assert progress_data(row.progress) == ScenarioProgressSerializer(row.progress).data


def test_api_rows_shared_by_untouched_scenarios_equal_the_full_build(user):
    """Untouched, unlockable scenarios reuse one row per catalogue; every row must still be
    exactly what the serializer-built row with this trainee's progress would be."""
    first, second, third, fourth = ScenarioFactory.create_batch(4)
    second.prerequisites.add(first)  # locked until `first` is passed
    UserSessionFactory(user=user, scenario=third, status="scored", score=95, passed=True)
    UserSessionFactory(user=user, scenario=first, status="active")
    listing = scenario_list_with_progress(user=user)
    rows = catalogue_rows(listing.catalogue)
    for scenario in listing.scenarios:
        expected = {
            **rows[scenario.id],
            "progress": ScenarioProgressSerializer(listing.with_progress(scenario).progress).data,
        }
        assert scenario_rows(listing, [scenario]) == [expected]
    assert set(untouched_rows(listing.catalogue)) == {first.id, third.id, fourth.id}
    assert scenario_rows(listing, [second])[0]["progress"]["locked"] is True


def test_clear_all_forgets_every_process_value():
    ScenarioFactory(title="Before")
    catalogue_memo.get()
    assert catalogue_memo._values
    memo.clear_process_values()
    assert not catalogue_memo._values


# --- pagination -----------------------------------------------------------------------------


def test_the_list_is_paginated_with_the_filters_kept_in_meta(api_client):
    ScenarioFactory.create_batch(5, difficulty="starter")
    body = api_client.get(LIST + "?page_size=2&page=2&difficulty=starter").json()
    assert len(body["data"]) == 2
    meta = body["meta"]
    assert (meta["total"], meta["page"], meta["pages"]) == (5, 2, 3)
    assert "page=3" in meta["next"]
    assert "difficulty=starter" in meta["next"]
    assert meta["difficulty"] == "starter"


def test_a_default_page_holds_a_whole_normal_library(api_client):
    ScenarioFactory.create_batch(30)
    body = api_client.get(LIST).json()
    assert len(body["data"]) == body["meta"]["total"] == 30
    assert body["meta"]["next"] is None


def test_a_page_past_the_end_is_a_clear_404(api_client):
    ScenarioFactory()
    response = api_client.get(LIST + "?page=9")
    assert response.status_code == 404
    assert set(response.json()) == {"error", "details"}
