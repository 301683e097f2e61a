from django.urls import path

from overview.api import views

urlpatterns = [
    path("users/me/", views.MeView.as_view(), name="api-me"),
    path("scenarios/", views.ScenarioListView.as_view(), name="api-scenario-list"),
    path("scenarios/<slug:slug>/", views.ScenarioDetailView.as_view(), name="api-scenario-detail"),
    path(
        "teams/<int:team_id>/analytics/",
        views.TeamAnalyticsView.as_view(),
        name="api-team-analytics",
    ),
]
