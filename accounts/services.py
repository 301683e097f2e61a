import logging

from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.db.models import F
from rest_framework.authtoken.models import Token

from accounts.models import User
from accounts.security import session_fingerprint
from core import live
from core.groups import user_group

logger = logging.getLogger(__name__)

PROFILE_FIELDS = ("first_name", "last_name", "timezone")


def user_update_profile(*, user: User, data: dict) -> User:
    """Update what a trainee may change about themselves; anything else in `data` is ignored."""
    changed = []
    for field in PROFILE_FIELDS:
        if field in data:
            setattr(user, field, data[field])
            changed.append(field)
    if "preferences" in data:
        user.preferences = {**(user.preferences or {}), **data["preferences"]}
        changed.append("preferences")
    if changed:
        user.save(update_fields=[*changed, "updated_at"])
    return user


def api_token_issue(*, user: User) -> Token:
    token, _ = Token.objects.get_or_create(user=user)
    return token


def api_token_revoke(*, user: User) -> bool:
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)


def user_sessions_end(*, user: User, keep_request=None, reason: str = "signed_out") -> None:
    """End every browser session and open WebSocket of `user`, except the session of
    `keep_request` when given (the page that asked). Sessions on any engine die because the
    epoch is part of their auth hash; sockets are told through the user's channel group.
    """
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
    keep = []
    if keep_request is not None:
        # The open sockets of this browser still carry the key from before the rotation.
        keep.append(session_fingerprint(keep_request.session.session_key))
        update_session_auth_hash(keep_request, user)
        keep.append(session_fingerprint(keep_request.session.session_key))
    event = {"type": "force.disconnect", "reason": reason, "keep_sessions": [k for k in keep if k]}
    # A socket that misses it (its buffer full: not reading) fails the hash check on reconnect.
    transaction.on_commit(lambda: live.send(user_group(user.pk), event))


@transaction.atomic
def user_deactivate(*, user: User) -> None:
    """Lock a trainee out everywhere now: pages, API tokens and open WebSockets."""
    user.is_active = False
    user.save(update_fields=["is_active", "updated_at"])
    Token.objects.filter(user=user).delete()
    user_sessions_end(user=user, reason="deactivated")


@transaction.atomic
def user_password_changed(*, user: User, request=None) -> None:
    """After a password change or reset nothing opened with the old password may stay open:
    other sessions, sockets and the API token (a script can ask for a new one)."""
    Token.objects.filter(user=user).delete()
    keep_request = request if request is not None and request.user == user else None
    user_sessions_end(user=user, keep_request=keep_request, reason="password_changed")
