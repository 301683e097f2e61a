from django.urls import path

from scenarios import views

urlpatterns = [
    path("docs/scenarios/", views.scenario_format, name="scenario-format"),
]
