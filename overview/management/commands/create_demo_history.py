"""Demo team history for `make run`: a few generated trainees in the demo trainer's team, each
with real conversations played against the offline customer and scored by the real rubric,
spread over the last weeks, and two assignments (one due soon, one overdue).

The conversations go through the same services a trainee's do (start, post, customer reply,
end, score), so the reports, evidence and transcripts a trainer opens are genuine; only their
dates are moved back afterwards, so that the team's analytics have weeks to show. Idempotent:
a second run finds the generated trainees and adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import yaml
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Team, TeamMembership, TeamRole, User
from gamification.models import XPTransaction
from performance.models import PerformanceMetric
from performance.services import session_score
from scenarios.exceptions import ScenarioLocked
from scenarios.models import Scenario
from sessions_app.assignments import assignment_create
from sessions_app.models import Assignment, ChatMessage, SessionStatus, UserSession
from sessions_app.services import customer_reply, message_post_agent, session_end, session_start

EMAIL_DOMAIN = "team.example.com"

#: (first name, last name, how well they talk to customers, how much they improve per week)
TRAINEES = [
    ("Amara", "Lindqvist", 0.8, 0.0),
    ("Kenji", "Moreau", 0.35, 0.08),
    ("Priya", "Haddad", 0.6, 0.03),
    ("Sam", "Novak", 0.2, 0.02),
]
#: Scripted agent sides by scenario (all without prerequisites) and by skill.
CONVERSATIONS = Path(__file__).resolve().parents[2] / "demo" / "conversations.yaml"
WEEKS = 8
SESSIONS_EACH = 6


def _agent_lines(scripts: dict, skill: float, rng: random.Random) -> list[str]:
    """What a trainee of this skill says: a skilled one mostly handles the ticket well (in the
    scenario's own words or in others), a less skilled one is curt or gives the wrong fix."""
    roll = rng.random()
    if roll < skill * 0.6:
        return scripts["exemplary"]
    if roll < skill:
        return scripts["paraphrasing"]
    if roll < skill + (1 - skill) / 2:
        return scripts["careless"]
    return scripts["wrong_fix"]


def _play(user: User, scenario: Scenario, lines: list[str]) -> UserSession | None:
    try:
        # Offline whatever the settings: demo data must not spend a model's tokens or time.
        session = session_start(user=user, scenario=scenario, engine_name="offline")
    except ScenarioLocked:
        return None
    for content in lines:
        posted = message_post_agent(session=session, content=content)
        customer_reply(session=session, reply_to=posted.message)
        session.refresh_from_db()
        if session.status != SessionStatus.ACTIVE:
            break
    session_end(session=session, by=user)
    session_score(session_id=session.pk, with_judge=False)
    return session


def _move_back(session: UserSession, started: dt.datetime, minutes: int) -> None:
    """Date a just-played session as if it had started at `started` and lasted `minutes`."""
    session.refresh_from_db()
    shift = started - session.started_at
    ended = started + dt.timedelta(minutes=minutes)
    UserSession.objects.filter(pk=session.pk).update(
        started_at=started,
        created_at=started,
        last_activity_at=ended,
        ended_at=ended,
        scored_at=ended + dt.timedelta(seconds=5) if session.scored_at else None,
    )
    ChatMessage.objects.filter(session=session).update(created_at=F("created_at") + shift)
    PerformanceMetric.objects.filter(session=session).update(created_at=ended)
    XPTransaction.objects.filter(session=session).update(created_at=ended)


class Command(BaseCommand):
    help = "Give the demo team generated trainees with scored history (DEBUG only; idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Allow outside DEBUG.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo history is only created when DJANGO_DEBUG is on.")
        team = Team.objects.filter(
            memberships__user__email="trainer@example.com", memberships__role=TeamRole.TRAINER
        ).first()
        if team is None:
            raise CommandError("Run create_demo_accounts first: there is no demo team.")
        if User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").exists():
            self.stdout.write("ready: demo team history")
            return
        scripts = yaml.safe_load(CONVERSATIONS.read_text())
        scenarios = list(Scenario.objects.filter(slug__in=list(scripts), is_active=True))
        if not scenarios:
            raise CommandError("Import the scenario library first: no demo scenarios found.")
        rng = random.Random(7)  # nosec B311: reproducible demo data, not a secret
        now = timezone.now()
        played = 0
        for first, last, skill, gain in TRAINEES:
            user = User(first_name=first, last_name=last, email=f"{first.lower()}@{EMAIL_DOMAIN}")
            user.set_unusable_password()
            user.save()
            TeamMembership.objects.create(team=team, user=user, role=TeamRole.MEMBER)
            for n in range(SESSIONS_EACH):
                weeks_ago = WEEKS - 1 - n * WEEKS // SESSIONS_EACH
                started = now - dt.timedelta(weeks=weeks_ago, days=rng.uniform(0, 5), hours=2)
                level = min(1.0, skill + gain * (WEEKS - weeks_ago))
                scenario = scenarios[(n + played) % len(scenarios)]
                lines = _agent_lines(scripts[scenario.slug], level, rng)
                session = _play(user, scenario, lines)
                if session is not None:
                    _move_back(session, started, minutes=rng.randint(4, 16))
                    played += 1
        self._assignments(team, scenarios, now)
        self.stdout.write(f"created: {len(TRAINEES)} demo team trainees, {played} sessions")

    def _assignments(self, team: Team, scenarios: list[Scenario], now: dt.datetime) -> None:
        """One assignment due in three days and one that fell due last week."""
        trainer = User.objects.get(email="trainer@example.com")
        assignment_create(
            by=trainer, team=team, scenarios=scenarios[:2], due_at=now + dt.timedelta(days=3)
        )
        overdue = assignment_create(
            by=trainer,
            team=team,
            scenarios=scenarios[2:3] or scenarios[:1],
            due_at=now + dt.timedelta(days=1),
            min_score=80,
        )
        with transaction.atomic():
            Assignment.objects.filter(pk=overdue.pk).update(
                created_at=now - dt.timedelta(weeks=WEEKS + 1), due_at=now - dt.timedelta(days=6)
            )
