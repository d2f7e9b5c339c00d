from django.apps import AppConfig


class PassesConfig(AppConfig):
    verbose_name = "Visitor passes"
    name = "passes"
