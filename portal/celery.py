"""The Celery application: JSON only, settings under CELERY_*, tasks found in every app."""

import os
from functools import partial

from celery import Celery
from celery.result import AsyncResult
from celery.signals import beat_init, setup_logging, worker_init

from portal.core.celerytask import published

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

# PortalTask: a task that cannot be published from a web request is logged, not a 500 (see there).
app = Celery("portal", task_cls="portal.core.celerytask:PortalTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def send_task(name: str, *args, countdown: float | None = None, queue: str | None = None) -> AsyncResult | None:
    """Queue the task registered as ``name`` with ``args``, as ``task.apply_async`` would.

    For services below the task modules (docs/architecture.md, "Layers"): a task module imports the
    services it runs, so a service that must queue a task names it instead of importing it back.
    Celery's public ``send_task`` is what ``apply_async`` itself ends in; the same broker breaker
    applies (a publish that fails outside a task is logged, not raised: portal/core/celerytask.py).
    ``tests/test_boundaries.py`` checks that every task name in the code is a registered task.
    """
    send = partial(app.send_task, name, args=args, countdown=countdown, queue=queue, ignore_result=True)
    return published(name, app, send)


@setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Workers and beat log through settings.LOGGING (the redacting handler, JSON in production).

    With a receiver on this signal Celery adds no handler of its own, so no worker line can bypass
    the redaction filter.
    """
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@worker_init.connect
@beat_init.connect
def refuse_unsafe_configuration(**kwargs) -> None:
    """Workers and beat run no system checks: production's refusals (portal/core/checks.py) run here.

    Celery logs and swallows an exception raised by a signal receiver, so the refusal exits instead.
    """
    import django
    from django.core.exceptions import ImproperlyConfigured

    django.setup()  # a no-op when Celery's Django fix-up has already done it
    from portal.core.checks import refuse_unsafe_configuration as refuse

    try:
        refuse()
    except ImproperlyConfigured as exc:
        raise SystemExit(f"ImproperlyConfigured: {exc}") from None
