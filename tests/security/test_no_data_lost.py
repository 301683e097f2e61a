"""Issue 10 §7: nothing the trainee did is lost, whatever fails underneath.

Model failures (timeout, 5xx, a stream cut mid-reply) keep the trainee's message and let them
retry it; a broker that is down when a session ends delays scoring, never the end itself; a
worker killed mid-task leaves nothing half-written and the re-run awards once; a frame the
channel layer drops is healed by `history` on reconnect; retries fit in the broker's window.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from config.celery import app as celery_app
from gamification.models import XPTransaction
from performance.models import PerformanceMetric
from performance.selectors import sessions_stuck_in_scoring
from performance.tasks import STUCK_AFTER, score_session, sweep_unscored_sessions
from sessions_app.models import ChatMessage, SessionStatus, UserSession
from sessions_app.services import session_start
from tests.factories import ScenarioFactory, UserFactory
from tests.performance.agents import good_agent
from tests.sessions_app.conftest import connect, cookie_for, drain, frames_until, types
from tests.sessions_app.fake_model import (
    Hang,
    Status,
    Stream,
    engine_on_fake_model,
)

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "What colour is the light on the front?"

FAILURES = [
    pytest.param(Hang(2.5), id="provider-timeout"),
    pytest.param(Status(502, "bad gateway"), id="provider-5xx"),
    pytest.param(Stream(["It's blinking ", "or"], finish=False), id="stream-cut-mid-reply"),
]


@pytest.fixture
def model(settings):
    with engine_on_fake_model(settings, judge=False) as fake:
        yield fake


def _transcript(session_id) -> list[tuple[str, str]]:
    return list(
        ChatMessage.objects.filter(session_id=session_id)
        .order_by("seq")
        .values_list("role", "content")
    )


transcript = database_sync_to_async(_transcript)


# --- the model fails; the trainee retries -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
@pytest.mark.parametrize("failure", FAILURES)
async def test_a_failed_answer_keeps_the_message_and_a_retry_gets_exactly_one_answer(
    model, failure
):
    user = await database_sync_to_async(UserFactory)()
    session = await database_sync_to_async(session_start)(
        user=user, scenario=await database_sync_to_async(ScenarioFactory)()
    )
    cookie = await database_sync_to_async(cookie_for)(user)
    model.then(failure, Stream(["Orange, ", "blinking."]), Stream(["Sure."]))
    communicator = await connect(session.pk, cookie)
    await communicator.receive_json_from(timeout=5)
    frame = {"type": "agent.message", "content": QUESTION, "client_id": str(uuid.uuid4())}

    await communicator.send_json_to(frame)
    frames = await frames_until(communicator, "error", timeout=10)
    assert frames[-1]["code"] == "engine_error"
    # It names the trainee's message, so the page can offer to ask again.
    assert frames[-1]["client_id"] == frame["client_id"]
    assert await transcript(session.pk) == [
        ("customer", session.scenario_snapshot["ticket_template"]["description"]),
        ("agent", QUESTION),
    ]

    # The page's retry resends the same client_id: the engine runs again for that message.
    await communicator.send_json_to(frame)
    frames = await frames_until(communicator, "customer.done", timeout=10)
    assert types(frames)[0] == "message"  # the stored message, not a new one
    assert frames[-1]["message"]["content"] == "Orange, blinking."
    rows = await transcript(session.pk)
    assert [role for role, _ in rows] == ["customer", "agent", "customer"]
    assert rows[1] == ("agent", QUESTION)

    # Resending once more is answered from storage: no third engine call, nothing stored.
    calls = len(model.requests)
    await communicator.send_json_to(frame)
    again = await drain(communicator, quiet=0.5)
    assert [f["message"]["content"] for f in again] == [QUESTION, "Orange, blinking."]
    assert len(model.requests) == calls
    assert len(await transcript(session.pk)) == 3

    # And the session is usable.
    await communicator.send_json_to(
        {"type": "agent.message", "content": "Thanks!", "client_id": str(uuid.uuid4())}
    )
    frames = await frames_until(communicator, "customer.done", timeout=10)
    assert frames[-1]["message"]["content"] == "Sure."
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_an_old_message_is_not_answered_again_once_the_conversation_moved_on(model):
    user = await database_sync_to_async(UserFactory)()
    session = await database_sync_to_async(session_start)(
        user=user, scenario=await database_sync_to_async(ScenarioFactory)()
    )
    cookie = await database_sync_to_async(cookie_for)(user)
    model.then(Status(500), Stream(["Hello again."]))
    communicator = await connect(session.pk, cookie)
    await communicator.receive_json_from(timeout=5)
    first = {"type": "agent.message", "content": "First?", "client_id": str(uuid.uuid4())}
    await communicator.send_json_to(first)
    await frames_until(communicator, "error", timeout=10)
    await communicator.send_json_to(
        {"type": "agent.message", "content": "Second?", "client_id": str(uuid.uuid4())}
    )
    await frames_until(communicator, "customer.done", timeout=10)
    calls = len(model.requests)

    await communicator.send_json_to(first)  # a late resend of the failed one
    assert [f["type"] for f in await drain(communicator, quiet=0.5)] == ["message"]
    assert len(model.requests) == calls
    roles = [role for role, _ in await transcript(session.pk)]
    assert roles == ["customer", "agent", "agent", "customer"]
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("failure", FAILURES)
def test_over_rest_the_same_client_id_retries_the_answer_once(model, failure):
    user = UserFactory()
    session = session_start(user=user, scenario=ScenarioFactory())
    client = APIClient()
    client.force_authenticate(user)
    model.then(failure, Stream(["Orange."]))
    url = f"/api/v1/sessions/{session.pk}/messages/"
    body = {"content": QUESTION, "client_id": str(uuid.uuid4())}

    failed = client.post(url, body, format="json")
    assert failed.status_code == 503
    retried = client.post(url, body, format="json")
    assert retried.status_code == 200
    data = retried.json()["data"]
    assert data["agent_message"]["id"] == failed.json()["details"]["agent_message_id"]
    assert data["customer_message"]["content"] == "Orange."
    again = client.post(url, body, format="json")
    assert again.json()["data"] == data
    assert [role for role, _ in _transcript(session.pk)] == ["customer", "agent", "customer"]


# --- the broker is down when the session ends ---------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens


@pytest.fixture
def broker_down(settings):
    """Celery publishes for real (not eagerly) to a broker address where nothing listens."""
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    previous = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    settings.CELERY_BROKER_URL = url
    celery_app.conf.broker_url = url
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_connection_timeout = 1
    celery_app.conf.task_publish_retry_policy = {"max_retries": 1, "interval_start": 0}
    celery_app._pool = None  # forget connections to the real broker
    yield url
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = previous
    celery_app._pool = None


def _score_later():
    """The broker is back (eager here); the periodic sweep finds the waiting session."""
    celery_app.conf.task_always_eager = True
    return sweep_unscored_sessions.apply().get()


def _age(session_id):
    UserSession.objects.filter(pk=session_id).update(
        ended_at=timezone.now() - STUCK_AFTER - timedelta(minutes=1)
    )


@pytest.mark.django_db(transaction=True)
def test_ending_over_rest_with_the_broker_down_is_accepted_and_swept_once(broker_down):
    user = UserFactory()
    session = session_start(user=user, scenario=ScenarioFactory())
    client = APIClient()
    client.force_authenticate(user)

    response = client.post(f"/api/v1/sessions/{session.pk}/complete/", format="json")

    assert response.status_code == 202
    assert response.json()["data"]["status"] == "scoring"
    session.refresh_from_db()
    assert session.status == SessionStatus.SCORING
    _age(session.pk)
    assert _score_later() == 1
    assert sweep_unscored_sessions.apply().get() == 0  # scored: nothing left to sweep
    session.refresh_from_db()
    assert session.status == SessionStatus.SCORED
    assert XPTransaction.objects.filter(user=user).count() <= 1
    assert PerformanceMetric.objects.filter(session=session).count() == len(
        {c["key"] for c in session.scenario_snapshot["assessment_criteria"]["criteria"]}
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_ending_over_the_socket_with_the_broker_down_reports_scoring(broker_down):
    user = await database_sync_to_async(UserFactory)()
    session = await database_sync_to_async(session_start)(
        user=user, scenario=await database_sync_to_async(ScenarioFactory)()
    )
    cookie = await database_sync_to_async(cookie_for)(user)
    communicator = await connect(session.pk, cookie)
    await communicator.receive_json_from(timeout=5)

    await communicator.send_json_to({"type": "session.end"})
    status = await frames_until(communicator, "session.status", timeout=10)
    assert (status[-1]["status"], status[-1]["outcome"]) == ("scoring", "ended")
    # The socket is still open and answers.
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from(timeout=5))["type"] == "pong"
    await communicator.disconnect()

    await database_sync_to_async(_age)(session.pk)
    assert await database_sync_to_async(_score_later)() == 1
    scored = await database_sync_to_async(UserSession.objects.get)(pk=session.pk)
    assert scored.status == SessionStatus.SCORED


# --- a worker killed mid-task -------------------------------------------------------------------


def test_tasks_are_acknowledged_late_and_requeued_when_the_worker_dies():
    assert django_settings.CELERY_TASK_ACKS_LATE is True
    assert django_settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert django_settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    # What the tasks actually run with (a task-level override would win over the settings).
    for task in (score_session, sweep_unscored_sessions):
        assert task.acks_late is True, task.name
        assert task.reject_on_worker_lost is True, task.name


_KILL_MID_TASK = textwrap.dedent(
    """
    import os, sys
    import django
    django.setup()
    from django.conf import settings
    settings.DATABASES["default"]["NAME"] = sys.argv[2]

    def die(**kwargs):
        # The metrics, the score and the `scored` status are written, not yet committed.
        os._exit(9)

    # The XP award runs on `session_scored`, in the scoring transaction.
    import gamification.signals
    gamification.signals.process_scored_session = die
    from performance.tasks import score_session
    score_session.apply(args=[sys.argv[1]])
    """
)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_task_leaves_nothing_and_the_rerun_awards_once(settings):
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: the killed worker is another process, which cannot see "
            "SQLite's in-memory test database (set DATABASE_URL)"
        )
    user = UserFactory()
    scenario = ScenarioFactory()
    session = session_start(user=user, scenario=scenario)
    for seq, (role, text) in enumerate(good_agent(session.scenario_snapshot)[1:], start=2):
        ChatMessage.objects.create(session=session, seq=seq, role=role, content=text)
    UserSession.objects.filter(pk=session.pk).update(
        status=SessionStatus.SCORING, outcome="resolved", ended_at=timezone.now()
    )

    worker = subprocess.run(
        [sys.executable, "-c", _KILL_MID_TASK, str(session.pk), connection.settings_dict["NAME"]],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode == 9, worker.stderr[-2000:]

    session.refresh_from_db()
    assert session.status == SessionStatus.SCORING  # the half-done work was rolled back
    assert not PerformanceMetric.objects.filter(session=session).exists()
    assert not XPTransaction.objects.filter(user=user).exists()

    # The broker re-delivers (acks_late + reject_on_worker_lost): the task runs again, twice.
    score_session.apply(args=[str(session.pk)])
    score_session.apply(args=[str(session.pk)])
    session.refresh_from_db()
    user.refresh_from_db()
    assert session.status == SessionStatus.SCORED
    assert session.xp_awarded > 0
    assert XPTransaction.objects.filter(user=user, amount__gt=0).count() >= 1
    assert user.xp == sum(XPTransaction.objects.filter(user=user).values_list("amount", flat=True))
    metrics = PerformanceMetric.objects.filter(session=session)
    assert metrics.count() == metrics.values("criterion").distinct().count()


# --- a dropped frame is healed on reconnect -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_frames_the_channel_layer_drops_come_back_with_history(settings):
    # A tiny per-channel buffer: the idle tab's frames overflow and are dropped by the layer.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "core.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 1},
        }
    }
    user = await database_sync_to_async(UserFactory)()
    session = await database_sync_to_async(session_start)(
        user=user, scenario=await database_sync_to_async(ScenarioFactory)()
    )
    cookie = await database_sync_to_async(cookie_for)(user)
    sender = await connect(session.pk, cookie)
    await sender.receive_json_from(timeout=5)
    idle = await connect(session.pk, cookie)
    await idle.receive_json_from(timeout=5)

    for text in ("Hi, sorry about this.", QUESTION):
        await sender.send_json_to(
            {"type": "agent.message", "content": text, "client_id": str(uuid.uuid4())}
        )
        await frames_until(sender, "customer.done")
    seen = await drain(idle)
    stored = await transcript(session.pk)
    assert len(stored) == 5
    delivered = [f["message"]["content"] for f in seen if f.get("type") in ("message",)]
    assert len(delivered) < 4, "the layer was expected to drop frames for the idle tab"
    await idle.disconnect()

    again = await connect(session.pk, cookie)
    history = await again.receive_json_from(timeout=5)
    assert history["type"] == "history"
    assert [(m["role"], m["content"]) for m in history["messages"]] == stored
    await again.disconnect()
    await sender.disconnect()


# --- retries fit in the broker's visibility window ----------------------------------------------


def _worst_case_retry_seconds(task) -> float:
    """Every retry's longest wait added up (jitter only shortens a wait)."""
    if not getattr(task, "autoretry_for", ()):
        return 0.0
    retries = task.max_retries or 0
    if task.retry_backoff:
        base = 1 if task.retry_backoff is True else task.retry_backoff
        return sum(min(task.retry_backoff_max, base * 2**n) for n in range(retries))
    return retries * float(task.default_retry_delay or 0)


