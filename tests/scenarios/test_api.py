import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from scenarios.models import Scenario
from sessions_app.models import UserSession
from tests.factories import ScenarioFactory, UserSessionFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/scenarios/"


def progress(body):
    return {item["slug"]: item["progress"] for item in body["data"]}


def test_anonymous_requests_are_refused_in_the_envelope():
    response = APIClient().get(LIST)
    assert response.status_code == 401
    assert set(response.json()) == {"error", "details"}


def test_the_list_carries_progress_locks_and_meta(api_client, history):
    response = api_client.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["meta"]["total"] == 5
    assert body["meta"]["difficulty"] is None
    assert [item["slug"] for item in body["data"]] == [
        "starter-a",
        "starter-b",
        "inter-c",
        "inter-d",
        "adv-e",
    ]
    assert progress(body) == {
        "starter-a": {
            "attempts": 2,
            "best_score": 85,
            "completed": True,
            "locked": False,
            "missing_prerequisites": [],
        },
        "starter-b": {
            "attempts": 1,
            "best_score": 55,
            "completed": False,
            "locked": False,
            "missing_prerequisites": [],
        },
        "inter-c": {
            "attempts": 1,
            "best_score": None,
            "completed": False,
            "locked": False,
            "missing_prerequisites": [],
        },
        "inter-d": {
            "attempts": 0,
            "best_score": None,
            "completed": False,
            "locked": True,
            "missing_prerequisites": ["starter-b"],
        },
        "adv-e": {
            "attempts": 0,
            "best_score": None,
            "completed": False,
            "locked": True,
            "missing_prerequisites": ["inter-c", "inter-d"],
        },
    }
    first = body["data"][0]
    assert first["category"] == "connectivity"
    assert first["priority"] == "high"
    assert body["data"][2]["prerequisites"] == ["starter-a"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?difficulty=intermediate", ["inter-c", "inter-d"]),
        ("?completed=true", ["starter-a"]),
        ("?completed=false", ["starter-b", "inter-c", "inter-d", "adv-e"]),
        ("?difficulty=starter&completed=false", ["starter-b"]),
        ("?category=billing-refunds", ["starter-b"]),
        ("?q=advanced", ["adv-e"]),
        ("?difficulty=", ["starter-a", "starter-b", "inter-c", "inter-d", "adv-e"]),
    ],
)
def test_list_filters(api_client, history, query, expected):
    body = api_client.get(LIST + query).json()
    assert [item["slug"] for item in body["data"]] == expected
    assert body["meta"]["total"] == len(expected)


def test_meta_echoes_the_difficulty(api_client, history):
    assert api_client.get(LIST + "?difficulty=advanced").json()["meta"]["difficulty"] == "advanced"


@pytest.mark.parametrize("query", ["?difficulty=expert", "?completed=maybe"])
def test_invalid_filters_are_a_400_envelope(api_client, history, query):
    response = api_client.get(LIST + query)
    assert response.status_code == 400
    body = response.json()
    assert body["error"].startswith("Validation failed.")
    assert body["details"]


def test_the_detail_includes_the_knowledge_base_and_public_persona(api_client, history):
    response = api_client.get(f"{LIST}inter-c/")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["progress"]["attempts"] == 1
    assert data["customer"] == {"name": "Dana Reyes", "technical_level": "novice"}
    assert data["knowledge_base"] == [
        {
            "id": "kb-reset",
            "title": "Reset the HX-200",
            "body": "Hold the reset button on the back for 10 seconds, then wait two minutes.",
            "key_phrases": ["reset button", "10 seconds"],
        }
    ]
    assert data["ticket_template"]["customer_info"]["account_id"] == "AC-99812"
    assert data["assessment"]["pass_score"] == 70
    assert "customer_persona" not in data
    assert '"requires"' not in json.dumps(data)
    assert '"confirm"' not in json.dumps(data)


def test_hidden_persona_data_never_appears_in_the_json(api_client, library):
    bodies = [api_client.get(LIST).content]
    for scenario in Scenario.objects.all():
        bodies.append(api_client.get(f"{LIST}{scenario.slug}/").content)
    everything = b"".join(bodies)
    for scenario in Scenario.objects.all():
        persona = scenario.customer_persona
        secrets = [fact["answer"] for fact in persona["facts"]]
        secrets += [persona["resolution"]["confirm"], persona["resolution"]["unresolved"]]
        for secret in secrets:
            for form in {secret, json.dumps(secret, ensure_ascii=False)[1:-1]}:
                assert form.encode() not in everything, (scenario.slug, secret)
    assert b'"facts"' not in everything
    assert b'"asked_by"' not in everything
    assert b'"forbidden_phrases"' not in everything
    assert b'"personality"' not in everything
    assert b'"requires"' not in everything


def test_unknown_or_inactive_is_404(api_client):
    ScenarioFactory(slug="retired", is_active=False)
    for url in (f"{LIST}retired/", f"{LIST}nope/"):
        response = api_client.get(url)
        assert response.status_code == 404
        assert response.json()["details"]["code"] == "scenario_not_found"
    assert api_client.post(f"{LIST}retired/start/").status_code == 404


def test_start_creates_a_session(api_client, history, user):
    response = api_client.post(f"{LIST}inter-c/start/")
    assert response.status_code == 201
    data = response.json()["data"]
    session = UserSession.objects.get(pk=data["id"])
    assert session.user == user
    assert session.is_preview is False
    assert data["status"] == "active"
    assert data["scenario"]["slug"] == "inter-c"


def test_starting_a_locked_scenario_is_a_409(api_client, history, user):
    before = UserSession.objects.count()
    response = api_client.post(f"{LIST}adv-e/start/")
    assert response.status_code == 409
    body = response.json()
    assert body["details"]["code"] == "scenario_locked"
    assert sorted(body["details"]["missing"]) == ["inter-c", "inter-d"]
    assert "C intermediate" in body["error"]
    assert UserSession.objects.count() == before


def _add_scenarios(count, user):
    previous = None
    for index in range(Scenario.objects.count(), count):
        scenario = ScenarioFactory(slug=f"bulk-{index:03d}")
        if previous:
            scenario.prerequisites.set([previous])
        UserSessionFactory(user=user, scenario=scenario, status="scored", score=70, passed=True)
        previous = scenario


def test_the_list_runs_a_constant_number_of_queries(api_client, user, django_assert_num_queries):
    _add_scenarios(5, user)
    with CaptureQueriesContext(connection) as few:
        assert len(api_client.get(LIST).json()["data"]) == 5
    _add_scenarios(60, user)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(api_client.get(LIST).json()["data"]) == 60
    assert len(few.captured_queries) <= 4
