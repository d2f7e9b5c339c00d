"""The Celery application: JSON only, settings under CELERY_*, tasks found in every app."""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Workers and beat log through settings.LOGGING (the redacting handler, JSON in production).

    With a receiver on this signal Celery adds no handler of its own, so no worker line can bypass
    the redaction filter.
    """
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
