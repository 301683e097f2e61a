from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "performance"
    verbose_name = "Performance"

    def ready(self):
        from performance import signals  # noqa: F401  (connects scoring to session_ended)
