from django.urls import path

from scenarios import views

urlpatterns = [
    path("", views.scenario_list, name="scenario-list"),
    path("<slug:slug>/", views.scenario_detail, name="scenario-detail"),
    path("<slug:slug>/start/", views.scenario_start, name="scenario-start"),
]
