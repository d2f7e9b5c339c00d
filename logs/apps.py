from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogsConfig(AppConfig):
    verbose_name = _("Access and call logs")
    name = "logs"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
