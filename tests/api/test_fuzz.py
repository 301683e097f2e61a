"""Schema-driven fuzzing: schemathesis generates requests from `/api/schema/` for every operation
and checks every answer against the same schema, in process, through the real WSGI stack.

Three callers: a trainee with a token, nobody, and a forged token. Generation is derandomized,
so a failure reproduces on every run and on every machine.
"""

import uuid
from urllib.parse import unquote, urlsplit

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from core.views import api_not_found
from tests.factories import ScenarioFactory, UserSessionFactory

PUBLIC_PATHS = {"/api/v1/auth/token/"}
# Fixed ids so that generated requests can aim at objects the fixtures create.
OWN_SESSION_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHERS_SESSION_ID = uuid.UUID("00000000-0000-4000-8000-000000000002")

CONFIG = schemathesis.Config.from_dict({"generation": {"deterministic": True}})
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)

# Left out: `positive_data_acceptance`, because a schema cannot say that a time zone must exist or
# that a slug must name a scenario, so schema-valid input is legitimately refused (400, 404); and
# `negative_data_rejection`, because lenient query parsing (an unknown `period` read as the
# default) is allowed by the contract. Everything else runs: no 5xx, documented status codes,
# bodies and headers that match the schema, 401 without credentials, 405 with `Allow`.
EXCLUDED_CHECKS = [positive_data_acceptance, negative_data_rejection]


def fuzz_settings(max_examples):
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture
def fuzz_world(user, other_user):
    """Objects for generated requests to find: an open and a locked scenario, the trainee's own
    session and someone else's (which must stay invisible: 404)."""
    scenario = ScenarioFactory(slug="router-reboot-loop")
    locked = ScenarioFactory(slug="locked-scenario")
    locked.prerequisites.add(scenario)
    UserSessionFactory(id=OWN_SESSION_ID, user=user, scenario=scenario)
    UserSessionFactory(id=OTHERS_SESSION_ID, user=other_user, scenario=scenario)
    return {
        "slugs": [scenario.slug, locked.slug],
        "session_ids": [str(OWN_SESSION_ID), str(OTHERS_SESSION_ID)],
    }


@pytest.fixture
def in_test_transaction():
    """What Django's own test client does: schemathesis calls the WSGI app directly, whose
    request signals would otherwise close the connection holding the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _aim_at_fixtures(case, data, world):
    """Half the time, swap a generated path id for one that exists, so positive paths run."""
    for name, value in list((case.path_parameters or {}).items()):
        if not data.draw(st.booleans(), label=f"use a real {name}"):
            continue
        if "slug" in name:
            case.path_parameters[name] = data.draw(st.sampled_from(world["slugs"]))
            continue
        try:
            uuid.UUID(str(value))
        except ValueError:
            continue
        case.path_parameters[name] = data.draw(st.sampled_from(world["session_ids"]))


def _reaches_an_endpoint(response) -> bool:
    """False when a generated path value (a slug of `:`) matches no route: the JSON 404
    catch-all answers that, to anyone, before any authentication."""
    path = unquote(urlsplit(response.request.url).path)
    try:
        return resolve(path).func is not api_not_found
    except Resolver404:
        return False


def _targets_someone_elses_session(case) -> bool:
    return str(OTHERS_SESSION_ID) in map(str, (case.path_parameters or {}).values())


# Real commits (not a rolled-back test transaction): views that catch an IntegrityError, and
# on_commit work such as scoring, behave as in production.
@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@schema.given(data=st.data())
@fuzz_settings(max_examples=20)
def test_fuzz_as_a_trainee_with_a_token(case, data, token, fuzz_world):
    cache.clear()  # throttling is tested on its own; here it would only hide the endpoints
    _aim_at_fixtures(case, data, fuzz_world)
    response = case.call_and_validate(
        headers={"Authorization": f"Token {token}"}, excluded_checks=EXCLUDED_CHECKS
    )
    if _targets_someone_elses_session(case):
        assert not 200 <= response.status_code < 300, "another trainee's session leaked"
        assert response.status_code != 403, "another trainee's session must look absent (404)"


# Refused before any write, so the cheap rolled-back transaction is enough here and below.
@pytest.mark.django_db
@schema.parametrize()
@fuzz_settings(max_examples=8)
def test_fuzz_without_credentials(case, in_test_transaction):
    cache.clear()
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    case.cookies = {}
    response = case.call_and_validate(excluded_checks=EXCLUDED_CHECKS)
    if case.operation.path not in PUBLIC_PATHS and _reaches_an_endpoint(response):
        assert response.status_code == 401, response.text
        assert set(response.json()) == {"error", "details"}


@pytest.mark.django_db
@schema.parametrize()
@fuzz_settings(max_examples=5)
def test_fuzz_with_a_forged_token(case, in_test_transaction):
    cache.clear()
    case.cookies = {}
    forged = {"Authorization": "Token 0123456789abcdef0123456789abcdef01234567"}
    response = case.call_and_validate(headers=forged, excluded_checks=EXCLUDED_CHECKS)
    # A bad token is refused even where anonymous callers are welcome: it is a client bug.
    if _reaches_an_endpoint(response):
        assert response.status_code == 401, response.text
