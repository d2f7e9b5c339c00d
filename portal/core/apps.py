from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "portal.core"
    label = "core"
    verbose_name = "Portal core"

    def ready(self) -> None:
        # Registers production's refusals of leaky or one-machine configurations (see there).
        from . import checks  # noqa: F401
