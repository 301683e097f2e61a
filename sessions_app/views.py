"""The chat page: the live conversation while active, the report once it has ended."""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from sessions_app.exceptions import SessionNotFound
from sessions_app.models import SessionStatus
from sessions_app.selectors import session_get_for_user


def _rows(mapping) -> list[tuple[str, str]]:
    """Free-form ticket details as label/value pairs."""
    if not isinstance(mapping, dict):
        return []
    return [
        (
            str(key).replace("_", " ").capitalize(),
            value if isinstance(value, str) else json.dumps(value, ensure_ascii=False),
        )
        for key, value in mapping.items()
    ]


def _preference(user, name: str, default: bool) -> bool:
    value = (getattr(user, "preferences", None) or {}).get(name, default)
    return value if isinstance(value, bool) else default


@login_required
def session_detail(request, session_id):
    try:
        session = session_get_for_user(user=request.user, session_id=session_id)
    except SessionNotFound:
        raise Http404("No such session.") from None

    if session.status != SessionStatus.ACTIVE:
        from performance.selectors import report_context

        return render(
            request,
            "performance/report.html",
            report_context(session=session, user=request.user),
        )

    snapshot = session.scenario_snapshot or {}
    ticket = snapshot.get("ticket_template") or {}
    persona = snapshot.get("customer_persona") or {}
    knowledge_base = [
        {"id": entry.get("id", ""), "title": entry.get("title", ""), "body": entry.get("body", "")}
        for entry in snapshot.get("knowledge_base_entries") or []
        if isinstance(entry, dict)
    ]
    transcript = list(session.messages.order_by("seq"))
    return render(
        request,
        "sessions_app/chat.html",
        {
            "session": session,
            "title": snapshot.get("title") or session.scenario.title,
            "difficulty": snapshot.get("difficulty") or session.scenario.difficulty,
            "estimated_time": int(snapshot.get("estimated_time") or 10),
            "ticket": ticket,
            "customer_info": _rows(ticket.get("customer_info")),
            "technical_context": _rows(ticket.get("technical_context")),
            "customer_name": persona.get("name") or "Customer",
            "knowledge_base": knowledge_base,
            "transcript": transcript,
            "mood": (session.engine_state or {}).get("mood"),
            "enter_sends": _preference(request.user, "enter_sends", True),
            "show_mood": _preference(request.user, "show_customer_mood", True),
            "max_chars": settings.CHAT_MAX_MESSAGE_CHARS,
        },
    )
