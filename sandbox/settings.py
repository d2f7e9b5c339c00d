"""Settings of the sandbox's own Django project (``DJANGO_SETTINGS_MODULE=sandbox.settings``).

Nothing here is shared with the portal. State lives in SQLite at ``<state-dir>/sandbox.sqlite3`` unless
``SANDBOX_DATABASE_URL`` points at PostgreSQL.
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("SANDBOX_STATE_DIR", ROOT_DIR / "var" / "sandbox"))

SECRET_KEY = "sandbox-not-a-secret"  # the sandbox holds no real secrets
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False

INSTALLED_APPS = ["sandbox"]
MIDDLEWARE = [
    # Outermost, so it measures the final body: it adds Content-Length (APPEND_SLASH is off, so it never
    # redirects), which the server needs to keep a connection alive after the response.
    "django.middleware.common.CommonMiddleware",
    "sandbox.gateway.TrafficMiddleware",  # counts every /v4 answer per second, whoever produced it
    "sandbox.contract.middleware.ContractMiddleware",  # checks and counts every /v4 request, even faulted ones
    "sandbox.gateway.RateLimitMiddleware",  # the per-client budget, when switched on (off by default)
    "sandbox.faults.FaultMiddleware",
    "sandbox.api.errors.RequestIdMiddleware",
    "sandbox.api.auth.ViewerCacheMiddleware",  # who a token is, remembered between writes
]
ROOT_URLCONF = "sandbox.urls"
APPEND_SLASH = False
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).resolve().parent / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"context_processors": []},
    }
]
PASSWORD_HASHERS = ["sandbox.passwords.SandboxPBKDF2PasswordHasher"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024


def _database_from_url(url: str) -> dict:
    """PostgreSQL settings from a ``postgres://user:pass@host:port/name`` URL (no extra dependency)."""
    parts = urlparse(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or "postgres"),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "127.0.0.1",
        "PORT": str(parts.port or 5432),
        "CONN_MAX_AGE": 60,
        # A stand-in for ButterflyMX's cloud, not a store of record: its commits need not wait for the
        # disk (as its SQLite file runs with synchronous=NORMAL). On a machine it shares with the portal,
        # waiting would put its WAL flushes in the way of the portal's.
        "OPTIONS": {"options": "-c synchronous_commit=off"},
    }


if os.environ.get("SANDBOX_DATABASE_URL"):
    DATABASES = {"default": _database_from_url(os.environ["SANDBOX_DATABASE_URL"])}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": STATE_DIR / "sandbox.sqlite3",
            # WAL lets the webhook thread and request threads read while one writes; IMMEDIATE
            # transactions take the write lock up front, so concurrent writers wait instead of failing.
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django": {"handlers": ["console"], "level": "WARNING"},
        "sandbox": {"handlers": ["console"], "level": "INFO"},
    },
}

# Knobs, all overridable at run time through POST /_sandbox/config.
SANDBOX_TOKEN_TTL = int(os.environ.get("SANDBOX_TOKEN_TTL", "86400"))
SANDBOX_CODE_TTL = int(os.environ.get("SANDBOX_CODE_TTL", "600"))
SANDBOX_WEBHOOK_TIMEOUT = float(os.environ.get("SANDBOX_WEBHOOK_TIMEOUT", "5"))
SANDBOX_WEBHOOK_BACKOFF = [float(x) for x in os.environ.get("SANDBOX_WEBHOOK_BACKOFF", "1,5,25").split(",")]
