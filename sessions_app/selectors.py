"""Reads about training sessions. Only the owner (and staff) may see a session."""

import re
from collections.abc import Callable

from django.db.models import Exists, OuterRef, Prefetch

from scenarios.documents import SPARE_REPLIES, ScenarioDocument
from scenarios.models import Scenario
from scenarios.selectors import ticket_rows
from sessions_app.engines.customer import CustomerState
from sessions_app.exceptions import SessionNotFound
from sessions_app.models import (
    ChatMessage,
    MessageRole,
    SessionHint,
    SessionStatus,
    UserSession,
)


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
    """One session with its messages, hints, (once scored) metrics and a trainer's review if
    any, in four queries. The review is performance's, reached by its reverse name, not imported."""
    session = session_get_for_user(user=user, session_id=session_id)
    session = (
        UserSession.objects.select_related("scenario", "user", "review__reviewer")
        .prefetch_related(
            Prefetch("messages", queryset=ChatMessage.objects.order_by("seq")),
            Prefetch("hints", queryset=SessionHint.objects.order_by("after_seq")),
            "metrics",
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


# Ticket details about what the customer did before writing in ("tried", "previous_contacts").
_TRIED_KEY = re.compile(r"tried|attempt|previous|already|steps|troubleshoot", re.IGNORECASE)


# --- what the chat page shows beside the conversation ---------------------------------------------


def expected_replies(document: ScenarioDocument) -> tuple[int, int]:
    """How many replies a session of this scenario usually takes, as (fewest, most): the
    efficiency criterion's count and its allowance. Scenario documents state no number of
    turns; this is the estimate the chat shows."""
    fewest = document.expected_replies
    return fewest, fewest + SPARE_REPLIES


def persona_card(ticket: dict) -> dict:
    """What the trainee may know about the customer before asking: only the ticket. The
    persona's facts, temperament and resolution stay hidden (the customer gives facts only
    when asked). Scenario documents have no background or goal field: the ticket's first
    sentence is the issue, the rest of it (what they want, how urgent it is) the goal in their
    own words, its customer details the background, and its details about earlier attempts
    ("previous_contacts", "tried_…") what they have tried."""
    sentences = [
        part.strip()
        for part in re.split(r"(?<=[.!?…])\s+", str(ticket.get("description") or "").strip())
        if part.strip()
    ]
    background = ticket_rows(ticket.get("customer_info"))
    context = ticket_rows(ticket.get("technical_context"))
    tried = [row for row in background + context if _TRIED_KEY.search(row[0])]
    return {
        "issue": sentences[0] if sentences else "",
        "goal": " ".join(sentences[1:]),
        "background": [row for row in background if row not in tried],
        "technical_context": [row for row in context if row not in tried],
        "tried": tried,
    }


def mood_history(session) -> list[dict]:
    """The customer's mood at the start and after each turn that changed it (the report's
    mood line, as far as the session has got)."""
    state = session.engine_state or {}
    moods = [{"turn": 0, "mood": CustomerState.start(session.scenario_document).mood}]
    for entry in state.get("history") or []:
        if isinstance(entry, dict) and entry.get("mood") and entry["mood"] != moods[-1]["mood"]:
            moods.append({"turn": entry.get("turn", 0), "mood": entry["mood"]})
    current = state.get("mood")
    if current and current != moods[-1]["mood"]:
        moods.append({"turn": state.get("turns", 0), "mood": current})
    return moods


def hint_on_show(given: list, transcript: list):
    """The chat's latest hint (of `given`, in order) while the trainee has not replied since;
    once they have, it belongs to a moment that has passed (the report lists it)."""
    if not given:
        return None
    last = given[-1]
    replied = any(m.role == MessageRole.AGENT and m.seq > last.after_seq for m in transcript)
    return None if replied else last
