import pytest
from django.core.cache import cache

from core import cache as caching
from core import dbthreads
from tests.factories import ScenarioFactory, UserFactory

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _test_settings(settings, request):
    """Fast, deterministic defaults; tests marked `celery_worker` use the real broker."""
    from config.celery import app as celery_app

    settings.OFFLINE_ENGINE_PACE = 0
    settings.CUSTOMER_PACING = False
    # Argon2 costs ~100 ms and 100 MB per hash; tests that are about hashing opt back in.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    eager = request.node.get_closest_marker("celery_worker") is None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    cache.clear()
    caching.clear_process_values()
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(scope="session", autouse=True)
def _database_threads_closed(django_db_setup):
    """Threads that reached the database keep their connections between tests (the chat
    socket's, and asgiref's one thread for thread-sensitive calls from async code); PostgreSQL
    drops the test database at the end only once they are closed."""
    from asgiref.sync import SyncToAsync
    from django.db import connections

    yield
    dbthreads.close_connections()
    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=10)


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def scenario(db):
    return ScenarioFactory(slug="router-reboot-loop", title="Router stuck in a reboot loop")


@pytest.fixture
def client_user(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def api_client(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client
