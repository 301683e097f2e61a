"""Browser journeys: Debian's Chromium driven by Playwright against the real ASGI app.

The app runs in a uvicorn server on a background thread of the test process, so it shares the
test database, the channel layer and (eager) Celery with the test. Two consequences shape the
fixtures below:

* Playwright's sync API marks an asyncio loop as running in the test thread while it is alive,
  which makes Django refuse ORM calls there (SynchronousOnlyOperation). So Playwright lives for
  one test only and is stopped before the database is flushed, data fixtures are requested
  before `page`, and a test that reads or writes the database mid-journey uses `in_db_thread`.
* On SQLite the usual in-memory test database cannot be shared safely between threads, so when
  browser tests are selected the run uses a throw-away database file instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import expect

CHROMIUM = os.environ.get("DOJO_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("DOJO_REQUIRE_BROWSER") == "1"
E2E_DIR = Path(__file__).resolve().parent
# A small but non-zero pace, so that streaming (typing indicator, growing text) is observable.
E2E_ENGINE_PACE = 0.02
# Launch flags for a headless, network-silent Chromium running as root in a container.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]

# Two cores shared with the server, Chromium and Celery: give assertions room to wait.
expect.set_options(timeout=15_000)

collect_ignore = [] if os.environ.get("DOJO_SCREENSHOTS") == "1" else ["test_screenshots.py"]

_state: dict = {"e2e_selected": 0, "tmpdir": None}


def chromium_available() -> bool:
    return os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)


def _is_e2e(item) -> bool:
    return Path(str(item.path)).resolve().is_relative_to(E2E_DIR)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Mark browser tests `e2e`, run them last, and skip them loudly when there is no browser."""
    e2e_items = [item for item in items if _is_e2e(item)]
    if not e2e_items:
        return
    skip = None
    if not chromium_available() and not REQUIRE_BROWSER:
        skip = pytest.mark.skip(
            reason=f"BROWSER TESTS NOT RUN: no Chromium at {CHROMIUM} "
            "(run `bash .ci/install-browser`)"
        )
    filter_warnings = config.pluginmanager.has_plugin("warnings")
    for item in e2e_items:
        item.add_marker(pytest.mark.e2e)
        if filter_warnings:
            # WhiteNoise serves static files with a sync iterator; under ASGI Django warns.
            item.add_marker(pytest.mark.filterwarnings("ignore:StreamingHttpResponse must"))
        if skip is not None:
            item.add_marker(skip)
    others = [item for item in items if not _is_e2e(item)]
    items[:] = others + e2e_items


def pytest_collection_finish(session):
    """Give the run a database file that the server thread can share, if browsers will run."""
    selected = [item for item in session.items if _is_e2e(item)]
    _state["e2e_selected"] = len(selected)
    if not selected or not (chromium_available() or REQUIRE_BROWSER):
        return
    from django.db import connections

    settings_dict = connections.settings["default"]
    if settings_dict["ENGINE"] != "django.db.backends.sqlite3":
        return
    test_settings = settings_dict.setdefault("TEST", {})
    if test_settings.get("NAME"):
        return
    _state["tmpdir"] = tempfile.mkdtemp(prefix="dojo-e2e-")
    test_settings["NAME"] = os.path.join(_state["tmpdir"], "test.sqlite3")


def pytest_unconfigure(config):
    if _state["tmpdir"]:
        shutil.rmtree(_state["tmpdir"], ignore_errors=True)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _state["e2e_selected"] and not chromium_available():
        verdict = "FAILED (DOJO_REQUIRE_BROWSER=1)" if REQUIRE_BROWSER else "SKIPPED"
        terminalreporter.write_sep(
            "!",
            f"{_state['e2e_selected']} browser tests {verdict}: Chromium not found at "
            f"{CHROMIUM}; install it with `bash .ci/install-browser`",
            red=True,
            bold=True,
        )


