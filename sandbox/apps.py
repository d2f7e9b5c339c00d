"""The sandbox's single Django app (the project package is also the app)."""

from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "sandbox"
    label = "sandbox"
    default_auto_field = "django.db.models.BigAutoField"
