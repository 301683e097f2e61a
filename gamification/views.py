from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from gamification.selectors import (
    LEADERBOARD_DEFAULT_LIMIT,
    PERIOD_ALL,
    PERIOD_WEEK,
    PERIODS,
    leaderboard,
)

LEADERBOARD_PAGE_LIMIT = 25


@login_required
def leaderboard_page(request):
    period = request.GET.get("period", PERIOD_ALL)
    if period not in PERIODS:
        period = PERIOD_ALL
    try:
        limit = int(request.GET.get("limit", LEADERBOARD_PAGE_LIMIT))
    except ValueError:
        limit = LEADERBOARD_DEFAULT_LIMIT
    board = leaderboard(period=period, limit=limit, viewer=request.user)
    viewer_in_top = any(entry.is_viewer for entry in board.entries)
    return render(
        request,
        "gamification/leaderboard.html",
        {
            "board": board,
            "viewer_in_top": viewer_in_top,
            "PERIOD_ALL": PERIOD_ALL,
            "PERIOD_WEEK": PERIOD_WEEK,
        },
    )
