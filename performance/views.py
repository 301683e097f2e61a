from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from performance.forms import HistoryFilterForm
from performance.selectors import dashboard_charts, performance_summary, scored_sessions

HISTORY_PAGE_SIZE = 20


def format_duration(seconds: int) -> str:
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


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
