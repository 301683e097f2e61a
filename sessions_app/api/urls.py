from django.urls import path

from sessions_app.api import views

urlpatterns = [
    path(
        "scenarios/<slug:slug>/start/", views.ScenarioStartView.as_view(), name="api-scenario-start"
    ),
    path("sessions/", views.SessionListView.as_view(), name="api-session-list"),
    path("sessions/<uuid:pk>/", views.SessionDetailView.as_view(), name="api-session-detail"),
    path(
        "sessions/<uuid:pk>/messages/",
        views.SessionMessageView.as_view(),
        name="api-session-messages",
    ),
    path("sessions/<uuid:pk>/hints/", views.SessionHintView.as_view(), name="api-session-hints"),
    path(
        "sessions/<uuid:pk>/complete/",
        views.SessionCompleteView.as_view(),
        name="api-session-complete",
    ),
    path("assignments/", views.AssignmentListView.as_view(), name="api-assignment-list"),
    path(
        "teams/<int:team_id>/assignments/",
        views.TeamAssignmentListView.as_view(),
        name="api-team-assignments",
    ),
]