# --- Browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """pytest-playwright's launch options: Debian's Chromium, since Playwright cannot fetch one."""
    if not chromium_available():
        pytest.fail(
            f"DOJO_REQUIRE_BROWSER=1 but there is no Chromium at {CHROMIUM}: "
            "run `bash .ci/install-browser`",
            pytrace=False,
        )
    return {"executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args():
    return {"viewport": {"width": 1280, "height": 800}, "locale": "en-GB"}


@pytest.fixture
def playwright(asgi_server, _pw_api_request_contexts):
    """Playwright for one test: started after the server, stopped before the database flush."""
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    if _pw_api_request_contexts:
        _pw_api_request_contexts.instrument(pw)
    yield pw
    pw.stop()


@pytest.fixture
def browser_type(playwright, browser_name):
    return getattr(playwright, browser_name or "chromium")


@pytest.fixture
def launch_browser(browser_type_launch_args, browser_type):
    def launch(**kwargs):
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture
def browser(launch_browser):
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture
def page(context, asgi_server):
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(15_000)
    return page


# --- The server ------------------------------------------------------------------------------


class AsgiServer:
    def __init__(self, url: str):
        self.url = url

    def __call__(self, path: str = "/") -> str:
        return self.url + path


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _close_server_connections():
    """End the server threads' database sessions, so that flush and DROP DATABASE do not wait.

    Runs after Playwright has stopped, so the test thread may close its own connection first.
    """
    from django.db import connections

    connections.close_all()

    def terminate():
        from django.db import connection

        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )

    in_db_thread(terminate)


@contextlib.contextmanager
def _celery_worker(settings):
    """With Redis, tasks go through the real broker to a worker thread, as in production.

    Without Redis the in-memory channel layer lives on the server's event loop, which a worker
    thread cannot reach; tasks then stay eager, run by the thread that enqueued them.
    """
    from config.celery import app as celery_app

    if not settings.REDIS_URL:
        yield None
        return
    from celery.contrib.testing.worker import start_worker

    celery_app.conf.task_always_eager = False  # tests/conftest.py restores it afterwards
    celery_app.control.purge()  # nothing left over from tests that ran without a worker
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=15
    ) as worker:
        yield worker


@contextlib.contextmanager
def _uvicorn(application):
    import uvicorn

    sock = _free_socket()
    config = uvicorn.Config(
        application,
        lifespan="off",
        log_level="warning",
        ws_max_size=65536,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="e2e-uvicorn", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the ASGI server did not start", pytrace=False)
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        if thread.is_alive():
            server.force_exit = True
            thread.join(5)
        sock.close()


@pytest.fixture
def asgi_server(transactional_db, settings):
    """The real ASGI application (HTTP + WebSocket) on a free loopback port."""
    from django.core.management import call_command
    from django.db import connections

    from config.asgi import application

    # A transactional test starts from empty tables: bring back the rows migrations seed.
    call_command("load_achievements", verbosity=0)
    settings.OFFLINE_ENGINE_PACE = E2E_ENGINE_PACE
    # Server threads open their own connections: close them after each request, not a minute on.
    db_settings = connections.settings["default"]
    previous_max_age = db_settings.get("CONN_MAX_AGE", 0)
    db_settings["CONN_MAX_AGE"] = 0
    try:
        with _celery_worker(settings), _uvicorn(application) as url:
            yield AsgiServer(url)
    finally:
        db_settings["CONN_MAX_AGE"] = previous_max_age
        _close_server_connections()


# --- Helpers ---------------------------------------------------------------------------------


def in_db_thread(fn, *args, **kwargs):
    """Run ORM code in a thread of its own (the test thread has Playwright's loop marked)."""

    def call():
        from django.db import connections

        try:
            return fn(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


@pytest.fixture
def db_call():
    return in_db_thread


def _login(page, asgi_server, email, password):
    page.goto(asgi_server("/accounts/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(asgi_server("/"))


@pytest.fixture
def login(asgi_server):
    """Log a page in through the real form (the session cookie is then the browser's own)."""

    def do_login(page, user, password="correct-horse-battery"):
        _login(page, asgi_server, user.email, password)
        return page

    return do_login
