"""Reads about training sessions. Only the owner (and staff) may see a session."""

from django.db.models import Exists, OuterRef, Prefetch

from scenarios.models import Scenario
from sessions_app.exceptions import SessionNotFound
from sessions_app.models import ChatMessage, SessionStatus, UserSession


def missing_prerequisites(*, user, scenario: Scenario) -> list[Scenario]:
    """The active prerequisites of `scenario` the trainee has not passed yet, in title order.

    A deactivated prerequisite no longer locks anything: trainees cannot play it, so it must not
    hold back the scenarios that build on it.
    """
    passed = UserSession.objects.filter(
        user=user,
        scenario=OuterRef("pk"),
        status=SessionStatus.SCORED,
        passed=True,
        is_preview=False,
    )
    return list(
        scenario.prerequisites.active()
        .annotate(done=Exists(passed))
        .filter(done=False)
        .order_by("title")
    )


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


def session_list_for_user(*, user):
    """The trainee's own sessions, newest first, with their scenario fetched up front.

    Staff see only their own here too: the list is "my sessions", not an admin view.
    """
    return (
        UserSession.objects.filter(user=user)
        .select_related("scenario")
        .order_by("-started_at", "-created_at")
    )


def session_detail_for_user(*, user, session_id) -> UserSession:
    """One session with its messages, (once scored) metrics and a trainer's review if any, in
    three queries. The review is performance's, reached by its reverse name, not imported."""
    session = session_get_for_user(user=user, session_id=session_id)
    session = (
        UserSession.objects.select_related("scenario", "user", "review__reviewer")
        .prefetch_related(
            Prefetch("messages", queryset=ChatMessage.objects.order_by("seq")), "metrics"
        )
        .get(pk=session.pk)
    )
    return session
