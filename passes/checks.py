"""System checks of the passes app: production refuses an SMS backend that could not send; every
environment warns about a wallet that is half configured.

The SMS check is registered under :data:`portal.core.checks.TAG`, so ``check --deploy`` lists it and the
WSGI module and the Celery app refuse to start with it (:func:`portal.core.checks.refuse_unsafe_configuration`),
like the portal's other refusals. It lives here because it asks the passes app's SMS module.

The wallet checks are warnings, in every environment: a wallet left half set up only hides its button,
which nobody would notice, so ``manage.py check`` names what is missing or cannot be read.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from portal.core.checks import TAG, in_production

from .sms import twilio_missing
from .wallet import config as wallet_config


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


def _wallet_messages(name: str, settings_names, missing: list[str], load, numbers: tuple[str, str]):
    if len(missing) == len(settings_names):  # not set up at all: off, as meant
        return []
    hint = f'docs/operations.md, "Wallet passes": set all of {", ".join(settings_names)}, or none.'
    if missing:
        return [
            checks.Warning(
                f"{name} is half configured: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set, "
                "so its button is not shown.",
                hint=hint,
                id=numbers[0],
            )
        ]
    try:
        load()
    except wallet_config.WalletConfigError as exc:
        return [checks.Warning(f"{name} is configured but off: {exc}.", hint=hint, id=numbers[1])]
    return []


@checks.register()
def check_wallet_settings(app_configs=None, **kwargs):
    """passes.W001/W003: Apple Wallet half set or unreadable; passes.W002/W004: the same for Google."""
    return _wallet_messages(
        "Apple Wallet",
        wallet_config.APPLE_SETTINGS,
        wallet_config.apple_missing(),
        wallet_config.apple_credentials,
        ("passes.W001", "passes.W003"),
    ) + _wallet_messages(
        "Google Wallet",
        wallet_config.GOOGLE_SETTINGS,
        wallet_config.google_missing(),
        wallet_config.google_credentials,
        ("passes.W002", "passes.W004"),
    )
