"""Database calls from async code (the chat socket) on a small pool of threads of their own.

Channels' `database_sync_to_async` is thread-sensitive by default: every socket of a process
queues its database work on one shared thread, so a turn waits for every other socket's turns
to finish their round trips to PostgreSQL, and that one thread, not the CPU, capped a process
at ~60 turns/s (`make bench`, py-spy: the thread busy all the time, the event loop a fifth).
Each call here still runs whole in one thread (a transaction never spans threads) and stale
connections are still closed (`_close_stale_connections`); each thread keeps its own
connection, so a process holds at most `DB_THREADS` of them.
"""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import close_old_connections, connections

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        with _lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(
                    max_workers=settings.DB_THREADS, thread_name_prefix="db"
                )
    return _executor


# How often a database thread looks for stale connections between calls.
CHECK_EVERY_SECONDS = 1.0
_local = threading.local()


def _close_stale_connections() -> None:
    """Channels closes stale connections before and after every call, and with
    `CONN_HEALTH_CHECKS` each of those checks costs a `SELECT 1` on the next query: a round
    trip for every database call of a chat turn. A thread here checks at most once a second,
    and at once after a database error (a broken connection is still never used twice)."""
    now = time.monotonic()
    failed = any(c.errors_occurred for c in connections.all(initialized_only=True))
    if failed or now >= getattr(_local, "next_check", 0.0):
        _local.next_check = now + CHECK_EVERY_SECONDS
        close_old_connections()


class _DatabaseCall(SyncToAsync):
    def thread_handler(self, loop, *args, **kwargs):
        _close_stale_connections()
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            _close_stale_connections()


def db_call(func):
    """`database_sync_to_async(func)`, on the database threads."""
    return _DatabaseCall(func, thread_sensitive=False, executor=_pool())


def close_connections(timeout: float = 10.0) -> None:
    """Close every database thread's connection: PostgreSQL drops a database (the test
    database, at the end of a run) only once nobody is connected to it. Each thread takes
    one of the closing tasks, as every task waits for all the others before returning."""
    if _executor is None:
        return
    workers = _executor._max_workers  # the pool's size when it was made
    everyone = threading.Barrier(workers)

    def close():
        connections.close_all()
        with contextlib.suppress(threading.BrokenBarrierError):
            everyone.wait(timeout)

    wait([_executor.submit(close) for _ in range(workers)], timeout=timeout + 1)
