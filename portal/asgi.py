"""ASGI entry point for uvicorn: the live updates' streams (``/live/``) in production, the whole portal
under ``make dev`` (docs/operations.md, "Live updates")."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
application = get_asgi_application()

# uvicorn runs no system checks either: production's refusals run here, as in portal/wsgi.py.
from portal.core.checks import refuse_unsafe_configuration  # noqa: E402 - needs the apps loaded above

refuse_unsafe_configuration()
