from django.urls import path

from performance import views

urlpatterns = [
    path("", views.dashboard, name="performance"),
]
