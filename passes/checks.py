"""System checks of the passes app: production refuses an SMS backend that could not send.

Registered under :data:`portal.core.checks.TAG`, so ``check --deploy`` lists it and the WSGI module and
the Celery app refuse to start with it (:func:`portal.core.checks.refuse_unsafe_configuration`), like
the portal's other refusals. It lives here because it asks the passes app's SMS module.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from portal.core.checks import TAG, in_production

from .sms import twilio_missing


@checks.register(TAG)
def check_twilio_settings(app_configs=None, **kwargs):
    """The Twilio backend without its account, credentials or sender would fail at the first share:
    say so at start-up instead. No override: there is nothing unsafe to accept, only a message lost."""
    if not in_production() or not settings.PASSES_SMS_ENABLED:
        return []
    if settings.PASSES_SMS_BACKEND != "passes.sms.TwilioBackend":
        return []
    missing = twilio_missing()
    if not missing:
        return []
    return [
        checks.Error(
            f"PASSES_SMS_BACKEND is the Twilio backend, but {', '.join(missing)} is not set: no text could be sent.",
            hint='Set them from your Twilio console (docs/operations.md, "Text messages (SMS)").',
            id="portal.E111",
        )
    ]
