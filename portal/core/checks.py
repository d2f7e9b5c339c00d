"""Production refuses configurations that leak secrets or lose data, unless told so explicitly.

Each refusal is a Django system check (``manage.py check --deploy`` lists them, ``migrate`` and
``runserver`` refuse to run), registered in :class:`portal.core.apps.CoreConfig`. They are Errors,
active only under ``portal.settings.production`` (``PORTAL_REFUSE_UNSAFE``). gunicorn and Celery run
no system checks, so the WSGI module and the Celery app call :func:`refuse_unsafe_configuration` at
start-up: a worker that would print password-reset links to its log never takes a request.

What each one guards: the console e-mail and SMS backends write every message, password-reset and
guest-pass links included, to the process log (an account was taken over from a gunicorn log alone);
the file-based e-mail backend writes them to disk. SQLite, the file cache and the filesystem broker
are one machine's files: a second web or worker machine would see other data, other rate-limit
counters, other queues. A malformed ``TOKEN_ENCRYPTION_KEYS`` would fail at the first encryption, in
the middle of a request or a sync, instead of at start-up.

The overrides are variables of their own (``PORTAL_ALLOW_UNSAFE_<THING>=true``, read in production.py
into ``PORTAL_ALLOW_UNSAFE``): a one-machine trial deployment may accept one knowingly.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .vapid import key_problems

TAG = "portal_production"

LEAKY_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend": "prints every e-mail to the process log",
    "django.core.mail.backends.filebased.EmailBackend": "writes every e-mail to files on disk",
}
LEAKY_SMS_BACKENDS = {"passes.sms.ConsoleBackend": "prints every text message to the process log"}


def _allowed(thing: str) -> bool:
    return bool(getattr(settings, "PORTAL_ALLOW_UNSAFE", {}).get(thing))


def _refused(thing: str, msg: str, hint: str, number: int) -> list[checks.CheckMessage]:
    if _allowed(thing):
        return []
    override = f"PORTAL_ALLOW_UNSAFE_{thing}=true"
    return [checks.Error(msg, hint=f"{hint} Or set {override} to accept it knowingly.", id=f"portal.E{number:03}")]


def in_production() -> bool:
    """Whether production's refusals apply (``PORTAL_REFUSE_UNSAFE``, set by portal.settings.production)."""
    return bool(getattr(settings, "PORTAL_REFUSE_UNSAFE", False))


@checks.register(checks.Tags.security, TAG)
def check_email_backend(app_configs=None, **kwargs):
    backend = settings.EMAIL_BACKEND
    if not in_production() or backend not in LEAKY_EMAIL_BACKENDS:
        return []
    return _refused(
        "EMAIL_BACKEND",
        f"EMAIL_BACKEND is {backend}, which {LEAKY_EMAIL_BACKENDS[backend]}: password-reset, sign-up and "
        "guest-pass links would be readable by anyone who reads them.",
        "Set EMAIL_URL (smtp+tls://user:password@host:587) or DJANGO_EMAIL_BACKEND to a backend that delivers.",
        101,
    )


@checks.register(checks.Tags.security, TAG)
def check_sms_backend(app_configs=None, **kwargs):
    backend = settings.PASSES_SMS_BACKEND
    # With SMS sharing off nothing is ever texted, so no provider is needed.
    if not in_production() or not settings.PASSES_SMS_ENABLED or backend not in LEAKY_SMS_BACKENDS:
        return []
    return _refused(
        "SMS_BACKEND",
        f"PASSES_SMS_BACKEND is {backend}, which {LEAKY_SMS_BACKENDS[backend]}: every guest-pass link sent "
        "by text would be in the log.",
        "Set PASSES_SMS_BACKEND=passes.sms.TwilioBackend with the TWILIO_* variables (docs/operations.md), "
        "or another provider's backend (a class with send(to, body), see passes/sms.py), or turn texts off "
        "with PASSES_SMS_ENABLED=false.",
        102,
    )


@checks.register(checks.Tags.database, TAG)
def check_database(app_configs=None, **kwargs):
    engines = {alias: db["ENGINE"] for alias, db in settings.DATABASES.items()}
    sqlite = [alias for alias, engine in engines.items() if engine.endswith("sqlite3")]
    if not in_production() or not sqlite:
        return []
    return _refused(
        "SQLITE",
        f"The database ({', '.join(sqlite)}) is SQLite, a file on this machine: a second web or worker machine "
        "would see other data, and there is no point-in-time backup.",
        "Set DATABASE_URL=postgres://user:password@host:5432/portal.",
        103,
    )


