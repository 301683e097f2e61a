"""GET /api/v1/performance/summary/."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.performance.helpers import CRITERIA, scored_sessions

pytestmark = pytest.mark.django_db
URL = "/api/v1/performance/summary/"


def test_requires_authentication():
    response = APIClient().get(URL)
    assert response.status_code == 401
    assert response.json()["error"]


def test_empty_summary(api_client):
    body = api_client.get(URL).json()
    assert body["success"] is True
    data = body["data"]
    assert data["sessions_count"] == 0
    assert data["pass_rate"] is None
    assert data["criteria"] == []
    assert data["strongest_criterion"] is None
    assert data["weakest_criterion"] is None


def test_summary_figures(api_client, user, other_user, scenario):
    # Twelve sessions scoring 60..71: the last five average 69, the five before 64.
    scored_sessions(user=user, scenario=scenario, count=12, start_score=60)
    scored_sessions(user=user, scenario=scenario, count=3, is_preview=True)
    scored_sessions(user=other_user, scenario=scenario, count=2)

    response = api_client.get(URL)
    assert response.status_code == 200
    body = response.json()
    data = body["data"]
    assert body["meta"]["sessions_count"] == 12
    assert data["sessions_count"] == 12
    assert data["passed_count"] == 2  # 70 and 71
    assert data["pass_rate"] == pytest.approx(2 / 12, abs=0.001)
    assert data["average_score"] == 65.5
    assert data["best_score"] == 71
    assert data["time_practised_seconds"] == 12 * 600
    assert data["total_trend"] == {
        "recent_average": 69.0,
        "previous_average": 64.0,
        "delta": 5.0,
        "direction": "up",
    }
    assert [p["score"] for p in data["totals"]] == list(range(60, 72))

    by_key = {c["key"]: c for c in data["criteria"]}
    assert set(by_key) == set(CRITERIA)
    assert by_key["greeting"]["average"] == 85.5
    assert by_key["resolution"]["average"] == 45.5
    assert by_key["empathy"]["sessions"] == 12
    assert len(by_key["empathy"]["points"]) == 12
    assert by_key["empathy"]["trend"]["direction"] == "up"
    assert data["strongest_criterion"] == {"key": "greeting", "label": "Greeting", "average": 85.5}
    assert data["weakest_criterion"]["key"] == "resolution"


def test_summary_queries_do_not_grow_with_sessions(api_client, user, scenario):
    scored_sessions(user=user, scenario=scenario, count=3)
    with CaptureQueriesContext(connection) as few:
        assert api_client.get(URL).status_code == 200
    scored_sessions(user=user, scenario=scenario, count=47)
    with CaptureQueriesContext(connection) as many:
        body = api_client.get(URL).json()
    assert body["data"]["sessions_count"] == 50
    assert len(few) == len(many) <= 4


def test_summary_is_documented_in_the_schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    path = response.json()["paths"]["/api/v1/performance/summary/"]["get"]
    assert path["tags"] == ["performance"]
