from django.urls import path

from overview import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("scenarios/", views.scenario_list, name="scenario-list"),
    path("scenarios/<slug:slug>/", views.scenario_detail, name="scenario-detail"),
    path("sessions/<uuid:session_id>/", views.session_page, name="session-detail"),
    path("teams/<int:team_id>/training/", views.team_training, name="team-training"),
    path("teams/<int:team_id>/analytics/", views.team_analytics, name="team-analytics"),
    path("review/<uuid:session_id>/", views.session_review, name="session-review"),
]
