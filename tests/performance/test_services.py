"""Scoring a stored session: metrics, score, XP once, notifications, the snapshot, the tasks."""

import asyncio
import copy
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from core.groups import session_group, user_group
from gamification.models import XPTransaction
from performance.models import PerformanceMetric
from performance.services import session_score
from performance.tasks import STUCK_AFTER, score_session, sweep_unscored_sessions
from sessions_app.models import ChatMessage, SessionStatus, UserSession
from tests.factories import ROUTER_SCENARIO, ScenarioFactory
from tests.performance.agents import careless_agent, good_agent, rude_agent

LIBRARY = sorted((Path(settings.BASE_DIR) / "scenarios" / "library").glob("*.yaml"))


def library_documents() -> list[dict]:
    documents = []
    for path in LIBRARY:
        loaded = yaml.safe_load(path.read_text())
        documents.extend(loaded if isinstance(loaded, list) else [loaded])
    # Without a bundled library yet, the contract's example stands in.
    return documents or [copy.deepcopy(ROUTER_SCENARIO)]


def scenario_from(document: dict):
    fields = {
        k: copy.deepcopy(document[k])
        for k in (
            "slug",
            "title",
            "description",
            "difficulty",
            "estimated_time",
            "xp_reward",
            "ticket_template",
            "customer_persona",
            "knowledge_base_entries",
            "assessment_criteria",
        )
        if k in document
    }
    return ScenarioFactory(**fields)


@pytest.fixture
def good_session(make_session, user, scenario):
    return make_session(user=user, scenario=scenario, turns=good_agent(ROUTER_SCENARIO))


@pytest.mark.django_db
@pytest.mark.parametrize("document", library_documents(), ids=lambda d: d["slug"])
def test_library_good_agent_passes_rude_and_careless_agents_fail(document, make_session, user):
    scenario = scenario_from(document)
    good = make_session(user=user, scenario=scenario, turns=good_agent(document))
    rude = make_session(
        user=user, scenario=scenario, turns=rude_agent(document), outcome="escalated"
    )
    careless = make_session(
        user=user, scenario=scenario, turns=careless_agent(document), outcome="escalated"
    )
    for session in (good, rude, careless):
        session_score(session_id=session.id)
        session.refresh_from_db()
    assert good.passed, good.feedback
    assert good.score >= document["assessment_criteria"].get("pass_score", 70)
    assert rude.passed is False
    assert rude.feedback["failed_because"] == "forbidden_phrase"
    assert careless.passed is False
    assert careless.score < document["assessment_criteria"].get("pass_score", 70)


@pytest.mark.django_db
def test_session_score_stores_metrics_score_and_xp(good_session):
    session = session_score(session_id=good_session.id)

    session.refresh_from_db()
    assert session.status == SessionStatus.SCORED
    assert session.scored_at is not None
    assert session.passed is True
    assert 0 <= session.score <= 100
    metrics = list(PerformanceMetric.objects.filter(session=session))
    criteria = [c["key"] for c in ROUTER_SCENARIO["assessment_criteria"]["criteria"]]
    assert sorted(m.criterion for m in metrics) == sorted(criteria)
    assert round(sum(m.weight for m in metrics)) == 100
    message_ids = {str(i) for i in ChatMessage.objects.values_list("id", flat=True)}
    for metric in metrics:
        assert metric.user_id == session.user_id
        assert metric.rationale
        assert metric.evidence
        assert {e["message_id"] for e in metric.evidence} <= message_ids
    assert session.xp_awarded > 0
    assert XPTransaction.objects.get(session=session).amount == session.xp_awarded
    # Achievements unlocked by this first session may add their own bonus on the ledger.
    session.user.refresh_from_db()
    ledger = XPTransaction.objects.filter(user=session.user).values_list("amount", flat=True)
    assert session.user.xp == sum(ledger) >= session.xp_awarded
    assert session.feedback["summary"]


@pytest.mark.django_db
def test_second_run_changes_nothing(good_session):
    first = session_score(session_id=good_session.id)
    xp = first.user.__class__.objects.get(pk=first.user_id).xp

    assert session_score(session_id=good_session.id) is None
    assert score_session.delay(str(good_session.id)).get() is None

    assert PerformanceMetric.objects.filter(session=good_session).count() == 5
    assert XPTransaction.objects.filter(session=good_session).count() == 1
    assert first.user.__class__.objects.get(pk=first.user_id).xp == xp


