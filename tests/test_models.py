import pytest
from django.db import IntegrityError, transaction

from accounts.models import level_for_xp
from gamification.models import Achievement, UserAchievement, XPTransaction
from performance.models import PerformanceMetric
from sessions_app.models import ChatMessage
from tests.factories import ChatMessageFactory, UserSessionFactory

pytestmark = pytest.mark.django_db


def test_duplicate_seq_in_one_session_is_refused():
    message = ChatMessageFactory(seq=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChatMessage.objects.create(session=message.session, seq=1, role="agent", content="again")


def test_duplicate_client_id_in_one_session_is_refused():
    message = ChatMessageFactory(seq=1, client_id="8d9f0a43-3a8c-4bb6-94c8-2a1b6a0d8f10")
    with pytest.raises(IntegrityError), transaction.atomic():
        ChatMessage.objects.create(
            session=message.session, seq=2, role="agent", content="x", client_id=message.client_id
        )
    # Messages without a client id never clash.
    ChatMessage.objects.create(session=message.session, seq=3, role="customer", content="a")
    ChatMessage.objects.create(session=message.session, seq=4, role="customer", content="b")


def test_a_session_awards_xp_once():
    session = UserSessionFactory()
    XPTransaction.objects.create(user=session.user, session=session, reason="session", amount=40)
    with pytest.raises(IntegrityError), transaction.atomic():
        XPTransaction.objects.create(
            user=session.user, session=session, reason="session", amount=40
        )


def test_an_achievement_unlocks_once():
    session = UserSessionFactory()
    achievement = Achievement.objects.create(key="first", rule="first", name="F", description="d")
    UserAchievement.objects.create(user=session.user, achievement=achievement)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserAchievement.objects.create(user=session.user, achievement=achievement)


def test_one_metric_per_session_and_criterion():
    session = UserSessionFactory()
    PerformanceMetric.objects.create(
        session=session, user=session.user, criterion="empathy", score=50, weight=1
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PerformanceMetric.objects.create(
            session=session, user=session.user, criterion="empathy", score=60, weight=1
        )


@pytest.mark.parametrize(("xp", "level"), [(0, 1), (99, 1), (100, 2), (199, 2), (200, 3)])
def test_level_rule(xp, level):
    assert level_for_xp(xp) == level
