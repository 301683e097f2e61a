from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.teams, name="teams"),
    path("<int:team_id>/", views.team_detail, name="team-detail"),
    path("<int:team_id>/invite/", views.team_invite, name="team-invite"),
    path(
        "<int:team_id>/members/<int:user_id>/remove/",
        views.team_member_remove_view,
        name="team-member-remove",
    ),
    path("join/<str:token>/", views.team_join_view, name="team-join"),
]
