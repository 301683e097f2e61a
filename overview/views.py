"""Pages that combine several apps: the trainee's home, the catalogue with their progress,
and a session's page (the live chat, then the report)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from accounts.exceptions import TeamNotFound
from accounts.selectors import team_get_for_trainer
from core.durations import format_duration
from core.errors import DomainError
from overview.dashboard import dashboard_for_user
from overview.forms import AssignmentForm, ReviewForm
from overview.progress import (
    recommended_next_scenario,
    scenario_get_with_progress,
    scenario_list_with_progress,
)
from overview.report import report_context
from overview.team_analytics import WEEKS_CHOICES, analytics_options, team_analytics_for
from performance.review import review_save, session_get_for_reviewer, sessions_to_review
from performance.team_analytics import VIEW_AVERAGE, VIEW_LATEST
from scenarios.exceptions import ScenarioNotFound
from scenarios.forms import ScenarioFilterForm
from scenarios.selectors import category_label, ticket_rows
from sessions_app.assignments import assignment_create, assignments_of_team
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
            "active_filters": len(filters),
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
                "category": category_label(ticket.get("category", "")),
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


@login_required
def team_training(request, team_id):
    """A trainer's view of what their team is set to practise, and how far each person is."""
    try:
        team = team_get_for_trainer(user=request.user, team_id=team_id)
    except TeamNotFound:
        raise Http404("No such team.") from None
    form = AssignmentForm(request.POST or None, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            assignment_create(
                by=request.user,
                team=team,
                assignee=form.assignee(),
                scenarios=list(form.cleaned_data["scenarios"]),
                due_at=form.cleaned_data["due_at"],
                min_score=form.cleaned_data["min_score"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Assigned. Everyone it names sees it on their dashboard.")
            return redirect("team-training", team_id=team.pk)
    return render(
        request,
        "overview/team_training.html",
        {
            "team": team,
            "form": form,
            "assignments": assignments_of_team(team=team),
            "sessions": sessions_to_review(team=team),
        },
    )


@login_required
@require_safe
def team_analytics(request, team_id):
    """A trainer's picture of their team over a period: where each trainee stands on each
    criterion, what the team passes, how it moves week by week, who is late and who practises."""
    try:
        team = team_get_for_trainer(user=request.user, team_id=team_id)
    except TeamNotFound:
        raise Http404("No such team.") from None
    weeks, view = analytics_options(request.GET)
    analytics = team_analytics_for(team=team, weeks=weeks, view=view)
    return render(
        request,
        "overview/team_analytics.html",
        {
            "team": team,
            "analytics": analytics,
            "performance": analytics.performance,
            "weeks": weeks,
            "view": view,
            "views": [(VIEW_LATEST, "Latest score"), (VIEW_AVERAGE, "Average")],
            "weeks_choices": sorted({*WEEKS_CHOICES, weeks}),
            "time_spent": [
                (row, format_duration(row.seconds)) for row in analytics.performance.time_spent
            ],
        },
    )


@login_required
def session_review(request, session_id):
    """A trainer reviews a team member's scored session: the report's evidence and transcript,
    with each criterion's score to correct and a comment to leave."""
    try:
        session = session_get_for_reviewer(reviewer=request.user, session_id=session_id)
    except SessionNotFound:
        raise Http404("No such session.") from None
    context = report_context(session=session, user=request.user)
    form = ReviewForm(request.POST or None, metrics=context["metrics"])
    if request.method == "POST" and form.is_valid():
        try:
            review_save(
                reviewer=request.user,
                session_id=session.pk,
                corrections=form.corrections(),
                comment=form.cleaned_data["comment"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Review saved. The trainee sees it on their report.")
            return redirect("session-review", session_id=session.pk)
    return render(request, "overview/review.html", {**context, "form": form})
