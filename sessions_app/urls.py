from django.urls import path

from sessions_app import views

urlpatterns = [
    path("scenarios/<slug:slug>/start/", views.scenario_start, name="scenario-start"),
]
