"""The review through the pages: the trainer's review page and team list, and what the
trainee then sees on their report."""

import pytest
from django.test import Client

from accounts.models import TeamMembership
from accounts.services import team_create, trainer_role_grant
from performance.models import PerformanceMetric
from sessions_app.models import SessionStatus
from tests.factories import ScenarioFactory, UserFactory, UserSessionFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def setup(user):
    trainer = UserFactory(public_name="Coach Kim")
    trainer_role_grant(user=trainer)
    team = team_create(trainer=trainer, name="Tier 1")
    TeamMembership.objects.create(team=team, user=user)
    session = UserSessionFactory(
        user=user,
        scenario=ScenarioFactory(title="Router woes"),
        status=SessionStatus.SCORED,
        score=60,
        passed=False,
    )
    for criterion, score in (("empathy", 40), ("resolution", 80)):
        PerformanceMetric.objects.create(
            session=session, user=user, criterion=criterion, score=score, weight=50.0
        )
    return trainer, team, session


def test_the_trainer_reviews_and_the_trainee_reads_it_on_the_report(setup, user):
    trainer, team, session = setup
    coach = client_for(trainer)
    listing = coach.get(f"/teams/{team.pk}/training/").content.decode()
    assert f"/review/{session.pk}/" in listing
    page = coach.get(f"/review/{session.pk}/")
    assert page.status_code == 200
    assert 'name="score_empathy"' in page.content.decode()

    saved = coach.post(
        f"/review/{session.pk}/",
        {
            "score_empathy": 90,
            "comment_empathy": "They named the deadline.",
            "score_resolution": 80,
            "comment_resolution": "",
            "comment": "A solid save.",
        },
    )
    assert saved.status_code == 302
    assert "Reviewed · open" in coach.get(f"/teams/{team.pk}/training/").content.decode()

    report = client_for(user).get(f"/sessions/{session.pk}/").content.decode()
    assert "Reviewed by Coach Kim" in report
    assert "A solid save." in report
    assert "the machine gave 40" in report
    assert "They named the deadline." in report


def test_nobody_else_reaches_the_review_page(setup, user, other_user):
    _trainer, _team, session = setup
    other_trainer = UserFactory()
    trainer_role_grant(user=other_trainer)
    for person in (user, other_user, other_trainer):
        client = client_for(person)
        assert client.get(f"/review/{session.pk}/").status_code == 404
        assert client.post(f"/review/{session.pk}/", {"score_empathy": 100}).status_code == 404
    session.refresh_from_db()
    assert session.score == 60


def test_the_review_page_lists_the_hints_the_trainee_took(setup):
    from sessions_app.models import SessionHint

    trainer, _team, session = setup
    SessionHint.objects.create(
        session=session, after_seq=3, replies=1, kind="ask", text="Ask <it>."
    )
    html = client_for(trainer).get(f"/review/{session.pk}/").content.decode()
    assert "1 hint used during the chat" in html
    assert "After reply 1:</span> Ask &lt;it&gt;." in html
