"""WSGI entry point for gunicorn."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
application = get_wsgi_application()

# gunicorn runs no system checks: production's refusals (portal/core/checks.py) are run here, so a
# worker configured to print password-reset links to its log fails to boot instead of serving.
from portal.core.checks import refuse_unsafe_configuration  # noqa: E402 - needs the apps loaded above

refuse_unsafe_configuration()

# What is loaded by now (Django, the apps, their models and modules: ~150k objects) lives as long as
# the process. Frozen, the garbage collector's full passes stop walking it on every ~100th request.
gc.freeze()
