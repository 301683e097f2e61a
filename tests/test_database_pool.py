"""With DB_POOL_MAX_SIZE, PostgreSQL connections come from one bounded pool per process.

Under ASGI every HTTP request runs in a thread of its own; with per-thread persistent
connections each such thread kept one open, and `make bench` ran PostgreSQL out of them."""

import threading

import pytest
from django.conf import settings
from django.db import close_old_connections, connection, connections

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not getattr(settings, "DB_POOL_MAX_SIZE", 0),
        reason="needs PostgreSQL with DB_POOL_MAX_SIZE set",
    ),
]


def test_connections_come_from_a_bounded_pool():
    assert connection.pool is not None
    assert connection.pool.max_size == settings.DB_POOL_MAX_SIZE


def test_many_short_lived_threads_share_the_pool():
    def request_in_a_thread():
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        close_old_connections()  # what the end of a request does

    threads = [threading.Thread(target=request_in_a_thread) for _ in range(3 * 20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert connection.pool.get_stats()["pool_size"] <= settings.DB_POOL_MAX_SIZE
