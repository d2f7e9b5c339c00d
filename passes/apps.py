from django.apps import AppConfig


class PassesConfig(AppConfig):
    verbose_name = "Visitor passes"
    name = "passes"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
