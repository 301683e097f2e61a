from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "performance"
    verbose_name = "Performance"

    def ready(self):
        # Registering the evaluators (criterion keys for validation) and connecting scoring
        # to session_ended are import-time effects of these modules.
        from performance import evaluators, signals  # noqa: F401
