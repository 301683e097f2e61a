from django.urls import path

from gamification.api import views

urlpatterns = [
    path("leaderboard/", views.LeaderboardView.as_view(), name="api-leaderboard"),
    path("achievements/", views.AchievementListView.as_view(), name="api-achievements"),
]
