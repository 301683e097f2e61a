"""Issue 10 §2: open WebSockets close (4401) when their trainee is deactivated or signed out
elsewhere; the socket of the page that asked stays open."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.services import user_deactivate, user_sessions_end
from config.asgi import application
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

CLOSE_UNAUTHENTICATED = 4401


def _signed_in_browser(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


async def _open_notifications(browser: Client) -> WebsocketCommunicator:
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    communicator = WebsocketCommunicator(
        application,
        "/ws/notifications/",
        headers=[(b"cookie", cookie), (b"origin", b"http://testserver")],
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _closed_with(communicator, code) -> bool:
    output = await communicator.receive_output(timeout=2)
    return output == {"type": "websocket.close", "code": code}


async def test_deactivation_closes_every_open_socket_of_the_trainee():
    user = await sync_to_async(UserFactory)()
    bystander = await sync_to_async(UserFactory)()
    laptop = await sync_to_async(_signed_in_browser)(user)
    phone = await sync_to_async(_signed_in_browser)(user)
    other = await sync_to_async(_signed_in_browser)(bystander)
    sockets = [await _open_notifications(browser) for browser in (laptop, phone)]
    bystander_socket = await _open_notifications(other)

    await sync_to_async(user_deactivate)(user=user)

    for socket in sockets:
        assert await _closed_with(socket, CLOSE_UNAUTHENTICATED)
    assert await bystander_socket.receive_nothing(timeout=0.3)
    await bystander_socket.disconnect()

    # Reconnecting with the old cookie is refused.
    retry = WebsocketCommunicator(
        application,
        "/ws/notifications/",
        headers=[
            (b"cookie", f"sessionid={laptop.cookies['sessionid'].value}".encode()),
            (b"origin", b"http://testserver"),
        ],
    )
    connected, code = await retry.connect()
    assert (connected, code) == (False, CLOSE_UNAUTHENTICATED)


async def test_log_out_other_devices_keeps_the_asking_browsers_socket_open():
    user = await sync_to_async(UserFactory)()
    laptop = await sync_to_async(_signed_in_browser)(user)
    phone = await sync_to_async(_signed_in_browser)(user)
    laptop_socket = await _open_notifications(laptop)
    phone_socket = await _open_notifications(phone)

    response = await sync_to_async(laptop.post)("/profile/sessions/end-others/")
    assert response.status_code == 302

    assert await _closed_with(phone_socket, CLOSE_UNAUTHENTICATED)
    assert await laptop_socket.receive_nothing(timeout=0.3)
    # The asking browser's rotated cookie still opens sockets.
    fresh = await _open_notifications(laptop)
    await fresh.disconnect()
    await laptop_socket.disconnect()


async def test_logging_out_closes_the_sockets_on_other_devices():
    user = await sync_to_async(UserFactory)()
    laptop = await sync_to_async(_signed_in_browser)(user)
    phone = await sync_to_async(_signed_in_browser)(user)
    phone_socket = await _open_notifications(phone)

    await sync_to_async(laptop.post)("/accounts/logout/")

    assert await _closed_with(phone_socket, CLOSE_UNAUTHENTICATED)


async def test_ending_sessions_of_one_trainee_leaves_other_trainees_alone():
    user, bystander = await sync_to_async(UserFactory.create_batch)(2)
    other = await sync_to_async(_signed_in_browser)(bystander)
    socket = await _open_notifications(other)

    await sync_to_async(user_sessions_end)(user=user)

    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()
