from django.apps import AppConfig


class LogsConfig(AppConfig):
    verbose_name = "Access and call logs"
    name = "logs"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