@checks.register(checks.Tags.caches, TAG)
def check_cache(app_configs=None, **kwargs):
    filebased = [
        alias for alias, cache in settings.CACHES.items() if cache["BACKEND"].endswith("filebased.FileBasedCache")
    ]
    if not in_production() or not filebased:
        return []
    return _refused(
        "FILE_CACHE",
        f"The cache ({', '.join(filebased)}) is file-based: rate-limit counters, sessions and locks would be "
        "per machine, and its increments are not atomic.",
        "Set REDIS_URL=redis://host:6379/0.",
        104,
    )


@checks.register(TAG)
def check_broker(app_configs=None, **kwargs):
    broker = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if not in_production() or not broker.startswith("filesystem://"):
        return []
    return _refused(
        "FILE_BROKER",
        "CELERY_BROKER_URL is the filesystem broker (filesystem://), folders on this machine: workers elsewhere "
        "would never see a task.",
        "Set REDIS_URL=redis://host:6379/0 (or CELERY_BROKER_URL to a real broker).",
        105,
    )


@checks.register(checks.Tags.security, TAG)
def check_token_encryption_keys(app_configs=None, **kwargs):
    if not in_production():
        return []
    keys = list(settings.TOKEN_ENCRYPTION_KEYS)
    bad = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode() if isinstance(key, str) else key)
        except (ValueError, TypeError):
            bad.append(position)
    if keys and not bad:
        return []
    # The message names positions, never the keys themselves: it may end up in a log.
    which = ", ".join(f"#{n}" for n in bad) if bad else "(none set)"
    return [
        checks.Error(
            f"TOKEN_ENCRYPTION_KEYS: key {which} of {len(keys)} is not a valid Fernet key (32 random bytes, "
            "url-safe base64: 44 characters ending in '=').",
            hint='Generate one with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"; keys are comma-separated, newest first.',
            id="portal.E106",
        )
    ]


@checks.register(TAG)
def check_site_url(app_configs=None, **kwargs):
    """PORTAL_SITE_URL is required in production: ButterflyMX delivers webhooks to it and e-mails link to
    it. Without it the development default (http://127.0.0.1:<port>) would be registered at ButterflyMX,
    every delivery would fail, and nothing would say so. No override: there is no safe guess."""
    if not in_production():
        return []
    problems = []
    addresses = {"PORTAL_SITE_URL": settings.SITE_URL}
    if settings.LOGS_WEBHOOK_BASE_URL != settings.SITE_URL:  # set on its own: checked on its own
        addresses["LOGS_WEBHOOK_BASE_URL"] = settings.LOGS_WEBHOOK_BASE_URL
    for name, value in addresses.items():
        parts = urlsplit(value or "")
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            shown = f"{value!r}" if value else "not set"
            problems.append(f"{name} is {shown}")
    if not problems:
        return []
    return [
        checks.Error(
            f"{'; '.join(problems)}: the portal's public address is needed for the webhook URLs ButterflyMX "
            "delivers to and for the links in e-mails.",
            hint="Set PORTAL_SITE_URL to the address people and ButterflyMX reach the portal at, e.g. "
            "PORTAL_SITE_URL=https://portal.example.com (LOGS_WEBHOOK_BASE_URL defaults to it).",
            id="portal.E107",
        )
    ]


@checks.register(checks.Tags.security, TAG)
def check_webpush_keys(app_configs=None, **kwargs):
    """Web Push is optional (no keys: off, and its opt-in is not shown), but a pair that is set must work:
    a malformed key would fail in the worker at the first notification, and a public key that is not the
    private key's half would make every push service refuse every push, with nothing said at start-up."""
    public, private = settings.WEBPUSH_VAPID_PUBLIC_KEY, settings.WEBPUSH_VAPID_PRIVATE_KEY
    if not in_production() or not (public or private):
        return []
    problems = key_problems(public, private, settings.WEBPUSH_VAPID_SUBJECT)
    if not problems:
        return []
    return [
        checks.Error(
            "Web Push keys: " + "; ".join(problems) + ".",
            hint="Print a new pair with `python manage.py webpush_keys` and set WEBPUSH_VAPID_PUBLIC_KEY, "
            "WEBPUSH_VAPID_PRIVATE_KEY and WEBPUSH_VAPID_SUBJECT (mailto:ops@example.com), or unset both keys "
            "to turn Web Push off.",
            id="portal.E118",
        )
    ]


def refuse_unsafe_configuration() -> None:
    """Raise ImproperlyConfigured naming every refused configuration (for gunicorn and Celery start-up)."""
    problems = [
        message for message in checks.run_checks(tags=[TAG]) if message.is_serious() and not message.is_silenced()
    ]
    if problems:
        raise ImproperlyConfigured(
            "Production refuses to start with this configuration:\n" + "\n".join(f"- {p}" for p in problems)
        )
