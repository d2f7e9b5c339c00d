from django.apps import AppConfig


class LogsConfig(AppConfig):
    verbose_name = "Access and call logs"
    name = "logs"
