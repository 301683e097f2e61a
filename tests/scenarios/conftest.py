from pathlib import Path

import pytest
from django.core.management import call_command

from tests.factories import ScenarioFactory, UserSessionFactory

LIBRARY = sorted((Path(__file__).resolve().parents[2] / "scenarios" / "library").glob("*.yaml"))


@pytest.fixture
def library(db):
    call_command("import_scenarios", *map(str, LIBRARY))


@pytest.fixture
def path(db):
    """A small learning path and a trainee part-way along it.

    starter-a: passed (85) after a failed try (40)      -> completed, unlocks inter-c
    starter-b: failed once (55); a preview pass and another trainee's pass do not count
    inter-c (needs a): one active attempt                -> unlocked, not completed
    inter-d (needs b)                                    -> locked by starter-b
    adv-e (needs c, d)                                   -> locked by both
    """
    a = ScenarioFactory(slug="starter-a", title="A starter", difficulty="starter")
    b = ScenarioFactory(slug="starter-b", title="B starter", difficulty="starter")
    c = ScenarioFactory(slug="inter-c", title="C intermediate", difficulty="intermediate")
    d = ScenarioFactory(slug="inter-d", title="D intermediate", difficulty="intermediate")
    e = ScenarioFactory(slug="adv-e", title="E advanced", difficulty="advanced")
    b.ticket_template = {**b.ticket_template, "category": "billing-refunds"}
    b.save()
    c.prerequisites.set([a])
    d.prerequisites.set([b])
    e.prerequisites.set([c, d])
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


@pytest.fixture
def history(path, user, other_user):
    scored = {"status": "scored", "user": user}
    UserSessionFactory(scenario=path["a"], score=40, passed=False, **scored)
    UserSessionFactory(scenario=path["a"], score=85, passed=True, **scored)
    UserSessionFactory(scenario=path["b"], score=55, passed=False, **scored)
    UserSessionFactory(scenario=path["b"], score=95, passed=True, is_preview=True, **scored)
    UserSessionFactory(scenario=path["b"], status="scored", score=90, passed=True, user=other_user)
    UserSessionFactory(scenario=path["c"], status="active", user=user)
    return path


@pytest.fixture
def admin_client(client, staff_user):
    """A client signed in to the admin as staff."""
    client.force_login(staff_user)
    return client
