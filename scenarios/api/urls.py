from django.urls import path

from scenarios.api import views

urlpatterns = [
    path("scenarios/", views.ScenarioListView.as_view(), name="api-scenario-list"),
    path("scenarios/<slug:slug>/", views.ScenarioDetailView.as_view(), name="api-scenario-detail"),
    path(
        "scenarios/<slug:slug>/start/", views.ScenarioStartView.as_view(), name="api-scenario-start"
    ),
]