def test_retries_and_countdowns_stay_below_the_redis_visibility_timeout():
    visibility = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    ours = [
        task
        for name, task in celery_app.tasks.items()
        if name.split(".")[0] in ("sessions_app", "performance", "gamification", "accounts")
    ]
    assert score_session in ours
    for task in ours:
        worst = _worst_case_retry_seconds(task) + (task.time_limit or 0)
        assert worst < visibility / 2, (task.name, worst, visibility)
    # A session stuck in `scoring` is swept long before Redis would re-deliver its task.
    assert STUCK_AFTER.total_seconds() < visibility
    for entry in django_settings.CELERY_BEAT_SCHEDULE.values():
        assert float(entry["schedule"]) < visibility
    # And the Redis broker really gets this window (not only the settings module).
    assert celery_app.conf.broker_transport_options["visibility_timeout"] == visibility


# --- a real worker killed with SIGKILL, recovered by the sweep ----------------------------------

_HANGING_WORKER = textwrap.dedent(
    """
    import sys, time
    import django
    django.setup()
    # Scoring hangs inside its transaction (metrics written, XP not yet awarded) until killed.
    import gamification.signals
    gamification.signals.process_scored_session = lambda **kwargs: time.sleep(600)
    from config.celery import app
    app.worker_main(["worker", "--pool=solo", "--loglevel=WARNING", "--without-heartbeat",
                     "--without-gossip", "--without-mingle", "-Q", sys.argv[1]])
    """
)
_WORKER = _HANGING_WORKER.replace(
    "gamification.signals.process_scored_session = lambda **kwargs: time.sleep(600)", ""
)


