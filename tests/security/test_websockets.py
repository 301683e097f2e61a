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
        headers=[(b"cookie", cookie), (b"host", b"testserver"), (b"origin", b"http://testserver")],
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
            (b"host", b"testserver"),
            (b"origin", b"http://testserver"),
        ],
    )
    connected, _ = await retry.connect()
    assert connected  # accepted, so that the browser sees the code…
    assert await _closed_with(retry, CLOSE_UNAUTHENTICATED)  # …and stops retrying


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


# --- the chat socket listens to the same group -----------------------------------------------


async def _open_chat(browser: Client, session_id) -> WebsocketCommunicator:
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    communicator = WebsocketCommunicator(
        application,
        f"/ws/sessions/{session_id}/",
        headers=[(b"cookie", cookie), (b"host", b"testserver"), (b"origin", b"http://testserver")],
    )
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=2))["type"] == "history"
    return communicator


def _started_chat(user):
    from sessions_app.services import session_start
    from tests.factories import ScenarioFactory

    return session_start(user=user, scenario=ScenarioFactory())


async def test_deactivation_closes_an_open_chat_socket_and_refuses_reconnecting():
    user = await sync_to_async(UserFactory)()
    chat = await sync_to_async(_started_chat)(user)
    laptop = await sync_to_async(_signed_in_browser)(user)
    socket = await _open_chat(laptop, chat.pk)

    await sync_to_async(user_deactivate)(user=user)

    assert await _closed_with(socket, CLOSE_UNAUTHENTICATED)
    retry = WebsocketCommunicator(
        application,
        f"/ws/sessions/{chat.pk}/",
        headers=[
            (b"cookie", f"sessionid={laptop.cookies['sessionid'].value}".encode()),
            (b"host", b"testserver"),
            (b"origin", b"http://testserver"),
        ],
    )
    connected, _ = await retry.connect()
    assert connected
    assert await _closed_with(retry, CLOSE_UNAUTHENTICATED)


async def test_log_out_other_devices_closes_their_chats_but_not_this_one():
    user = await sync_to_async(UserFactory)()
    chat = await sync_to_async(_started_chat)(user)
    laptop = await sync_to_async(_signed_in_browser)(user)
    phone = await sync_to_async(_signed_in_browser)(user)
    laptop_chat = await _open_chat(laptop, chat.pk)
    phone_chat = await _open_chat(phone, chat.pk)

    response = await sync_to_async(laptop.post)("/profile/sessions/end-others/")
    assert response.status_code == 302

    assert await _closed_with(phone_chat, CLOSE_UNAUTHENTICATED)
    assert await laptop_chat.receive_nothing(timeout=0.3)
    await laptop_chat.send_json_to({"type": "ping"})
    assert await laptop_chat.receive_json_from(timeout=2) == {"type": "pong"}
    await laptop_chat.disconnect()


async def test_page_notifications_are_not_sent_down_the_chat_socket():
    from core.live import notify_user

    user = await sync_to_async(UserFactory)()
    chat = await sync_to_async(_started_chat)(user)
    laptop = await sync_to_async(_signed_in_browser)(user)
    chat_socket = await _open_chat(laptop, chat.pk)
    notifications = await _open_notifications(laptop)

    await sync_to_async(notify_user)(user.pk, {"type": "xp.awarded", "amount": 5})

    assert (await notifications.receive_json_from(timeout=2))["type"] == "xp.awarded"
    assert await chat_socket.receive_nothing(timeout=0.3)
    await chat_socket.send_json_to({"type": "ping"})
    assert await chat_socket.receive_json_from(timeout=2) == {"type": "pong"}
    await chat_socket.disconnect()
    await notifications.disconnect()
