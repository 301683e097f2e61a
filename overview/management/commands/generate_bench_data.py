"""Realistic volume for `make bench`: scenarios, trainees, scored sessions, metrics, XP ledger.

Bench rows are recognisable (`bench-` slugs, `@bench.example.com` emails), so a second run adds
only what is missing and never touches anybody else's data. Everything goes in with
`bulk_create`: the default volume (1,000 scenarios, 5,000 trainees, 50,000 sessions with their
messages, metrics and XP) loads in well under a minute on PostgreSQL.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User, level_for_xp
from gamification.models import XPReason, XPTransaction
from performance.models import PerformanceMetric
from scenarios.loader import read_documents
from scenarios.models import Scenario
from sessions_app.models import (
    ChatMessage,
    MessageRole,
    SessionOutcome,
    SessionStatus,
    UserSession,
)

SLUG_PREFIX = "bench-"
EMAIL_DOMAIN = "bench.example.com"
BENCH_PASSWORD = "bench-pass-not-secret"
BATCH = 2000
DIFFICULTIES = ("starter", "intermediate", "advanced")


def bench_email(index: int) -> str:
    return f"trainee{index:05d}@{EMAIL_DOMAIN}"


def bench_users():
    return User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")


def library_documents() -> list[dict]:
    """The bundled scenarios, the templates that bench scenarios vary on."""
    paths = sorted((Path(settings.BASE_DIR) / "scenarios" / "library").glob("*.yaml"))
    return [sourced.document for sourced in read_documents(paths)]


def _bench_document(template: dict, index: int) -> dict:
    document = copy.deepcopy(template)
    document["slug"] = f"{SLUG_PREFIX}{index:04d}-{template['slug']}"[:100]
    document["title"] = f"{template['title']} #{index}"
    document["difficulty"] = DIFFICULTIES[index % len(DIFFICULTIES)]
    document["is_active"] = True
    return document


def generate_scenarios(count: int, templates: list[dict]) -> list[Scenario]:
    """`count` bench scenarios; every tenth one requires the one before it (locks exist)."""
    existing = {
        scenario.slug: scenario
        for scenario in Scenario.objects.filter(slug__startswith=SLUG_PREFIX)
    }
    wanted = [_bench_document(templates[i % len(templates)], i) for i in range(count)]
    new = [
        Scenario(
            slug=doc["slug"],
            title=doc["title"],
            description=doc.get("description", ""),
            difficulty=doc["difficulty"],
            estimated_time=doc.get("estimated_time", 10),
            xp_reward=doc.get("xp_reward", 50),
            is_active=True,
            category=str(doc["ticket_template"].get("category", ""))[:64],
            ticket_template=doc["ticket_template"],
            customer_persona=doc["customer_persona"],
            knowledge_base_entries=doc.get("knowledge_base_entries", []),
            assessment_criteria=doc["assessment_criteria"],
        )
        for doc in wanted
        if doc["slug"] not in existing
    ]
    Scenario.objects.bulk_create(new, batch_size=BATCH)
    by_slug = {s.slug: s for s in Scenario.objects.filter(slug__startswith=SLUG_PREFIX)}
    scenarios = [by_slug[doc["slug"]] for doc in wanted]
    through = Scenario.prerequisites.through
    links = [
        through(from_scenario_id=scenarios[i].id, to_scenario_id=scenarios[i - 1].id)
        for i in range(10, count, 10)
    ]
    through.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
    return scenarios


def generate_users(count: int) -> list[User]:
    existing = set(bench_users().values_list("email", flat=True))
    password = make_password(BENCH_PASSWORD)
    now = timezone.now()
    new = [
        User(
            email=bench_email(i),
            first_name=f"Trainee{i}",
            last_name="Bench",
            password=password,
            created_at=now,
        )
        for i in range(count)
        if bench_email(i) not in existing
    ]
    User.objects.bulk_create(new, batch_size=BATCH)
    by_email = {u.email: u for u in bench_users()}
    return [by_email[bench_email(i)] for i in range(count)]


def _session_rows(user, scenarios, count, rng, now):
    """`count` sessions for one trainee: mostly scored, one abandoned, the newest active."""
    rows = []
    for n in range(count):
        scenario = scenarios[rng.randrange(len(scenarios))]
        started = now - dt.timedelta(days=rng.uniform(0, 60), minutes=n)
        status = SessionStatus.SCORED
        if n == 0:
            status = SessionStatus.ACTIVE
        elif n == 1:
            status = SessionStatus.ABANDONED
        session = UserSession(
            id=uuid.uuid4(),
            user=user,
            scenario=scenario,
            status=status,
            engine="offline",
            engine_state={"v": 1, "mood": "calm", "turns": 1},
            scenario_snapshot=scenario.snapshot,
            started_at=started,
            last_activity_at=started + dt.timedelta(minutes=8),
            created_at=started,
        )
        if status == SessionStatus.SCORED:
            score = rng.randint(30, 100)
            session.outcome = rng.choice([SessionOutcome.RESOLVED, SessionOutcome.ENDED])
            session.ended_at = started + dt.timedelta(minutes=8)
            session.scored_at = started + dt.timedelta(minutes=8, seconds=5)
            session.score = score
            session.passed = score >= 70
            session.xp_awarded = scenario.xp_reward if session.passed else scenario.xp_reward // 4
            session.feedback = {"rubric_version": 1, "summary": "Generated for the benchmark."}
        elif status == SessionStatus.ABANDONED:
            session.ended_at = started + dt.timedelta(minutes=3)
        rows.append(session)
    return rows


def generate_sessions(users, scenarios, per_user: int, *, seed: int = 9) -> int:
    """Sessions, messages, metrics and XP for every bench trainee who has none yet."""
    rng = random.Random(seed)  # nosec B311: reproducible bench data, not a secret
    now = timezone.now()
    for scenario in scenarios:
        scenario.snapshot = scenario.to_document(include_prerequisites=False)
    have = set(
        UserSession.objects.filter(user__in=[u.pk for u in users])
        .values_list("user_id", flat=True)
        .distinct()
    )
    todo = [user for user in users if user.pk not in have]
    created = 0
    for start in range(0, len(todo), 200):
        chunk = todo[start : start + 200]
        sessions, messages, metrics, ledger = [], [], [], []
        for user in chunk:
            mine = _session_rows(user, scenarios, per_user, rng, now)
            xp = 0
            for session in mine:
                sessions.append(session)
                messages.extend(_messages(session))
                if session.status != SessionStatus.SCORED:
                    continue
                metrics.extend(_metrics(session, rng))
                ledger.append(
                    XPTransaction(
                        user=user,
                        session=session,
                        reason=XPReason.SESSION,
                        amount=session.xp_awarded,
                        created_at=session.scored_at,
                    )
                )
                xp += session.xp_awarded
            user.xp, user.level = xp, level_for_xp(xp)
        with transaction.atomic():
            UserSession.objects.bulk_create(sessions, batch_size=BATCH)
            ChatMessage.objects.bulk_create(messages, batch_size=BATCH)
            PerformanceMetric.objects.bulk_create(metrics, batch_size=BATCH)
            XPTransaction.objects.bulk_create(ledger, batch_size=BATCH)
            User.objects.bulk_update(chunk, ["xp", "level"], batch_size=BATCH)
        created += len(sessions)
    return created


def _messages(session) -> list[ChatMessage]:
    ticket = session.scenario_snapshot.get("ticket_template", {})
    lines = [
        (MessageRole.CUSTOMER, ticket.get("description") or "Hello?"),
        (MessageRole.AGENT, "Hello, thanks for reaching out. I'm sorry about this, let me help."),
        (MessageRole.CUSTOMER, "Thanks. What should I do?"),
    ]
    return [
        ChatMessage(
            session=session,
            seq=seq,
            role=role,
            content=text,
            created_at=session.started_at + dt.timedelta(seconds=30 * seq),
        )
        for seq, (role, text) in enumerate(lines, start=1)
    ]


def _metrics(session, rng) -> list[PerformanceMetric]:
    criteria = session.scenario_snapshot.get("assessment_criteria", {}).get("criteria", [])
    total = sum(float(c.get("weight") or 0) for c in criteria) or 1.0
    return [
        PerformanceMetric(
            session=session,
            user_id=session.user_id,
            criterion=c["key"],
            score=max(0, min(100, session.score + rng.randint(-20, 20))),
            weight=round(100 * float(c.get("weight") or 0) / total, 2),
            rationale="Generated for the benchmark.",
            evidence=[{"message_id": None, "quote": "let me help"}],
            created_at=session.scored_at,
        )
        for c in criteria
    ]


def generate(*, scenarios: int, users: int, sessions: int, stdout=None) -> dict:
    """Bring the bench data up to the given sizes; returns what exists afterwards."""
    templates = library_documents()
    scenario_rows = generate_scenarios(scenarios, templates)
    user_rows = generate_users(users)
    per_user = max(1, sessions // max(1, users))
    created = generate_sessions(user_rows, scenario_rows, per_user)
    if stdout is not None:
        stdout.write(f"bench data: {created} new sessions")
    return {
        "scenarios": Scenario.objects.filter(slug__startswith=SLUG_PREFIX).count(),
        "users": bench_users().count(),
        "sessions": UserSession.objects.filter(user__email__endswith=f"@{EMAIL_DOMAIN}").count(),
    }


class Command(BaseCommand):
    help = (
        "Create bench data (default 1,000 scenarios, 5,000 trainees, 50,000 sessions with "
        "messages, metrics and XP). Idempotent: only what is missing is added."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scenarios", type=int, default=1000)
        parser.add_argument("--users", type=int, default=5000)
        parser.add_argument("--sessions", type=int, default=50000)

    def handle(self, *args, scenarios, users, sessions, **options):
        counts = generate(scenarios=scenarios, users=users, sessions=sessions, stdout=self.stdout)
        self.stdout.write(
            f"bench data: {counts['scenarios']} scenarios, {counts['users']} trainees, "
            f"{counts['sessions']} sessions"
        )
