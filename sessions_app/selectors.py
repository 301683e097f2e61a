"""Reads about training sessions. Only the owner (and staff) may see a session."""

from sessions_app.exceptions import SessionNotFound
from sessions_app.models import UserSession


def session_get_for_user(*, user, session_id) -> UserSession:
    """The session if `user` owns it (or is staff); SessionNotFound otherwise, never a hint
    that someone else's session exists."""
    if not getattr(user, "is_authenticated", False):
        raise SessionNotFound()
    queryset = UserSession.objects.select_related("scenario", "user")
    if not user.is_staff:
        queryset = queryset.filter(user=user)
    try:
        return queryset.get(pk=session_id)
    except (UserSession.DoesNotExist, ValueError, TypeError):
        raise SessionNotFound() from None
