"""Database calls from async code (the chat socket) on a small pool of threads of their own.

Channels' `database_sync_to_async` is thread-sensitive by default: every socket of a process
queues its database work on one shared thread, so a turn waits for every other socket's turns
to finish their round trips to PostgreSQL, and that one thread, not the CPU, capped a process
at ~60 turns/s (`make bench`, py-spy: the thread busy all the time, the event loop a fifth).
Each call here still runs whole in one thread (a transaction never spans threads) and still
closes stale connections before and after, as Channels does; each thread keeps its own
connection, so a process holds at most `DB_THREADS` of them.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor, wait

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connections

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


def db_call(func):
    """`database_sync_to_async(func)`, on the database threads."""
    return database_sync_to_async(func, thread_sensitive=False, executor=_pool())


def close_connections(timeout: float = 10.0) -> None:
    """Close every database thread's connection: PostgreSQL drops a database (the test
    database, at the end of a run) only once nobody is connected to it. Each thread takes
    one of the closing tasks, as every task waits for all the others before returning."""
    if _executor is None:
        return
    workers = _executor._max_workers
    everyone = threading.Barrier(workers)

    def close():
        connections.close_all()
        with contextlib.suppress(threading.BrokenBarrierError):
            everyone.wait(timeout)

    wait([_executor.submit(close) for _ in range(workers)], timeout=timeout + 1)
