from django.urls import path

from sessions_app import views

urlpatterns = [
    path("<uuid:session_id>/", views.session_detail, name="session-detail"),
]