@pytest.mark.django_db
@pytest.mark.parametrize("status", [SessionStatus.ACTIVE, SessionStatus.ABANDONED])
def test_only_sessions_waiting_in_scoring_are_scored(make_session, user, scenario, status):
    session = make_session(
        user=user, scenario=scenario, turns=good_agent(ROUTER_SCENARIO), status=status
    )
    assert session_score(session_id=session.id) is None
    session.refresh_from_db()
    assert session.status == status
    assert not PerformanceMetric.objects.filter(session=session).exists()


@pytest.mark.django_db
def test_unknown_session_id_is_a_no_op():
    assert session_score(session_id="00000000-0000-0000-0000-000000000000") is None


@pytest.mark.django_db
def test_preview_is_scored_without_xp(make_session, staff_user, scenario):
    session = make_session(
        user=staff_user, scenario=scenario, turns=good_agent(ROUTER_SCENARIO), is_preview=True
    )
    session_score(session_id=session.id)
    session.refresh_from_db()
    assert session.status == SessionStatus.SCORED
    assert session.passed is True
    assert session.xp_awarded == 0
    assert not XPTransaction.objects.filter(session=session).exists()


@pytest.mark.django_db
def test_scores_against_the_snapshot_not_the_edited_scenario(good_session, scenario):
    # The author edits the live scenario after the session started: a new forbidden phrase the
    # trainee used, and a different set of criteria. The attempt keeps its own rules.
    scenario.assessment_criteria = {
        "pass_score": 100,
        "criteria": [{"key": "clarity", "weight": 1}],
        "forbidden_phrases": ["thanks for reaching out"],
    }
    scenario.save()

    session_score(session_id=good_session.id)
    good_session.refresh_from_db()
    assert good_session.passed is True
    assert good_session.feedback["forbidden_phrases"] == []
    assert PerformanceMetric.objects.filter(session=good_session).count() == 5


def receive(layer, channel, timeout=2.0):
    """The next event on `channel`; fails the test instead of waiting forever."""

    async def _receive():
        return await asyncio.wait_for(layer.receive(channel), timeout)

    return async_to_sync(_receive)()


@pytest.mark.django_db
def test_scored_event_and_notification_after_commit(
    good_session, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    session_channel = async_to_sync(layer.new_channel)()
    user_channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(session_group(good_session.id), session_channel)
    async_to_sync(layer.group_add)(user_group(good_session.user_id), user_channel)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        session_score(session_id=good_session.id)
    # Nothing is sent before the transaction commits.
    assert callbacks
    for callback in callbacks:
        callback()

    session_event = receive(layer, session_channel)
    good_session.refresh_from_db()
    assert session_event == {
        "type": "session.event",
        "payload": {
            "type": "session.status",
            "status": "scored",
            "outcome": "resolved",
            "score": good_session.score,
            "passed": True,
            "xp_awarded": good_session.xp_awarded,
        },
    }
    notifications = [receive(layer, user_channel)["payload"]]
    while notifications[-1]["type"] != "session.scored":
        notifications.append(receive(layer, user_channel)["payload"])
    scored = notifications[-1]
    assert scored == {
        "type": "session.scored",
        "session_id": str(good_session.id),
        "score": good_session.score,
        "passed": True,
        "xp_awarded": good_session.xp_awarded,
        "scenario_title": ROUTER_SCENARIO["title"],
    }


@pytest.mark.django_db
def test_task_scores_in_eager_mode(good_session):
    result = score_session.delay(str(good_session.id)).get()
    good_session.refresh_from_db()
    assert result == {
        "session_id": str(good_session.id),
        "score": good_session.score,
        "passed": True,
    }
    assert good_session.status == SessionStatus.SCORED


def test_retry_back_off_stays_below_the_visibility_timeout():
    task = score_session
    backoff, total = task.retry_backoff, 0
    for attempt in range(task.max_retries):
        total += min(task.retry_backoff_max, backoff * 2**attempt)
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert total < visibility / 10
    assert any(issubclass(OperationalError, e) for e in score_session.autoretry_for)


@pytest.mark.django_db
def test_sweep_rescores_only_sessions_stuck_in_scoring(make_session, user, scenario):
    long_ago = timezone.now() - STUCK_AFTER - timedelta(minutes=30)
    stuck = make_session(
        user=user, scenario=scenario, turns=good_agent(ROUTER_SCENARIO), started_at=long_ago
    )
    fresh = make_session(user=user, scenario=scenario, turns=good_agent(ROUTER_SCENARIO))
    UserSession.objects.filter(pk=fresh.pk).update(ended_at=timezone.now())

    assert sweep_unscored_sessions.delay().get() == 1

    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == SessionStatus.SCORED
    assert fresh.status == SessionStatus.SCORING
