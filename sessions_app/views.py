"""Starting a session, and the chat page while it is active (`overview.views.session_page`
shows the chat or, once the session has ended, its report)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from scenarios.exceptions import ScenarioNotFound
from scenarios.selectors import scenario_get_active
from sessions_app import hints
from sessions_app.models import MessageRole
from sessions_app.selectors import expected_replies, hint_on_show, mood_history, persona_card
from sessions_app.services import session_start


def _preference(user, name: str, default: bool) -> bool:
    value = (getattr(user, "preferences", None) or {}).get(name, default)
    return value if isinstance(value, bool) else default


def chat_page(request, session):
    """The live conversation of an active `session` the requester may see."""
    snapshot = session.snapshot
    ticket = snapshot.ticket
    knowledge_base = [
        {"id": entry.get("id", ""), "title": entry.get("title", ""), "body": entry.get("body", "")}
        for entry in snapshot.knowledge_base
    ]
    transcript = list(session.messages.order_by("seq"))
    fewest, most = expected_replies(session.snapshot)
    given = list(session.hints.order_by("after_seq"))
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
            "last_hint": hint_on_show(given, transcript),
            "hints_used": len(given),
            "hints_left": max(0, hints.LIMIT - len(given)),
            "hints_limit": hints.LIMIT,
            "hint_cost": hints.XP_COST_PERCENT,
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
