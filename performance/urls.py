from django.urls import path

from performance import views

urlpatterns = [
    path("", views.dashboard, name="performance"),
    path(
        "sessions/<uuid:session_id>/export.pdf",
        views.session_export_pdf,
        name="session-export-pdf",
    ),
    path(
        "sessions/<uuid:session_id>/export.csv",
        views.session_export_csv,
        name="session-export-csv",
    ),
    path("teams/<int:team_id>/results.csv", views.team_results_export, name="team-results-csv"),
]
