from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "portal.alerts"
    label = "alerts"
    verbose_name = _("Arrivals and alerts")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects to logs.signals.access_entries_stored)
