"""Whatever a body carries, the server alone sets XP, levels, staff flags, scores and statuses.

Each endpoint that accepts a write is sent the fields a cheating client would try; the stored
rows must show only what the server decided.
"""

import uuid

import pytest
from django.urls import Resolver404, resolve

from sessions_app.models import ChatMessage, UserSession
from tests.factories import UserSessionFactory

pytestmark = pytest.mark.django_db

CHEATS = {
    "score": 100,
    "passed": True,
    "xp_awarded": 5000,
    "xp": 5000,
    "level": 50,
    "status": "scored",
    "outcome": "resolved",
    "is_preview": True,
    "is_staff": True,
}


def _require_route(path: str) -> None:
    try:
        landed = resolve(path).func.__name__ != "api_not_found"
    except Resolver404:
        landed = False
    if not landed:
        pytest.skip(f"{path} has not landed yet")


def test_profile_update_ignores_identity_and_privilege_fields(api_client, user, password):
    email = user.email
    response = api_client.patch(
        "/api/v1/users/me/",
        {
            "last_name": "Hopper",
            "email": "someone-else@example.com",
            "id": user.pk + 1000,
            "is_superuser": True,
            "is_active": False,
            "password": "new-password-123",
            **CHEATS,
        },
        format="json",
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.last_name == "Hopper"
    assert (user.email, user.is_superuser, user.is_staff, user.is_active) == (
        email,
        False,
        False,
        True,
    )
    assert (user.xp, user.level) == (0, 1)
    assert user.check_password(password)


def test_starting_a_session_ignores_score_status_and_owner(api_client, user, other_user, scenario):
    response = api_client.post(
        f"/api/v1/scenarios/{scenario.slug}/start/",
        {**CHEATS, "user": other_user.pk, "user_id": other_user.pk},
        format="json",
    )
    assert response.status_code == 201
    session = UserSession.objects.get(pk=response.json()["data"]["id"])
    assert session.user == user
    assert (session.status, session.outcome, session.is_preview) == ("active", "", False)
    assert (session.score, session.passed, session.xp_awarded) == (None, None, 0)


def test_posting_a_message_ignores_role_order_and_score(api_client, user, other_user, scenario):
    session = UserSessionFactory(user=user, scenario=scenario)
    url = f"/api/v1/sessions/{session.pk}/messages/"
    _require_route(url)
    others = UserSessionFactory(user=other_user, scenario=scenario)

    response = api_client.post(
        url,
        {
            "content": "Hello Dana, how can I help?",
            "role": "customer",
            "seq": 999,
            "id": str(uuid.uuid4()),
            "session": str(others.pk),
            **CHEATS,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    stored = ChatMessage.objects.get(pk=response.json()["data"]["agent_message"]["id"])
    assert (stored.session_id, stored.role) == (session.pk, "agent")
    assert stored.seq != 999
    assert not others.messages.exists()
    session.refresh_from_db()
    assert (session.score, session.passed, session.xp_awarded) == (None, None, 0)
    user.refresh_from_db()
    assert user.xp == 0


def test_completing_a_session_scores_it_on_the_server(
    api_client, user, scenario, django_capture_on_commit_callbacks
):
    session = UserSessionFactory(user=user, scenario=scenario)
    url = f"/api/v1/sessions/{session.pk}/complete/"
    _require_route(url)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(url, CHEATS, format="json")

    assert response.status_code == 202, response.json()
    session.refresh_from_db()
    user.refresh_from_db()
    # Scored by the rubric for a conversation in which the trainee said nothing: not the 100,
    # the pass or the 5000 XP the body asked for (achievements may add a little XP of their own).
    assert session.status == "scored"
    assert session.score != 100
    assert session.passed is False
    assert session.xp_awarded < 5000
    assert user.xp < 5000
