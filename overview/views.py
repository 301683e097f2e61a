"""Pages that combine several apps: the trainee's home, the catalogue with their progress,
and a session's page (the live chat, then the report)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from overview.dashboard import dashboard_for_user
from overview.progress import (
    recommended_next_scenario,
    scenario_get_with_progress,
    scenario_list_with_progress,
)
from overview.report import report_context
from scenarios.exceptions import ScenarioNotFound
from scenarios.forms import ScenarioFilterForm
from scenarios.selectors import ticket_rows
from sessions_app.exceptions import SessionNotFound
from sessions_app.models import SessionStatus
from sessions_app.selectors import session_get_for_user
from sessions_app.views import chat_page


def dashboard(request):
    """The trainee's home; a landing page for visitors who are not signed in."""
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    data = dashboard_for_user(user=request.user)
    return render(request, "gamification/dashboard.html", {"dashboard": data})


@login_required
def session_page(request, session_id):
    """The live chat while the session is active, its report once it has ended."""
    try:
        session = session_get_for_user(user=request.user, session_id=session_id)
    except SessionNotFound:
        raise Http404("No such session.") from None
    if session.status == SessionStatus.ACTIVE:
        return chat_page(request, session)
    return render(
        request, "performance/report.html", report_context(session=session, user=request.user)
    )


CATALOGUE_PAGE_SIZE = 24


@login_required
def scenario_list(request):
    everything = scenario_list_with_progress(user=request.user)
    catalogue = everything.catalogue
    form = ScenarioFilterForm(request.GET or None, categories=catalogue.categories)
    filters = form.filters()
    scenarios = everything.filtered(**filters) if filters else everything
    # A large library would otherwise render every card at once (about 0.9 MB for 1,000).
    page = Paginator(scenarios, CATALOGUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "scenarios/list.html",
        {
            "form": form,
            "catalogue": catalogue,
            "page": page,
            "page_query": query.urlencode(),
            "matched": len(scenarios),
            "filtered": bool(filters),
            "total": len(everything),
            "recommended": recommended_next_scenario(user=request.user, scenarios=everything),
        },
    )


@login_required
def scenario_detail(request, slug):
    try:
        scenario = scenario_get_with_progress(user=request.user, slug=slug)
    except ScenarioNotFound:
        raise Http404("No such scenario.") from None
    ticket = scenario.ticket_template or {}
    persona = scenario.persona
    return render(
        request,
        "scenarios/detail.html",
        {
            "scenario": scenario,
            "ticket": {
                "priority": ticket.get("priority", ""),
                "category": ticket.get("category", ""),
                "description": ticket.get("description", ""),
                "customer_info": ticket_rows(ticket.get("customer_info")),
                "technical_context": ticket_rows(ticket.get("technical_context")),
            },
            # Only what the trainee would see before the conversation starts.
            "customer": {
                "name": persona.get("name", ""),
                "technical_level": persona.get("technical_level", ""),
            },
            "knowledge_base_titles": [entry.get("title", "") for entry in scenario.knowledge_base],
            "criteria": [
                {"label": str(c.get("key", "")).replace("_", " ").capitalize(), **c}
                for c in scenario.criteria
            ],
        },
    )
