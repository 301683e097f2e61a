from django.apps import AppConfig


class GamificationConfig(AppConfig):
    name = "gamification"
    verbose_name = "Gamification"

    def ready(self):
        from gamification import signals  # noqa: F401  (connects the leaderboard receivers)
