"""Starting a session, and the chat page while it is active (`overview.views.session_page`
shows the chat or, once the session has ended, its report)."""

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from scenarios.exceptions import ScenarioNotFound
from scenarios.selectors import scenario_get_active, ticket_rows
from sessions_app.engines.customer import CustomerState
from sessions_app.models import MessageRole
from sessions_app.services import session_start


def _preference(user, name: str, default: bool) -> bool:
    value = (getattr(user, "preferences", None) or {}).get(name, default)
    return value if isinstance(value, bool) else default


# Spare replies on top of the expected number, as `performance/evaluators/efficiency.py` allows
# before it takes points off (this app may not import it; a test keeps the two in step).
SPARE_REPLIES = 3
# Ticket details about what the customer did before writing in ("tried", "previous_contacts").
_TRIED_KEY = re.compile(r"tried|attempt|previous|already|steps|troubleshoot", re.IGNORECASE)


def expected_replies(document: dict) -> tuple[int, int]:
    """How many replies a session of this scenario usually takes, as (fewest, most): a
    greeting, one question per fact the customer holds, one reply per fix the resolution
    requires, and a close (the efficiency criterion's count), up to its spare replies.
    Scenario documents state no number of turns; this is the estimate the chat shows."""
    persona = document.get("customer_persona") or {}
    facts = [fact for fact in persona.get("facts") or [] if isinstance(fact, dict)]
    known = {
        entry.get("id")
        for entry in document.get("knowledge_base_entries") or []
        if isinstance(entry, dict)
    }
    requires = (persona.get("resolution") or {}).get("requires") or []
    fewest = 2 + len(facts) + len([entry for entry in requires if entry in known])
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


def chat_page(request, session):
    """The live conversation of an active `session` the requester may see."""
    snapshot = session.snapshot
    ticket = snapshot.ticket
    knowledge_base = [
        {"id": entry.get("id", ""), "title": entry.get("title", ""), "body": entry.get("body", "")}
        for entry in snapshot.knowledge_base
    ]
    transcript = list(session.messages.order_by("seq"))
    fewest, most = expected_replies(session.scenario_document)
    show_mood = _preference(request.user, "show_customer_mood", True)
    return render(
        request,
        "sessions_app/chat.html",
        {
            "session": session,
            "title": snapshot.title,
            "difficulty": snapshot.difficulty,
            "estimated_time": snapshot.estimated_time,
            "ticket": ticket,
            "persona": persona_card(ticket),
            "technical_level": str(snapshot.persona.get("technical_level") or ""),
            "customer_name": snapshot.customer_name,
            "knowledge_base": knowledge_base,
            "transcript": transcript,
            "turns": sum(1 for message in transcript if message.role == MessageRole.AGENT),
            "turns_fewest": fewest,
            "turns_most": most,
            "mood": (session.engine_state or {}).get("mood"),
            "mood_history": mood_history(session) if show_mood else [],
            "enter_sends": _preference(request.user, "enter_sends", True),
            "show_mood": show_mood,
            "max_chars": settings.CHAT_MAX_MESSAGE_CHARS,
        },
    )


@require_POST
@login_required
def scenario_start(request, slug):
    try:
        scenario = scenario_get_active(slug=slug)
    except ScenarioNotFound:
        raise Http404("No such scenario.") from None
    try:
        session = session_start(user=request.user, scenario=scenario)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("scenario-detail", slug=scenario.slug)
    return redirect("session-detail", session_id=session.id)
