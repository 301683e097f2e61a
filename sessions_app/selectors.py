"""Reads about training sessions. Only the owner (and staff) may see a session."""

from collections.abc import Callable

from django.db.models import Exists, OuterRef, Prefetch

from scenarios.models import Scenario
from sessions_app.exceptions import SessionNotFound
from sessions_app.models import ChatMessage, MessageRole, SessionStatus, UserSession


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


def conversation_position(rows) -> Callable:
    """A sort key putting each customer reply right after the message it answered, for `rows`
    of `(id, seq, role, reply_to)` (or more columns after these) in seq order.

    Seq order is the order messages were stored, and another tab's message stored while the
    customer was answering (it got `busy`) comes before that answer although the customer never
    saw it. The customer's next turn and the rubric both read the conversation in this order,
    as it was lived, so a question answered late still counts as asked and answered."""
    seq_of = {str(row[0]): row[1] for row in rows}

    def position(row):
        _id, seq, role, reply_to = row[:4]
        answered = seq_of.get(str(reply_to)) if reply_to else None
        if role == MessageRole.CUSTOMER and answered is not None and answered < seq:
            return (answered, 1, seq)
        return (seq, 0, seq)

    return position
