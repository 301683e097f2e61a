"""The scoring task under real conditions: two workers at once (PostgreSQL), and a real Celery
worker consuming from Redis."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connections

from gamification.models import XPTransaction
from performance.models import PerformanceMetric
from performance.tasks import score_session
from sessions_app.models import SessionStatus, UserSession
from sessions_app.services import session_end
from tests.factories import ROUTER_SCENARIO
from tests.performance.agents import good_agent

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.mark.postgres
@pytest.mark.skipif(
    not ON_POSTGRES,
    reason="Needs PostgreSQL: SQLite serialises writers, so there is no row-lock race to test.",
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_store_one_set_of_metrics_and_one_award(make_session, user, scenario):
    session = make_session(user=user, scenario=scenario, turns=good_agent(ROUTER_SCENARIO))
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(score_session.apply(args=[str(session.id)]).get())
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(r is None for r in results) == [False, True]  # one scored, one found it done
    session.refresh_from_db()
    assert session.status == SessionStatus.SCORED
    assert PerformanceMetric.objects.filter(session=session).count() == 5
    assert XPTransaction.objects.filter(session=session).count() == 1
    user.refresh_from_db()
    assert sum(XPTransaction.objects.filter(user=user).values_list("amount", flat=True)) == user.xp


@pytest.mark.celery_worker
@pytest.mark.skipif(not settings.REDIS_URL, reason="Needs REDIS_URL: a real broker for the worker.")
@pytest.mark.django_db(transaction=True)
def test_real_worker_scores_an_ended_session(make_session, user, scenario):
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    session = make_session(
        user=user,
        scenario=scenario,
        turns=good_agent(ROUTER_SCENARIO),
        status=SessionStatus.ACTIVE,
        outcome="resolved",
    )
    # Worker threads must not keep connections to the test database open after the test.
    database = connections.settings["default"]
    previous_max_age = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 0
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            session_end(session=session, by=user)  # enqueues on commit, through Redis
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                status = UserSession.objects.values_list("status", flat=True).get(pk=session.pk)
                if status == SessionStatus.SCORED:
                    break
                time.sleep(0.2)
    finally:
        database["CONN_MAX_AGE"] = previous_max_age

    session.refresh_from_db()
    assert session.status == SessionStatus.SCORED
    assert session.passed is True
    assert PerformanceMetric.objects.filter(session=session).count() == 5
    assert XPTransaction.objects.filter(session=session).count() == 1
