"""Issue 17 §3: a WebSocket handshake is let in only from the app's own origin — the scheme,
host and port the browser reached it at, the host one of ALLOWED_HOSTS — or from one of
CSRF_TRUSTED_ORIGINS. Comparing host names alone let `http://127.0.0.1:9999` (any other
program on the machine) talk to a server on port 8821.

The anonymous notifications socket tells the two apart: a refused handshake is never accepted,
an allowed one is accepted and then closed with 4401."""

import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application

# Channels' consumers close stale connections of their thread, which counts as database access.
pytestmark = pytest.mark.django_db

SERVER = "127.0.0.1:8821"


async def allowed(origin: str | None, *, host: str = SERVER, scheme="ws", headers=()) -> bool:
    sent = [(b"host", host.encode()), *headers]
    if origin is not None:
        sent.append((b"origin", origin.encode()))
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=sent)
    # Channels' communicator takes no scheme; the scope is only read once the handshake starts.
    communicator.scope["scheme"] = scheme
    connected, _ = await communicator.connect(timeout=5)
    await communicator.disconnect()
    return connected


async def test_the_pages_own_origin_is_allowed():
    assert await allowed(f"http://{SERVER}")


async def test_another_port_on_the_same_host_is_refused():
    assert not await allowed("http://127.0.0.1:9999")
    assert not await allowed("http://127.0.0.1")  # port 80


async def test_another_scheme_on_the_same_host_and_port_is_refused():
    assert not await allowed(f"https://{SERVER}")  # the page over TLS, the socket in clear
    assert not await allowed(f"http://{SERVER}", scheme="wss")
    assert await allowed(f"https://{SERVER}", scheme="wss")


async def test_a_host_outside_allowed_hosts_is_refused_even_same_origin():
    """DNS rebinding: the attacker's name pointed at us is same-origin with itself."""
    assert not await allowed("http://evil.example:8821", host="evil.example:8821")


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "", "not a url"])
async def test_foreign_and_opaque_origins_are_refused(origin):
    assert not await allowed(origin)


async def test_a_script_without_origin_may_connect():
    """Browsers always send Origin; a script that omits it still needs a session cookie."""
    assert await allowed(None)


async def test_csrf_trusted_origins_are_allowed_whole(settings):
    """Behind a proxy that rewrites Host, the public origin is named in CSRF_TRUSTED_ORIGINS."""
    settings.CSRF_TRUSTED_ORIGINS = ["https://dojo.example.com", "https://*.dojo.example.com"]
    assert await allowed("https://dojo.example.com")
    assert await allowed("https://eu.dojo.example.com")
    assert not await allowed("http://dojo.example.com")
    assert not await allowed("https://dojo.example.com:8443")
    assert not await allowed("https://dojo.example.com.evil.example")


async def test_tls_terminated_by_the_proxy_counts_as_https(settings):
    """As for HTTP requests, SECURE_PROXY_SSL_HEADER says which scheme the browser used."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxied = [(b"x-forwarded-proto", b"https")]
    assert await allowed(f"https://{SERVER}", headers=proxied)
    assert not await allowed(f"http://{SERVER}", headers=proxied)
