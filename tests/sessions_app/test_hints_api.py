"""`/api/v1/sessions/<id>/hints/`: the REST path to a hint, for the owner only."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from sessions_app import hints
from sessions_app.models import SessionHint
from sessions_app.services import session_end, session_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(user, scenario):
    return session_start(user=user, scenario=scenario)


def url(session_id) -> str:
    return f"/api/v1/sessions/{session_id}/hints/"


def test_asking_for_a_hint_returns_it_and_what_is_left(api_client, live):
    response = api_client.post(url(live.pk))
    assert response.status_code == 201
    body = response.json()["data"]
    assert body["hint"]["kind"] == "greet"
    assert (body["hints_used"], body["hints_left"], body["xp_cost_percent"]) == (1, 2, 10)
    again = api_client.post(url(live.pk))
    assert again.status_code == 200
    assert again.json()["data"]["hint"] == body["hint"]
    listed = api_client.get(url(live.pk)).json()["data"]
    assert listed == [body["hint"]]
    detail = api_client.get(f"/api/v1/sessions/{live.pk}/").json()["data"]
    assert detail["hints"] == [body["hint"]]


def test_someone_elses_session_and_an_unknown_one_are_404(live, other_user):
    stranger = APIClient()
    stranger.force_authenticate(other_user)
    assert stranger.post(url(live.pk)).status_code == 404
    assert stranger.get(url(live.pk)).status_code == 404
    assert stranger.post(url(uuid.uuid4())).status_code == 404
    assert not live.hints.exists()


def test_no_hint_once_the_session_ended_or_the_hints_ran_out(api_client, live):
    for seq in range(hints.LIMIT):
        SessionHint.objects.create(session=live, after_seq=100 + seq, kind="ask", text="…")
    response = api_client.post(url(live.pk))
    assert response.status_code == 409
    assert response.json()["details"]["code"] == "hint_limit"
    session_end(session=live)
    response = api_client.post(url(live.pk))
    assert response.status_code == 409
    assert response.json()["details"]["code"] == "session_not_active"


def test_anonymous_callers_are_refused(live):
    assert APIClient().post(url(live.pk)).status_code in (401, 403)


def test_the_session_detail_reads_its_hints_in_one_query_however_many(
    api_client, live, django_assert_num_queries
):
    SessionHint.objects.create(session=live, after_seq=100, kind="ask", text="one")
    with CaptureQueriesContext(connection) as one:
        api_client.get(f"/api/v1/sessions/{live.pk}/")
    for seq in range(2):
        SessionHint.objects.create(session=live, after_seq=200 + seq, kind="ask", text="more")
    with django_assert_num_queries(len(one.captured_queries)):
        response = api_client.get(f"/api/v1/sessions/{live.pk}/")
    assert len(response.json()["data"]["hints"]) == 3
