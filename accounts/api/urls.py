from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("auth/token/revoke/", views.TokenRevokeView.as_view(), name="api-token-revoke"),
    path("teams/", views.TeamListView.as_view(), name="api-team-list"),
    path("teams/join/", views.TeamJoinView.as_view(), name="api-team-join"),
    path("teams/<int:team_id>/", views.TeamDetailView.as_view(), name="api-team-detail"),
    path(
        "teams/<int:team_id>/members/<int:user_id>/",
        views.TeamMemberView.as_view(),
        name="api-team-member",
    ),
    path(
        "teams/<int:team_id>/invitations/",
        views.TeamInvitationView.as_view(),
        name="api-team-invitations",
    ),
]
