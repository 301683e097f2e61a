from django.apps import AppConfig


class OverviewConfig(AppConfig):
    """The top of the pipeline: pages and API reads that combine what the other apps own (a
    trainee's progress through the catalogue, the recommendation, the report, the dashboard).
    Nothing imports it but `config`."""

    name = "overview"
    verbose_name = "Overview"

    def ready(self):
        from overview import signals  # noqa: F401  (keeps each trainee's standing fresh)