def _worker(script: str, queue: str, database: str) -> subprocess.Popen:
    url = django_settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://{url['USER']}@{url['HOST']}:{url['PORT']}/{database}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    return subprocess.Popen([sys.executable, "-c", script, queue], cwd=ROOT, env=env)


def _in_transaction(database: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = %s AND state = 'idle in transaction'",
            [database],
        )
        return cursor.fetchone()[0] > 0


def _wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_with_sigkill_is_recovered_by_the_sweep_and_xp_is_paid_once(settings):
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        pytest.skip("needs PostgreSQL and a Redis broker shared with another process")
    queue = f"scoring-{uuid.uuid4().hex[:8]}"
    database = connection.settings_dict["NAME"]
    user = UserFactory()
    session = session_start(user=user, scenario=ScenarioFactory())
    for seq, (role, text) in enumerate(good_agent(session.scenario_snapshot)[1:], start=2):
        ChatMessage.objects.create(session=session, seq=seq, role=role, content=text)
    UserSession.objects.filter(pk=session.pk).update(
        status=SessionStatus.SCORING, outcome="resolved", ended_at=timezone.now()
    )
    scoring = PerformanceMetric.objects.filter(session=session)

    hanging = _worker(_HANGING_WORKER, queue, database)
    try:
        score_session.apply_async(args=[str(session.pk)], queue=queue)
        # The task is mid-way once a connection to the test database waits inside a transaction.
        assert _wait_for(lambda: _in_transaction(database), 60)
    finally:
        hanging.send_signal(signal.SIGKILL)
        hanging.wait(timeout=10)

    session.refresh_from_db()
    assert session.status == SessionStatus.SCORING  # rolled back with the killed transaction
    assert not scoring.exists()
    assert not XPTransaction.objects.filter(user=user).exists()

    # The broker keeps the task unacknowledged for its one-hour visibility timeout; the sweep
    # finds the session once it has waited STUCK_AFTER (backdated here) and queues it again.
    UserSession.objects.filter(pk=session.pk).update(
        ended_at=timezone.now() - STUCK_AFTER - timedelta(seconds=1)
    )
    for session_id in sessions_stuck_in_scoring(older_than=STUCK_AFTER):
        score_session.apply_async(args=[str(session_id)], queue=queue)
    worker = _worker(_WORKER, queue, database)
    try:
        assert _wait_for(
            lambda: UserSession.objects.filter(pk=session.pk, status=SessionStatus.SCORED).exists(),
            60,
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    user.refresh_from_db()
    awards = XPTransaction.objects.filter(user=user, session=session)
    assert awards.count() == 1
    assert user.xp == sum(XPTransaction.objects.filter(user=user).values_list("amount", flat=True))
