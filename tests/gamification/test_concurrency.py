"""Races that only a real database with row locks can show: PostgreSQL, real threads."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from accounts.models import User, level_for_xp
from gamification.models import XPReason, XPTransaction
from gamification.services import process_scored_session, xp_award
from tests.factories import ScenarioFactory, UserFactory
from tests.gamification.conftest import make_scored

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises every write; the race needs PostgreSQL (set DATABASE_URL).",
    ),
]


def run_together(targets):
    """Start every target at the same instant, each on its own connection; re-raise errors."""
    barrier = threading.Barrier(len(targets))
    errors = []

    def worker(target):
        try:
            barrier.wait(timeout=10)
            target()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors


def ledger_total(user) -> int:
    return sum(XPTransaction.objects.filter(user=user).values_list("amount", flat=True))


def test_ten_concurrent_ledger_awards_lose_nothing():
    user = UserFactory()
    sessions = [make_scored(user=user, score=80) for _ in range(10)]
    amounts = [7, 13, 21, 30, 44, 5, 9, 60, 12, 99]

    run_together(
        [
            lambda s=s, a=a: xp_award(user_id=user.pk, amount=a, reason=XPReason.SESSION, session=s)
            for s, a in zip(sessions, amounts, strict=True)
        ]
    )

    user.refresh_from_db()
    assert user.xp == sum(amounts) == 300
    assert user.level == level_for_xp(300) == 4
    assert XPTransaction.objects.filter(user=user).count() == 10


def test_ten_sessions_of_one_trainee_scored_at_once_give_the_exact_sum():
    call_command("load_achievements", verbosity=0)
    user = UserFactory()
    sessions = [
        make_scored(user=user, scenario=ScenarioFactory(xp_reward=50), score=80) for _ in range(10)
    ]

    def score(session):
        with transaction.atomic():  # as in the scoring task
            process_scored_session(session=session)

    run_together([lambda s=s: score(s) for s in sessions])

    user.refresh_from_db()
    session_xp = XPTransaction.objects.filter(user=user, reason=XPReason.SESSION)
    assert sorted(session_xp.values_list("amount", flat=True)) == [40] * 10
    held = list(user.achievements.select_related("achievement"))
    bonuses = sum(h.achievement.bonus_xp for h in held)
    assert user.xp == 400 + bonuses == ledger_total(user)
    assert user.level == level_for_xp(user.xp)
    keys = {h.achievement.key for h in held}
    assert {"first-session", "first-pass", "five-passes", "ten-sessions"} <= keys
    assert len(keys) == len(held)  # each once


def test_the_same_session_scored_by_five_workers_awards_once():
    call_command("load_achievements", verbosity=0)
    user = UserFactory()
    session = make_scored(user=user, score=100)
    results = []

    def score():
        with transaction.atomic():
            results.append(process_scored_session(session=session))

    run_together([score] * 5)

    assert sorted(r["xp_awarded"] for r in results) == [0, 0, 0, 0, 50]
    assert sum(len(r["achievements"]) for r in results) == user.achievements.count()
    assert XPTransaction.objects.filter(session=session).count() == 1
    user = User.objects.get(pk=user.pk)
    assert user.xp == ledger_total(user)
