import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.errors import DomainError
from scenarios.exceptions import ScenarioNotFound
from scenarios.forms import ScenarioFilterForm
from scenarios.selectors import (
    recommended_next_scenario,
    scenario_catalogue,
    scenario_get_active,
    scenario_get_with_progress,
    scenario_list_with_progress,
)
from sessions_app.services import session_start

CATALOGUE_PAGE_SIZE = 24


def _session_url(session) -> str:
    return f"/sessions/{session.id}/"


@login_required
def scenario_list(request):
    everything = scenario_list_with_progress(user=request.user)
    form = ScenarioFilterForm(request.GET or None, categories=scenario_catalogue().categories)
    filters = form.filters()
    scenarios = scenario_list_with_progress(user=request.user, **filters) if filters else everything
    # A large library would otherwise render every card at once (about 0.9 MB for 1,000).
    page = Paginator(scenarios, CATALOGUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "scenarios/list.html",
        {
            "form": form,
            "scenarios": page.object_list,
            "page": page,
            "page_query": query.urlencode(),
            "matched": len(scenarios),
            "filtered": bool(filters),
            "total": len(everything),
            "recommended": recommended_next_scenario(user=request.user, scenarios=everything),
        },
    )


def _rows(mapping) -> list[tuple[str, str]]:
    """Free-form ticket details as label/value pairs for a definition list."""
    if not isinstance(mapping, dict):
        return []
    rows = []
    for key, value in mapping.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        rows.append((str(key).replace("_", " ").capitalize(), text))
    return rows


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
                "customer_info": _rows(ticket.get("customer_info")),
                "technical_context": _rows(ticket.get("technical_context")),
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
    return redirect(_session_url(session))
