from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PassesConfig(AppConfig):
    verbose_name = _("Visitor passes")
    name = "passes"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
