"""The notifications socket, through the real ASGI application and channel layer."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from accounts.models import User
from config.asgi import application
from gamification.services import process_scored_session
from tests.factories import UserFactory
from tests.gamification.conftest import make_scored

pytestmark = pytest.mark.django_db(transaction=True)

HOST = (b"host", b"testserver")
ORIGIN = (b"origin", b"http://testserver")


def _logged_in_trainee(xp=0):
    call_command("load_achievements", verbosity=0)  # transactional tests start from a flush
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(xp=xp, level=xp // 100 + 1)
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return user, cookie.encode()


async def _connect(cookie):
    communicator = WebsocketCommunicator(
        application, "/ws/notifications/", headers=[HOST, ORIGIN, (b"cookie", cookie)]
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _drain(communicator, quiet=0.5):
    """Every event that arrives until the socket has been quiet for `quiet` seconds.
    (receive_nothing, unlike a timed-out receive, leaves the consumer running.)"""
    events = []
    while not await communicator.receive_nothing(timeout=quiet):
        events.append(await communicator.receive_json_from())
    return events


async def test_scoring_pushes_xp_achievements_and_level_up_to_every_open_page():
    user, cookie = await database_sync_to_async(_logged_in_trainee)(xp=80)
    first_tab = await _connect(cookie)
    second_tab = await _connect(cookie)

    def score():
        with transaction.atomic():
            session = make_scored(user=user, score=100)
            return process_scored_session(session=session)

    result = await database_sync_to_async(score)()

    for tab in (first_tab, second_tab):
        events = await _drain(tab)
        types = [e["type"] for e in events]
        assert types[0] == "xp.awarded"
        assert events[0]["amount"] == 50
        assert events[0]["total_xp"] == 130
        assert events[0]["reason"]
        unlocked = [e for e in events if e["type"] == "achievement.unlocked"]
        assert {e["key"] for e in unlocked} == {a["key"] for a in result["achievements"]}
        assert {"first-session", "first-pass", "perfect-score"} <= {e["key"] for e in unlocked}
        for event in unlocked:
            assert set(event) >= {"key", "name", "description", "icon", "bonus_xp"}
        assert types[-1] == "level.up"
        assert events[-1]["previous_level"] == 1
        assert events[-1]["level"] == result["level_after"] >= 2
        # The last xp.awarded carries the trainee's final total.
        final = await database_sync_to_async(lambda: User.objects.get(pk=user.pk).xp)()
        assert [e for e in events if e["type"] == "xp.awarded"][-1]["total_xp"] == final
    await first_tab.disconnect()
    await second_tab.disconnect()


async def test_nothing_is_sent_when_the_transaction_rolls_back():
    user, cookie = await database_sync_to_async(_logged_in_trainee)()
    tab = await _connect(cookie)

    def score_then_fail():
        with transaction.atomic():
            process_scored_session(session=make_scored(user=user, score=100))
            transaction.set_rollback(True)

    await database_sync_to_async(score_then_fail)()
    assert await _drain(tab) == []
    await tab.disconnect()


async def test_other_trainees_receive_nothing():
    user, _ = await database_sync_to_async(_logged_in_trainee)()
    _, other_cookie = await database_sync_to_async(_logged_in_trainee)()
    other_tab = await _connect(other_cookie)

    def score():
        with transaction.atomic():
            process_scored_session(session=make_scored(user=user, score=100))

    await database_sync_to_async(score)()
    assert await _drain(other_tab) == []
    await other_tab.disconnect()


async def test_a_session_scored_by_the_celery_task_is_announced():
    from performance.tasks import score_session
    from sessions_app.models import SessionStatus

    user, cookie = await database_sync_to_async(_logged_in_trainee)(xp=99)
    tab = await _connect(cookie)

    def end_and_score():
        session = make_scored(user=user, score=None, passed=False, outcome="ended")
        type(session).objects.filter(pk=session.pk).update(
            status=SessionStatus.SCORING, score=None, passed=None, scored_at=None
        )
        score_session.apply(args=[str(session.pk)])
        return session.pk

    session_id = await database_sync_to_async(end_and_score)()
    types = [e["type"] for e in await _drain(tab)]
    assert "session.scored" in types
    assert "xp.awarded" in types
    assert "achievement.unlocked" in types
    assert "level.up" in types
    assert session_id
    await tab.disconnect()


async def test_anonymous_is_accepted_then_closed_with_4401():
    # Accepted first: a browser only sees the close code of a socket that was opened, and the
    # page stops reconnecting on 4401.
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=[HOST, ORIGIN])
    connected, _ = await communicator.connect()
    assert connected is True
    assert await communicator.receive_output(timeout=2) == {
        "type": "websocket.close",
        "code": 4401,
    }


async def test_ping_gets_pong():
    _, cookie = await database_sync_to_async(_logged_in_trainee)()
    tab = await _connect(cookie)
    await tab.send_json_to({"type": "ping"})
    assert await tab.receive_json_from(timeout=1) == {"type": "pong"}
    await tab.disconnect()
