"""Glue between django-axes and this project's three login doors.

The allauth form posts `login`, the admin form `username`, the API token endpoint `email`;
axes must count all three against the same lower-cased address, or an attacker could spread
guesses over the doors (or over letter cases) and never reach the limit.
"""

import hashlib

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from core.api import error_body

_LOGIN_FIELDS = ("email", "username", "login")

LOCKOUT_MESSAGE = (
    "Too many failed sign-in attempts for this account from your network. "
    "Wait a few minutes and try again, or reset your password."
)


def axes_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the address being tried, wherever the form put it."""
    sources = [credentials] if isinstance(credentials, dict) else []
    sources.append(getattr(request, "data", None) or getattr(request, "POST", None) or {})
    for source in sources:
        for field in _LOGIN_FIELDS:
            value = source.get(field) if hasattr(source, "get") else None
            if isinstance(value, str) and value.strip():
                return value.strip().lower()
    return None


def axes_retry_after_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def axes_lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a 429 in the API's envelope under /api/, a page elsewhere."""
    retry_after = axes_retry_after_seconds()
    if request.path.startswith("/api/"):
        response = JsonResponse(
            error_body(LOCKOUT_MESSAGE, {"code": "locked_out", "retry_after": retry_after}),
            status=429,
        )
    else:
        response = render(
            request,
            "accounts/lockout.html",
            {"message": LOCKOUT_MESSAGE, "retry_minutes": max(retry_after // 60, 1)},
            status=429,
        )
    response["Retry-After"] = str(retry_after)
    return response


def session_fingerprint(session_key: str | None) -> str | None:
    """A session key stands for a login; events on the channel layer carry only its hash."""
    if not session_key:
        return None
    return hashlib.sha256(session_key.encode()).hexdigest()[:32]


def socket_must_close(scope, event: dict) -> bool:
    """For a consumer's `force_disconnect` handler: True unless this socket belongs to one of
    the sessions the `force.disconnect` event keeps (the page that asked)."""
    session = scope.get("session")
    key = getattr(session, "session_key", None) if session is not None else None
    fingerprint = session_fingerprint(key)
    return fingerprint is None or fingerprint not in event.get("keep_sessions", ())
