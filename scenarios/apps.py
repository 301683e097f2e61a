from django.apps import AppConfig


class ScenariosConfig(AppConfig):
    name = "scenarios"
    verbose_name = "Scenarios"

    def ready(self):
        from scenarios import signals  # noqa: F401 (connects the receivers)
