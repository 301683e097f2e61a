from django.urls import path

from gamification import views

urlpatterns = [
    path("leaderboard/", views.leaderboard_page, name="leaderboard"),
]
