from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "portal.alerts"
    label = "alerts"
    verbose_name = "Arrivals and alerts"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects to logs.signals.access_entries_stored)
