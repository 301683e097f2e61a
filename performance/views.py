from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.exceptions import TeamNotFound
from accounts.selectors import team_get_for_trainer
from core.durations import format_duration
from performance.exports import (
    ExportRangeInvalid,
    results_range,
    session_csv,
    session_filename,
    session_get_for_export,
    session_pdf,
    session_report,
    team_results,
    team_results_csv,
    team_results_filename,
)
from performance.forms import HistoryFilterForm
from performance.selectors import dashboard_charts, performance_summary, scored_sessions
from sessions_app.exceptions import SessionNotFound

HISTORY_PAGE_SIZE = 20


@login_required
def dashboard(request):
    """The trainee's own charts, figures and filterable history."""
    form = HistoryFilterForm(request.GET or None)
    filters = form.filters() if request.GET else None
    summary = performance_summary(user=request.user)
    history = Paginator(scored_sessions(user=request.user, filters=filters), HISTORY_PAGE_SIZE)
    page = history.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "summary": summary,
        "charts": dashboard_charts(summary),
        "time_practised": format_duration(summary["time_practised_seconds"]),
        "pass_rate_percent": (
            round(100 * summary["pass_rate"]) if summary["pass_rate"] is not None else None
        ),
        "page": page,
        "query": query.urlencode(),
        "is_filtered": bool(filters and any(filters.as_dict().values())),
    }
    return render(request, "performance/dashboard.html", context)


# --- downloads (performance/exports.py) -----------------------------------------------------


def _download(content, *, content_type: str, filename: str) -> HttpResponse:
    """A file to save, never to keep in a shared cache: it holds a trainee's words and scores."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _session_report_or_404(request, session_id):
    try:
        session = session_get_for_export(user=request.user, session_id=session_id)
    except SessionNotFound:
        raise Http404("No such session.") from None
    return session_report(session=session)


@login_required
@require_safe
def session_export_pdf(request, session_id):
    """A scored session's report and transcript as PDF, for whoever may open the report or
    review it."""
    report = _session_report_or_404(request, session_id)
    return _download(
        session_pdf(report),
        content_type="application/pdf",
        filename=session_filename(report, "pdf"),
    )


@login_required
@require_safe
def session_export_csv(request, session_id):
    """The same as CSV: the summary, the criteria and the transcript as three labelled blocks."""
    report = _session_report_or_404(request, session_id)
    return _download(
        session_csv(report),
        content_type="text/csv; charset=utf-8",
        filename=session_filename(report, "csv"),
    )


@login_required
@require_safe
def team_results_export(request, team_id):
    """A team's scored sessions from `?from=` to `?to=` (YYYY-MM-DD, by default the last 30
    days) as CSV, for its trainers only."""
    try:
        team = team_get_for_trainer(user=request.user, team_id=team_id)
    except TeamNotFound:
        raise Http404("No such team.") from None
    try:
        start, end = results_range(request.GET.get("from"), request.GET.get("to"))
    except ExportRangeInvalid as error:
        return render(
            request, "errors/error.html", {"status": 400, "message": error.message}, status=400
        )
    results = team_results(team=team, start=start, end=end)
    return _download(
        team_results_csv(results),
        content_type="text/csv; charset=utf-8",
        filename=team_results_filename(results),
    )
