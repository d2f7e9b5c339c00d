from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "portal.core"
    label = "core"
    verbose_name = _("Portal core")

    def ready(self) -> None:
        # Registers production's refusals of leaky or one-machine configurations (see there).
        from . import checks  # noqa: F401
