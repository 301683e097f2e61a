from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.profile, name="profile"),
    path("token/", views.token_create, name="profile-token-create"),
    path("token/revoke/", views.token_revoke, name="profile-token-revoke"),
    path("sessions/end-others/", views.sessions_end_others, name="profile-sessions-end-others"),
]
