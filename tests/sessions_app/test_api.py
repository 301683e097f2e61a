"""The REST path to sessions (docs/api.md), through the real DRF stack and envelope."""

import uuid

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from sessions_app.models import ChatMessage, SessionStatus, UserSession
from sessions_app.services import session_start
from tests.factories import ScenarioFactory, UserFactory, UserSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(user, scenario):
    return session_start(user=user, scenario=scenario)


def url(session, action=""):
    return f"/api/v1/sessions/{session.pk}/" + (f"{action}/" if action else "")


def test_the_list_shows_only_my_sessions_newest_first(api_client, user, other_user):
    older = UserSessionFactory(user=user)
    newer = UserSessionFactory(user=user)
    UserSession.objects.filter(pk=older.pk).update(started_at=newer.started_at.replace(year=2020))
    UserSessionFactory(user=other_user)
    response = api_client.get("/api/v1/sessions/")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert [s["id"] for s in body["data"]] == [str(newer.pk), str(older.pk)]
    assert body["meta"]["total"] == 2
    first = body["data"][0]
    assert set(first) >= {"id", "scenario", "status", "outcome", "score", "passed", "xp_awarded"}
    assert set(first["scenario"]) == {"slug", "title", "difficulty"}
    assert "messages" not in first


def test_the_list_costs_the_same_queries_for_few_and_many(
    api_client, user, django_assert_max_num_queries, django_assert_num_queries
):
    UserSessionFactory(user=user)
    with django_assert_max_num_queries(4) as few:
        api_client.get("/api/v1/sessions/")
    for _ in range(8):
        UserSessionFactory(user=user, scenario=ScenarioFactory())
    with django_assert_num_queries(len(few.captured_queries)):
        response = api_client.get("/api/v1/sessions/")
    assert len(response.json()["data"]) == 9


def test_the_detail_has_the_transcript_and_no_metrics_before_scoring(api_client, live):
    response = api_client.get(url(live))
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "active"
    assert data["metrics"] == []
    [opening] = data["messages"]
    assert set(opening) == {"id", "seq", "role", "content", "created_at", "client_id"}


def test_someone_elses_session_is_a_404_everywhere(live, other_user):
    client = APIClient()
    client.force_authenticate(other_user)
    for response in (
        client.get(url(live)),
        client.post(url(live, "messages"), {"content": "hi"}, format="json"),
        client.post(url(live, "complete")),
    ):
        assert response.status_code == 404
        assert response.json()["error"]
    assert live.messages.count() == 1
    assert APIClient().get(url(live)).status_code == 401
    assert client.get(f"/api/v1/sessions/{uuid.uuid4()}/").status_code == 404


def test_posting_a_message_returns_the_whole_reply(api_client, live):
    client_id = str(uuid.uuid4())
    response = api_client.post(
        url(live, "messages"),
        {"content": "Hi, what colour is the light?", "client_id": client_id},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    agent, customer = body["data"]["agent_message"], body["data"]["customer_message"]
    assert (agent["role"], agent["seq"], agent["client_id"]) == ("agent", 2, client_id)
    assert (customer["role"], customer["seq"]) == ("customer", 3)
    assert "blinking orange" in customer["content"]
    assert body["meta"]["status"] == "active"

    again = api_client.post(
        url(live, "messages"),
        {"content": "Hi, what colour is the light?", "client_id": client_id},
        format="json",
    )
    assert again.status_code in (200, 201)
    assert again.json()["data"] == body["data"]
    assert live.messages.count() == 3


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"content": "x" * 4001}, "too_long"),
        ({"content": "   "}, "empty"),
        ({"content": "hi", "client_id": "nope"}, None),
        ({}, None),
    ],
)
def test_invalid_messages_are_400_in_the_envelope(api_client, live, payload, code):
    response = api_client.post(url(live, "messages"), payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"]
    if code:
        assert body["details"]["code"] == code
    assert live.messages.count() == 1


def test_resolving_over_rest(api_client, live):
    response = api_client.post(
        url(live, "messages"), {"content": "Hold the reset button for 10 seconds."}, format="json"
    )
    assert response.json()["data"]["customer_message"]["content"] == "Oh, it's back up. Thanks!"
    assert response.json()["meta"]["outcome"] == "resolved"


def test_complete_is_202_then_the_session_is_scored(
    api_client, live, django_capture_on_commit_callbacks
):
    api_client.post(url(live, "messages"), {"content": "Hello, sorry for the wait!"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(url(live, "complete"))
    assert response.status_code == 202
    assert response.json()["data"]["status"] in ("scoring", "scored")

    detail = api_client.get(url(live)).json()["data"]
    assert detail["status"] == "scored"
    assert detail["score"] is not None
    assert detail["passed"] in (True, False)
    assert detail["metrics"]
    assert set(detail["metrics"][0]) == {
        "criterion",
        "score",
        "weight",
        "rationale",
        "evidence",
        "tip",
        "machine_score",
        "review_comment",
    }
    assert detail["review"] is None
    # Completing twice is harmless; messages after the end are a 409.
    assert api_client.post(url(live, "complete")).status_code == 202
    late = api_client.post(url(live, "messages"), {"content": "hello?"}, format="json")
    assert late.status_code == 409
    assert late.json()["details"]["code"] == "session_not_active"


def test_an_abandoned_session_cannot_be_completed(api_client, user):
    session = UserSessionFactory(user=user, status=SessionStatus.ABANDONED)
    assert api_client.post(url(session, "complete")).status_code == 409


def test_message_posting_is_throttled(api_client, live, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"messages": "2/min"})
    for text in ("one", "two"):
        response = api_client.post(url(live, "messages"), {"content": text}, format="json")
        assert response.status_code == 201
    response = api_client.post(url(live, "messages"), {"content": "three"}, format="json")
    assert response.status_code == 429
    assert not ChatMessage.objects.filter(session=live, content="three").exists()


def test_staff_see_only_their_own_sessions_in_the_list(live):
    staff = UserFactory(is_staff=True)
    client = APIClient()
    client.force_authenticate(staff)
    assert client.get("/api/v1/sessions/").json()["data"] == []
    assert client.get(url(live)).status_code == 200  # but may open one to help
