"""Channel-layer group names, built in one place so that senders and consumers always agree."""


def session_group(session_id) -> str:
    return f"session.{session_id}"


def user_group(user_id) -> str:
    return f"user.{user_id}"
