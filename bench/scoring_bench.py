"""Scoring: sessions scored per second by one Celery worker (prefork, one child, Redis broker)
against `session_score` called in a loop in this process, interleaved; and the time to score
transcripts of 10, 100 and 1,000 messages."""

from __future__ import annotations

import math
import time
import uuid

from bench import chat_bench, common
from bench.chatdata import AGENT_LINES

CUSTOMER_LINES = [
    "It keeps dropping every few minutes and I work from home.",
    "The light on the front is blinking orange, then it goes off and starts again.",
    "About two days now. I already restarted it twice.",
    "Only my laptop and the TV box.",
]


def scoring_sessions(users, scenario, count: int, messages: int) -> list[str]:
    """`count` sessions waiting in `scoring`, each with a `messages`-long transcript."""
    from django.utils import timezone

    from sessions_app.models import (
        ChatMessage,
        MessageRole,
        SessionOutcome,
        SessionStatus,
        UserSession,
    )

    UserSession.objects.filter(user__in=users).delete()
    now = timezone.now()
    snapshot = scenario.to_document()
    sessions, rows = [], []
    for index in range(count):
        started = now - timezone.timedelta(minutes=10)
        session = UserSession(
            id=uuid.uuid4(),
            user=users[index % len(users)],
            scenario=scenario,
            status=SessionStatus.SCORING,
            outcome=SessionOutcome.ENDED,
            scenario_snapshot=snapshot,
            engine_state={"v": 1, "mood": "calm"},
            started_at=started,
            ended_at=now,
        )
        sessions.append(session)
        for seq in range(1, messages + 1):
            customer = seq % 2 == 1
            lines = CUSTOMER_LINES if customer else AGENT_LINES
            rows.append(
                ChatMessage(
                    session=session,
                    seq=seq,
                    role=MessageRole.CUSTOMER if customer else MessageRole.AGENT,
                    content=lines[(seq // 2) % len(lines)],
                    created_at=started + timezone.timedelta(seconds=5 * seq),
                )
            )
    UserSession.objects.bulk_create(sessions)
    ChatMessage.objects.bulk_create(rows, batch_size=5000)
    return [str(session.pk) for session in sessions]


def direct_rate(ids) -> float:
    from performance.services import session_score

    start = time.perf_counter()
    for session_id in ids:
        session_score(session_id=session_id)
    return len(ids) / (time.perf_counter() - start)


def worker_rate(ids, *, timeout: float = 120.0) -> float:
    from performance.tasks import score_session
    from sessions_app.models import SessionStatus, UserSession

    start = time.perf_counter()
    for session_id in ids:
        score_session.delay(session_id)
    deadline = start + timeout
    while time.perf_counter() < deadline:
        done = UserSession.objects.filter(pk__in=ids, status=SessionStatus.SCORED).count()
        if done == len(ids):
            return len(ids) / (time.perf_counter() - start)
        time.sleep(0.02)
    raise RuntimeError(f"the worker scored {done} of {len(ids)} sessions in {timeout:.0f} s")


def transcript_times(users, scenario, lengths, *, repeats: int = 3) -> dict[int, float]:
    """Median milliseconds to score one session of each transcript length."""
    from performance.services import session_score

    times = {}
    for length in lengths:
        samples = []
        for _ in range(repeats):
            (session_id,) = scoring_sessions(users[:1], scenario, 1, length)
            start = time.perf_counter()
            session_score(session_id=session_id)
            samples.append((time.perf_counter() - start) * 1000)
        times[length] = common.median(samples)
    return times


def run(*, sessions: int, rounds: int, lengths) -> dict:
    users = chat_bench.chat_users(50)
    scenario = chat_bench.chat_scenario()
    worker = common.Server(
        "celery-worker",
        [
            str(common.BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--concurrency=1",
            "--pool=prefork",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        port=None,
        env=common.server_env(SCORING_JUDGE="false"),
    )
    direct, via_worker = [], []
    with common.running(worker):
        # The worker's first tasks import the evaluators; nothing is timed until they ran.
        worker_rate(scoring_sessions(users, scenario, 5, 10), timeout=120)
        direct_rate(scoring_sessions(users, scenario, 5, 10))
        for _ in range(rounds):
            direct.append(direct_rate(scoring_sessions(users, scenario, sessions, 10)))
            via_worker.append(worker_rate(scoring_sessions(users, scenario, sessions, 10)))
    ratios = [w / d for w, d in zip(via_worker, direct, strict=True)]
    times = transcript_times(users, scenario, lengths)
    first, last = lengths[0], lengths[-1]
    exponent = math.log(times[last] / times[first]) / math.log(last / first)
    return {
        "sessions": sessions,
        "direct_per_s": common.median(direct),
        "worker_per_s": common.median(via_worker),
        "ratio": common.median(ratios),
        "transcript_ms": times,
        "growth_exponent": exponent,
    }
