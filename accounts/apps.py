from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users and teams"

    def ready(self):
        from accounts import signals  # noqa: F401  (connects the auth receivers)
