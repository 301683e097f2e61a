"""The chat sockets' database threads (core.dbthreads): a connection that failed is never
used again, although healthy ones are only checked once a second."""

import pytest
from asgiref.sync import async_to_sync

from core import dbthreads


@pytest.fixture
def one_thread(settings):
    """One database thread, so that consecutive calls are sure to share its connection."""
    dbthreads.close_connections()
    previous, dbthreads._executor = dbthreads._executor, None
    settings.DB_THREADS = 1
    yield
    dbthreads.close_connections()
    dbthreads._executor = previous


def _select_one():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0]


def _break_the_connection():
    """What a database restart does to an idle connection, seen from the next query."""
    from django.db import DatabaseError, connection

    connection.ensure_connection()
    connection.connection.close()
    with pytest.raises(DatabaseError):
        _select_one()
    return connection.errors_occurred


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("one_thread")
def test_a_failed_connection_is_replaced_before_the_next_call():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs in the process: its connections do not break this way")
    call = async_to_sync
    assert call(dbthreads.db_call(_select_one))() == 1
    assert call(dbthreads.db_call(_break_the_connection))() is True
    # Within the second in which healthy connections go unchecked: still a fresh one.
    assert call(dbthreads.db_call(_select_one))() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("one_thread")
def test_healthy_connections_are_checked_at_most_once_a_second(monkeypatch):
    checks = []
    monkeypatch.setattr(dbthreads, "close_old_connections", lambda: checks.append(1))
    for _ in range(5):
        assert async_to_sync(dbthreads.db_call(_select_one))() == 1
    assert len(checks) == 1
