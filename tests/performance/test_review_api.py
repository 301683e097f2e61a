"""A trainer's review through the API: GET/PUT /api/v1/sessions/<id>/review/ and
GET /api/v1/teams/<id>/sessions/. Only a trainer of the trainee's team gets anything but a 404,
and the 404 comes before the body is read; a saved review recalculates the total, keeps the
machine's scores, is audited, and moves XP once however often it is saved."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import TeamMembership, TeamRole
from accounts.services import team_create, trainer_role_grant
from gamification.models import XPReason, XPTransaction
from gamification.services import process_scored_session
from performance.models import PerformanceMetric, ScoreOverride, SessionReview
from sessions_app.models import SessionStatus, UserSession
from tests.factories import ScenarioFactory, UserFactory, UserSessionFactory

pytestmark = pytest.mark.django_db

MISSING = "00000000-0000-4000-8000-00000000dead"


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def make_trainer(**fields):
    trainer = UserFactory(**fields)
    trainer_role_grant(user=trainer)
    return trainer


@pytest.fixture
def trainer():
    return make_trainer(public_name="Coach Kim")


@pytest.fixture
def team(trainer, user):
    team = team_create(trainer=trainer, name="Tier 1")
    TeamMembership.objects.create(team=team, user=user)
    return team


@pytest.fixture
def scored(team, user):
    """A session of the trainee scored 60 (pass mark 70) on two equally weighted criteria."""
    session = UserSessionFactory(
        user=user,
        scenario=ScenarioFactory(xp_reward=100, slug="router-woes", title="Router woes"),
        status=SessionStatus.SCORED,
        score=60,
        passed=False,
        scored_at=timezone.now(),
    )
    for criterion, score in (("empathy", 40), ("resolution", 80)):
        PerformanceMetric.objects.create(
            session=session,
            user=user,
            criterion=criterion,
            score=score,
            weight=50.0,
            rationale=f"{criterion} rationale",
        )
    process_scored_session(session=session)  # a fail: 10 % of 100 XP
    return session


def url(session) -> str:
    return f"/api/v1/sessions/{session.pk}/review/"


GOOD_BODY = {
    "comment": "  Good recovery after a slow start. ",
    "corrections": {"empathy": {"score": 90, "comment": "They named the deadline."}},
}


def snapshot_of(session) -> dict:
    """What a refused request must leave exactly as it was."""
    session = UserSession.objects.get(pk=session.pk)
    return {
        "session": (session.score, session.passed, session.updated_at),
        "metrics": list(
            PerformanceMetric.objects.filter(session=session)
            .order_by("criterion")
            .values_list("criterion", "score", "machine_score", "review_comment")
        ),
        "reviews": SessionReview.objects.count(),
        "overrides": ScoreOverride.objects.count(),
        "xp": list(XPTransaction.objects.order_by("pk").values_list("user_id", "amount")),
    }


# --- who may ---------------------------------------------------------------------------------


def test_nobody_but_a_trainer_of_the_trainees_team_gets_anything_but_404(scored, user, other_user):
    other_trainer = make_trainer()
    team_create(trainer=other_trainer, name="Another team")
    before = snapshot_of(scored)
    for person in (other_trainer, user, other_user):
        client = api_for(person)
        for response in (
            client.get(url(scored)),
            client.put(url(scored), GOOD_BODY, format="json"),
            # 404 before the body is read: an invalid body says nothing more.
            client.put(url(scored), {"corrections": {"x": {"score": 999}}}, format="json"),
            client.put(url(scored), "not json", content_type="application/json"),
        ):
            assert response.status_code == 404, (person, response.content)
            assert response.json()["details"] == {"code": "session_not_found"}
    assert snapshot_of(scored) == before


def test_the_answer_is_the_same_as_for_a_session_that_does_not_exist(scored, other_user):
    client = api_for(other_user)
    theirs = client.get(url(scored))
    ghost = client.get(f"/api/v1/sessions/{MISSING}/review/")
    assert theirs.status_code == ghost.status_code == 404
    assert theirs.json() == ghost.json()


def test_a_session_not_yet_scored_cannot_be_reviewed(team, trainer, user):
    active = UserSessionFactory(user=user, status=SessionStatus.ACTIVE)
    assert api_for(trainer).get(url(active)).status_code == 404


def test_anonymous_callers_get_401_and_change_nothing(scored, team):
    before = snapshot_of(scored)
    client = APIClient()
    assert client.get(url(scored)).status_code == 401
    assert client.put(url(scored), GOOD_BODY, format="json").status_code == 401
    assert client.get(f"/api/v1/teams/{team.pk}/sessions/").status_code == 401
    assert snapshot_of(scored) == before


# --- reading and saving -------------------------------------------------------------------------


def test_get_shows_the_criteria_and_no_review_yet(trainer, scored):
    response = api_for(trainer).get(url(scored))
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["session_id"], data["score"], data["passed"]) == (str(scored.pk), 60, False)
    assert data["review"] is None
    assert [
        (c["criterion"], c["score"], c["machine_score"], c["weight"]) for c in data["criteria"]
    ] == [
        ("empathy", 40, None, 50.0),
        ("resolution", 80, None, 50.0),
    ]
    assert data["criteria"][0]["rationale"] == "empathy rationale"
    assert data["criteria"][0]["review_comment"] == ""


def test_put_recalculates_the_total_keeps_the_machine_score_and_audits(trainer, scored):
    response = api_for(trainer).put(url(scored), GOOD_BODY, format="json")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["score"], data["passed"]) == (85, True)  # (90 + 80) / 2, pass mark 70
    empathy, resolution = data["criteria"]
    assert (empathy["score"], empathy["machine_score"]) == (90, 40)
    assert empathy["review_comment"] == "They named the deadline."
    assert (resolution["score"], resolution["machine_score"]) == (80, None)
    review = data["review"]
    assert review["comment"] == "Good recovery after a slow start."
    assert review["reviewer_display_name"] == trainer.display_name
    assert review["machine_score"] == 60
    assert review["reviewed_at"]

    scored.refresh_from_db()
    assert (scored.score, scored.passed) == (85, True)
    [audit] = ScoreOverride.objects.all()
    assert (audit.reviewer, audit.score_before, audit.score_after) == (trainer, 40, 90)
    assert audit.comment == "They named the deadline."
    # GET answers the same body afterwards.
    assert api_for(trainer).get(url(scored)).json()["data"] == data


def test_saving_the_same_body_twice_moves_xp_once(trainer, scored, user):
    user.refresh_from_db()
    xp_before = user.xp
    client = api_for(trainer)
    first = client.put(url(scored), GOOD_BODY, format="json")
    second = client.put(url(scored), GOOD_BODY, format="json")
    assert first.status_code == second.status_code == 200
    assert first.json()["data"]["score"] == second.json()["data"]["score"] == 85
    reviews = XPTransaction.objects.filter(session=scored, reason=XPReason.REVIEW)
    assert list(reviews.values_list("amount", flat=True)) == [75]  # a pass at 85: 85 - 10
    user.refresh_from_db()
    assert user.xp == xp_before + 75
    assert ScoreOverride.objects.count() == 1  # the second save changed no score
    assert SessionReview.objects.count() == 1


def test_an_empty_correction_set_only_marks_the_session_reviewed(trainer, scored):
    response = api_for(trainer).put(url(scored), {"corrections": {}}, format="json")
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["score"], data["passed"]) == (60, False)
    assert data["review"]["comment"] == ""
    assert not ScoreOverride.objects.exists()
    reviews = XPTransaction.objects.filter(session=scored, reason=XPReason.REVIEW)
    assert set(reviews.values_list("amount", flat=True)) <= {0}  # the total did not move


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"corrections": {"tone": {"score": 50}}}, "invalid_review"),
        ({"corrections": {"empathy": {"score": 101}}}, None),
        ({"corrections": {"empathy": {"score": -1}}}, None),
        ({"corrections": {"empathy": {"score": "lots"}}}, None),
        ({"corrections": {"empathy": {"comment": "no score"}}}, None),
        ({"corrections": ["empathy"]}, None),
        ({"comment": "no corrections"}, None),
    ],
)
def test_invalid_bodies_are_400_and_change_nothing(trainer, scored, body, code):
    before = snapshot_of(scored)
    response = api_for(trainer).put(url(scored), body, format="json")
    assert response.status_code == 400, response.content
    details = response.json()["details"]
    if code:
        assert details == {"code": code}
    else:
        assert "code" not in details  # a field-by-field validation error
    assert snapshot_of(scored) == before


# --- the team's sessions ------------------------------------------------------------------------


def test_the_team_list_shows_members_latest_sessions_with_reviewed(trainer, team, scored, user):
    other = UserSessionFactory(
        user=user,
        status=SessionStatus.SCORED,
        score=90,
        passed=True,
        scored_at=timezone.now(),
    )
    stranger_session = UserSessionFactory(status=SessionStatus.SCORED, score=50, passed=False)
    api_for(trainer).put(url(scored), {"corrections": {}}, format="json")

    response = api_for(trainer).get(f"/api/v1/teams/{team.pk}/sessions/")
    assert response.status_code == 200
    body = response.json()
    rows = {row["id"]: row for row in body["data"]}
    assert set(rows) == {str(scored.pk), str(other.pk)}
    assert str(stranger_session.pk) not in rows
    assert body["meta"]["total"] == 2
    row = rows[str(scored.pk)]
    assert row == {
        "id": str(scored.pk),
        "trainee_display_name": user.display_name,
        "scenario_slug": "router-woes",
        "scenario_title": "Router woes",
        "score": 60,
        "passed": False,
        "scored_at": row["scored_at"],
        "reviewed": True,
    }
    assert row["scored_at"]
    assert rows[str(other.pk)]["reviewed"] is False


def test_only_the_teams_trainers_see_its_sessions(team, scored, user, other_user):
    other_trainer = make_trainer()
    team_create(trainer=other_trainer, name="Another team")
    for person in (other_trainer, user, other_user):
        response = api_for(person).get(f"/api/v1/teams/{team.pk}/sessions/")
        assert response.status_code == 404, person
        assert response.json()["details"] == {"code": "team_not_found"}
    ghost = api_for(other_user).get("/api/v1/teams/999999/sessions/")
    assert ghost.json() == response.json()


def _team_of(size: int):
    trainer = make_trainer()
    team = team_create(trainer=trainer, name=f"Team of {size}")
    scenario = ScenarioFactory()
    members = UserFactory.create_batch(size)
    TeamMembership.objects.bulk_create(TeamMembership(team=team, user=m) for m in members)
    for member in members:
        UserSessionFactory(
            user=member,
            scenario=scenario,
            status=SessionStatus.SCORED,
            score=70,
            passed=True,
            scored_at=timezone.now(),
        )
    return trainer, team


def _queries_for(trainer, team) -> int:
    client = api_for(trainer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/teams/{team.pk}/sessions/")
    assert response.status_code == 200
    assert response.json()["meta"]["total"] == min(
        30, team.memberships.filter(role=TeamRole.MEMBER).count()
    )
    return len(queries)


def test_the_team_list_costs_the_same_queries_for_10_and_100_members(db):
    small = _queries_for(*_team_of(10))
    large = _queries_for(*_team_of(100))
    assert small == large


def test_the_trainee_reads_the_review_in_their_session_detail(trainer, user, scored):
    detail = f"/api/v1/sessions/{scored.pk}/"
    before = api_for(user).get(detail).json()["data"]
    assert before["review"] is None
    assert {m["machine_score"] for m in before["metrics"]} == {None}

    assert api_for(trainer).put(url(scored), GOOD_BODY, format="json").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        after = api_for(user).get(detail).json()["data"]
    assert after["review"]["reviewer"] == "Coach Kim"
    assert after["review"]["comment"] == "Good recovery after a slow start."
    assert after["review"]["machine_score"] == 60
    assert after["score"] == 85
    empathy = next(m for m in after["metrics"] if m["criterion"] == "empathy")
    assert (empathy["score"], empathy["machine_score"]) == (90, 40)
    assert empathy["review_comment"] == "They named the deadline."
    # The review rides on the session's own query: no query of its own.
    assert not [q for q in queries.captured_queries if "performance_sessionreview" in q["sql"]][1:]
