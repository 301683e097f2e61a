from django.urls import path

from performance.api.views import PerformanceSummaryView, SessionReviewView, TeamSessionListView

urlpatterns = [
    path("performance/summary/", PerformanceSummaryView.as_view(), name="api-performance-summary"),
    path("sessions/<uuid:pk>/review/", SessionReviewView.as_view(), name="api-session-review"),
    path(
        "teams/<int:team_id>/sessions/",
        TeamSessionListView.as_view(),
        name="api-team-sessions",
    ),
]
