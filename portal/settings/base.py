"""Settings shared by every environment.

Everything that differs between a laptop and production comes from the environment (django-environ).
The defaults here are the fresh-machine defaults: SQLite under ``var/`` and an embedded Celery broker
(kombu's filesystem transport), so ``make dev`` needs no server. ``DATABASE_URL`` and ``REDIS_URL``
switch to PostgreSQL and Redis.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import django.forms
import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))


def env_setting(reader, name: str, **kwargs):
    """Read one variable, and stop start-up with a message that names it when it is malformed."""
    try:
        return reader(name, **kwargs)
    except Exception as exc:  # a bad int, URL or scheme: say which variable, not a bare traceback
        raise ImproperlyConfigured(f"Environment variable {name} is invalid: {exc}") from exc


DEBUG = env_setting(env.bool, "DJANGO_DEBUG", default=False)
SECRET_KEY = env_setting(env.str, "DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env_setting(env.list, "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# The portal's public origin (e-mail links, webhook URLs). Production requires PORTAL_SITE_URL
# (portal/core/checks.py, E107). In development it follows the port the portal serves on: `make dev`
# passes it as PORTAL_PORT too, because honcho gives every process its own PORT (the web's plus 100 for
# the worker, plus 200 for beat), and the worker is the one that registers webhooks.
DEV_PORT = env_setting(env.int, "PORTAL_PORT", default=env_setting(env.int, "PORT", default=8000))
SITE_URL = env_setting(env.str, "PORTAL_SITE_URL", default=f"http://127.0.0.1:{DEV_PORT}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",  # personal API tokens, stored as SHA-512 digests (model: accounts.ApiToken)
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "portal.accounts",
    "portal.core",
    "portal.dashboard",
    "portal.live",
    "portal.notifications",
    "portal.alerts",
    "tenants",
    "passes",
    "logs",
    "csp",
]
# django.contrib.postgres: its GinIndex/OpClass build the logs' trigram search indexes (logs migration
# 0007, PostgreSQL only); the app must be installed for OpClass to work inside an index expression.
# On SQLite it adds lookups nobody uses and nothing else.
INSTALLED_APPS += ["django.contrib.postgres"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.core.csp.PortalCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the cookie the language menu sets, else the browser's Accept-Language; a signed-in
    # person's own choice (their profile) wins, after authentication (portal.core.language).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.core.language.PersonLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.core.middleware.RequireMfaForStaffMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.core.context_processors.navigation",
                "tenants.context_processors.bmx_links",
            ],
        },
    },
    # Jinja2 for the hot parts of the log list (its filter form's widgets, its rows): see
    # portal/core/jinja2env.py. Its templates live in each app's jinja2/ folder, Django's widget
    # templates for Jinja2 in django/forms/jinja2.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [Path(django.forms.__file__).parent / "jinja2"],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "portal.core.jinja2env.environment"},
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASES = {"default": env_setting(env.db_url, "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
if not DATABASES["default"]["ENGINE"].startswith("django.db.backends."):
    raise ImproperlyConfigured(
        "Environment variable DATABASE_URL has an unknown scheme; use postgres://... or sqlite:///..."
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a worker writes; the timeout waits out short write locks
    # instead of failing with "database is locked"; IMMEDIATE avoids lock upgrades deadlocking.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-portal.sqlite3")}
else:
    # Persistent connections, checked by Django before each request's first query (one ``SELECT 1``),
    # so a database restart or a proxy's idle timeout costs no request an error.
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ---------------------------------------------------------------------------------------
REDIS_URL = env_setting(env.str, "REDIS_URL", default="")
# How long any one Redis command (cache or broker) may wait before the portal gives up on it: a Redis
# that is down refuses at once, but a frozen one (SIGSTOP, a stalled VM, a half-open link) would hold a
# request forever. Redis answers in well under a millisecond on a healthy network.
REDIS_SOCKET_TIMEOUT_S = env_setting(env.float, "REDIS_SOCKET_TIMEOUT_S", default=0.5)
# After a failed cache call, a web process skips Redis this long before trying again (a circuit breaker:
# a frozen Redis then costs one socket timeout per window, not one per cache call).
REDIS_BREAKER_S = env_setting(env.float, "REDIS_BREAKER_S", default=5.0)
if REDIS_URL:
    # django-redis rather than Django's own Redis backend for IGNORE_EXCEPTIONS: while Redis is
    # unreachable a read is a miss and a write is skipped, so sessions (cached_db) come from the
    # database; portal/core/rediscache.py adds the breaker. docs/operations.md, "When Redis is down".
    CACHES = {
        "default": {
            "BACKEND": "portal.core.rediscache.PortalRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT_S,
                "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT_S,
                "IGNORE_EXCEPTIONS": True,
                "CONNECTION_POOL_CLASS": "portal.core.rediscache.BreakerConnectionPool",
            },
        }
    }
else:
    # Shared by web and worker processes on one machine, unlike locmem.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Auth ----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [  # Django's and allauth's, loading the user with the page header's flags
    "portal.accounts.backends.PortalModelBackend",
    "portal.accounts.backends.PortalAllauthBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Portal] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env_setting(env.str, "ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http")
# The client's address is read from X-Forwarded-For, this many entries from the right: the number of
# proxies in front of the portal that append to it (0: REMOTE_ADDR, no proxy; production: 1, nginx).
# Every per-address limit keys on it (portal/core/clientip.py); allauth reads the same count.
PORTAL_TRUSTED_PROXY_COUNT = env_setting(env.int, "PORTAL_TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = PORTAL_TRUSTED_PROXY_COUNT
# The portal's adapter: that address behind the proxy, and failed logins limited per account+address.
ACCOUNT_ADAPTER = "portal.accounts.adapter.PortalAccountAdapter"
# allauth's rate limits (cache-backed). Failed logins: 10 a minute per address, a ceiling of 100 an hour
# per account (only a many-address attack reaches it), and 5 per 5 minutes per account *and* address
# (login_failed_pair, portal/accounts/adapter.py): one address's guesses never lock the front desk out.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,100/h/key",
    "login_failed_pair": "5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# TOTP secrets and recovery-code seeds are encrypted at rest under TOKEN_ENCRYPTION_KEYS.
MFA_ADAPTER = "portal.accounts.mfa.PortalMFAAdapter"
MFA_TOTP_ISSUER = "Building Portal"
# Staff and managers must set up TOTP before using the portal when this is on (on in production).
PORTAL_REQUIRE_MFA_FOR_STAFF = env_setting(env.bool, "PORTAL_REQUIRE_MFA_FOR_STAFF", default=False)
# Production turns this on: leaky or one-machine configurations refuse to start (portal/core/checks.py).
PORTAL_REFUSE_UNSAFE = False
PORTAL_ALLOW_UNSAFE: dict[str, bool] = {}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Sessions are read from the cache (Redis in production) and written through to the database: every
# page is spared a query, and a cache flush or a Redis restart logs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- E-mail --------------------------------------------------------------------------------------
EMAIL_BACKEND = env_setting(env.str, "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_setting(env.str, "DJANGO_DEFAULT_FROM_EMAIL", default="Building Portal <portal@localhost>")
if env.str("EMAIL_URL", default=""):
    vars().update(env_setting(env.email_url, "EMAIL_URL"))

# --- I18N / time ---------------------------------------------------------------------------------
# Three complete catalogs (locale/<lang>/LC_MESSAGES), compiled by the Makefile at install time. The
# names are each language's own, so a reader finds theirs whatever the page's language is.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español"), ("fr-ca", "Français (Canada)")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
FORMAT_MODULE_PATH = ["portal.formats"]  # dates and times per language: portal/formats/__init__.py
TIME_ZONE = "UTC"  # stored and computed in UTC; shown in each building's own zone
USE_I18N = True
USE_TZ = True

# --- Static --------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- REST framework ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # A session or a personal token, each refused (403 mfa_required) to staff, managers and
        # operators without TOTP when two-factor is required: portal/api/authentication.py.
        "portal.api.authentication.PortalSessionAuthentication",
        "portal.api.authentication.PortalTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's JSON parser with nesting bounded: a deeply nested body is a 400, not a RecursionError (500).
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.PortalAutoSchema",
    # One error shape for every API, see portal/api/exceptions.py and docs/api.md.
    "EXCEPTION_HANDLER": "portal.api.exceptions.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # A guard against accidents, not a security control (real limits are enforced atomically).
    "DEFAULT_THROTTLE_CLASSES": [  # DRF's, keyed on the client's address behind the proxy
        "portal.api.throttling.AnonRateThrottle",
        "portal.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "1200/min"},
}
# Personal API tokens (django-rest-knox): the database keeps a SHA-512 digest, never the token; each
# expires (the owner picks 7, 30 or 90 days: portal/accounts/services.py). The prefix makes a leaked
# token recognisable (secret scanners, log redaction).
KNOX_TOKEN_MODEL = "accounts.ApiToken"
# knox's own migrations only create its default token table, which KNOX_TOKEN_MODEL swaps out: that table
# would be an orphan with a foreign key to users (PostgreSQL then refuses to flush the user table). So
# knox is migrated as an app without migrations: the swapped-out model gets no table at all.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=30),
    "TOKEN_PREFIX": "bpt_",
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Building Portal API",
    "DESCRIPTION": "The portal's own REST API: buildings, passes, logs and doors, scoped per building.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's files come from drf-spectacular-sidecar through staticfiles: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models call their choices "Status"; name each enum in the schema after its model.
    "ENUM_NAME_OVERRIDES": {
        "PassStatusEnum": "passes.models.Pass.Status",
        "DoorReleaseStatusEnum": "portal.dashboard.models.DoorRelease.Status",
        "LinkStatusEnum": "tenants.models.BmxLink.Status",
        "PassKindEnum": "passes.models.Pass.Kind",
        "LinkKindEnum": "tenants.models.BmxLink.Kind",
    },
}

# --- Celery --------------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
# REDIS_URL chooses Redis; CELERY_BROKER_URL, when set, wins (tests point a worker at a given broker).
CELERY_BROKER_URL = env_setting(env.str, "CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")


def filesystem_broker_options(folder) -> dict:
    """kombu's filesystem transport: a real worker and beat exchange messages through files."""
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
        "control_folder": str(folder / "control"),
    }


if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(BROKER_DIR)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# One queue for everything in production; a test worker sets its own so that what it enqueues itself
# (follow-up syncs, a connected building's backfill) stays with it.
CELERY_TASK_DEFAULT_QUEUE = env_setting(env.str, "CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ALWAYS_EAGER = False
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TIME_LIMIT = env_setting(env.int, "CELERY_TASK_TIME_LIMIT", default=15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_setting(env.int, "CELERY_TASK_SOFT_TIME_LIMIT", default=14 * 60)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
HEARTBEAT_INTERVAL_S = env_setting(env.int, "PORTAL_HEARTBEAT_INTERVAL_S", default=30)
ROSTER_SYNC_INTERVAL_S = env_setting(env.int, "PORTAL_ROSTER_SYNC_INTERVAL_S", default=3600)
CELERY_BEAT_SCHEDULE: dict = {
    "heartbeat": {"task": "portal.core.tasks.heartbeat_task", "schedule": float(HEARTBEAT_INTERVAL_S)},
    # Failed passes whose keychain could not be removed at once: keep trying, nothing half-made opens doors.
    "passes-failed-cleanup": {
        "task": "passes.tasks.failed_passes_cleanup_task",
        "schedule": float(env_setting(env.int, "PASSES_CLEANUP_INTERVAL_S", default=300)),
    },
    "roster-sync": {"task": "tenants.tasks.roster_sync_all_task", "schedule": float(ROSTER_SYNC_INTERVAL_S)},
    # One truth: passes deleted or created in the ButterflyMX app (passes/reconcile.py), per building.
    "passes-reconcile": {
        "task": "passes.tasks.passes_reconcile_all_task",
        "schedule": float(env_setting(env.int, "PASSES_RECONCILE_INTERVAL_S", default=300)),
    },
    "bmx-token-refresh": {"task": "tenants.tasks.links_refresh_expiring_task", "schedule": 600.0},
    # Tokens of a replaced or refused link that ButterflyMX could not revoke at once.
    "bmx-token-revocations": {"task": "tenants.tasks.token_revocations_retry_task", "schedule": 600.0},
}

# --- Visitor passes ------------------------------------------------------------------------------
# A dotted path to a class with ``send(to, body)``; the console default prints the message.
PASSES_SMS_BACKEND = env_setting(env.str, "PASSES_SMS_BACKEND", default="passes.sms.ConsoleBackend")
# Whether guests can be sent their link by text at all (off: the share box takes e-mail addresses only,
# and production does not ask for an SMS provider).
PASSES_SMS_ENABLED = env_setting(env.bool, "PASSES_SMS_ENABLED", default=True)
# Twilio (PASSES_SMS_BACKEND=passes.sms.TwilioBackend): the account, an API key (preferred) or the auth
# token, and who sends: a messaging service or a from-number. TWILIO_API_BASE aims the library at another
# origin (a local stand-in of Twilio's API); unset, Twilio's own addresses.
TWILIO_ACCOUNT_SID = env_setting(env.str, "TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env_setting(env.str, "TWILIO_AUTH_TOKEN", default="")
TWILIO_API_KEY_SID = env_setting(env.str, "TWILIO_API_KEY_SID", default="")
TWILIO_API_KEY_SECRET = env_setting(env.str, "TWILIO_API_KEY_SECRET", default="")
TWILIO_FROM_NUMBER = env_setting(env.str, "TWILIO_FROM_NUMBER", default="")
TWILIO_MESSAGING_SERVICE_SID = env_setting(env.str, "TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_API_BASE = env_setting(env.str, "TWILIO_API_BASE", default="")
TWILIO_TIMEOUT_S = env_setting(env.float, "TWILIO_TIMEOUT_S", default=10.0)
# Guest pages (/p/<token>/), per minute (passes/guest_limits.py says why these keys and sizes): views of
# one link from one address; unknown links from one address; and all views from one address, a
# ceiling far above a party's guests on one lobby Wi-Fi.
PASSES_GUEST_RATE_PER_MINUTE = env_setting(env.int, "PASSES_GUEST_RATE_PER_MINUTE", default=60)
PASSES_GUEST_MISSES_PER_MINUTE = env_setting(env.int, "PASSES_GUEST_MISSES_PER_MINUTE", default=20)
PASSES_GUEST_ADDRESS_RATE_PER_MINUTE = env_setting(env.int, "PASSES_GUEST_ADDRESS_RATE_PER_MINUTE", default=600)
# Wallet passes (passes/wallet/, docs/operations.md "Wallet passes"): a guest adds their pass to Apple
# Wallet (a .pkpass signed with the operator's pass type certificate) and to Google Wallet (a save link
# signed with the operator's service-account key). Certificates and keys: the PEM text itself, or the
# path of a PEM file (a literal \\n in the PEM text is read as a line break). A wallet whose settings
# are not all set is off: no button, the downloads 404 (manage.py check warns: passes.W001-W004).
WALLET_ORGANIZATION_NAME = env_setting(env.str, "WALLET_ORGANIZATION_NAME", default="Building Portal")
WALLET_APPLE_PASS_TYPE_ID = env_setting(env.str, "WALLET_APPLE_PASS_TYPE_ID", default="")
WALLET_APPLE_TEAM_ID = env_setting(env.str, "WALLET_APPLE_TEAM_ID", default="")
WALLET_APPLE_CERT = env_setting(env.str, "WALLET_APPLE_CERT", default="", multiline=True)
WALLET_APPLE_KEY = env_setting(env.str, "WALLET_APPLE_KEY", default="", multiline=True)
WALLET_APPLE_KEY_PASSWORD = env_setting(env.str, "WALLET_APPLE_KEY_PASSWORD", default="")
WALLET_APPLE_WWDR_CERT = env_setting(env.str, "WALLET_APPLE_WWDR_CERT", default="", multiline=True)
WALLET_GOOGLE_ISSUER_ID = env_setting(env.str, "WALLET_GOOGLE_ISSUER_ID", default="")
WALLET_GOOGLE_SERVICE_ACCOUNT_EMAIL = env_setting(env.str, "WALLET_GOOGLE_SERVICE_ACCOUNT_EMAIL", default="")
WALLET_GOOGLE_SERVICE_ACCOUNT_KEY = env_setting(
    env.str, "WALLET_GOOGLE_SERVICE_ACCOUNT_KEY", default="", multiline=True
)
WALLET_GOOGLE_CLASS_SUFFIX = env_setting(env.str, "WALLET_GOOGLE_CLASS_SUFFIX", default="visitor-pass")

# --- ButterflyMX ---------------------------------------------------------------------------------
# Bare origins; the client appends /v4/... and /oauth/.... With nothing set, the local sandbox.
SANDBOX_PORT = env_setting(env.int, "SANDBOX_PORT", default=8001)
BMX_API_BASE = env_setting(env.str, "BMX_API_BASE", default=f"http://127.0.0.1:{SANDBOX_PORT}").rstrip("/")
BMX_ACCOUNTS_BASE = env_setting(env.str, "BMX_ACCOUNTS_BASE", default=f"http://127.0.0.1:{SANDBOX_PORT}").rstrip("/")
BMX_CLIENT_ID = env_setting(env.str, "BMX_CLIENT_ID", default="portal-dev-client")
BMX_CLIENT_SECRET = env_setting(env.str, "BMX_CLIENT_SECRET", default="portal-dev-secret")
BMX_TIMEOUT_S = env_setting(env.float, "BMX_TIMEOUT_S", default=10.0)
# The portal's ButterflyMX request budget, shared by every process (portal/butterflymx/budget.py): a
# token bucket in Redis (REDIS_URL) or in a flock'ed file under BMX_BUDGET_DIR. Background traffic waits
# for it, interactive requests are counted but never delayed. RPS 0 switches the bucket off (the
# account-wide 429 pause stays). Any one second sees at most RPS + BURST - 1 requests.
BMX_REQUEST_BUDGET_RPS = env_setting(env.float, "BMX_REQUEST_BUDGET_RPS", default=50.0)
BMX_REQUEST_BUDGET_BURST = env_setting(env.int, "BMX_REQUEST_BUDGET_BURST", default=1)
BMX_BUDGET_DIR = Path(env_setting(env.str, "BMX_BUDGET_DIR", default=str(VAR_DIR / "bmx-budget")))
# Background GETs retry transient answers (5xx, no answer, a short 429) this often inside the call,
# with full-jitter exponential backoff from this base (interactive GETs: 3 times from 0.5 s).
BMX_BACKGROUND_GET_RETRIES = env_setting(env.int, "BMX_BACKGROUND_GET_RETRIES", default=8)
BMX_BACKGROUND_BACKOFF_S = env_setting(env.float, "BMX_BACKGROUND_BACKOFF_S", default=0.05)
# Keep-alive connections per host in each process's pool: at least a worker's threads that call at once.
BMX_HTTP_POOL_SIZE = env_setting(env.int, "BMX_HTTP_POOL_SIZE", default=16)

# Fernet keys (comma-separated, newest first) that encrypt tokens and PINs at rest. Separate from
# SECRET_KEY so either can be rotated alone. Development derives a stable key under var/.
TOKEN_ENCRYPTION_KEYS = env_setting(env.list, "TOKEN_ENCRYPTION_KEYS", default=[])

# --- Notifications (issue 18): Web Push and e-mail behind portal.notifications.notify() --------------
# VAPID keys identify the portal to browsers' push services (RFC 8292): the public key as the browser's
# applicationServerKey (URL-safe base64 of the uncompressed P-256 point, 87 characters), the private
# key as URL-safe base64 of its 32 bytes (43 characters), and a contact for the push services (mailto:
# or https:). Without both keys Web Push is off and its opt-in is not shown; `manage.py webpush_keys`
# prints a new pair, and development makes one under var/ (portal/settings/local.py).
WEBPUSH_VAPID_PUBLIC_KEY = env_setting(env.str, "WEBPUSH_VAPID_PUBLIC_KEY", default="")
WEBPUSH_VAPID_PRIVATE_KEY = env_setting(env.str, "WEBPUSH_VAPID_PRIVATE_KEY", default="")
WEBPUSH_VAPID_SUBJECT = env_setting(env.str, "WEBPUSH_VAPID_SUBJECT", default="mailto:portal@localhost")
# The push services a subscription may name (host suffixes): the worker POSTs to a URL a browser
# handed in, so only the browsers' own push services are accepted (no request to an internal address).
WEBPUSH_ENDPOINT_HOSTS = env_setting(
    env.list,
    "WEBPUSH_ENDPOINT_HOSTS",
    default=[
        "fcm.googleapis.com",  # Chrome, Edge on Android, Opera
        "android.googleapis.com",
        "updates.push.services.mozilla.com",  # Firefox
        "push.apple.com",  # Safari (web.push.apple.com)
        "notify.windows.com",  # Edge on Windows (wns2-*.notify.windows.com)
    ],
)
WEBPUSH_ENDPOINT_ALLOW_HTTP = env_setting(env.bool, "WEBPUSH_ENDPOINT_ALLOW_HTTP", default=False)  # tests only
WEBPUSH_TIMEOUT_S = env_setting(env.float, "WEBPUSH_TIMEOUT_S", default=5.0)
# How long a push service keeps a notice for a device that is offline: a call is stale after its ring
# window; an arrival or an alert is still worth showing an hour later.
WEBPUSH_TTL_S = env_setting(env.int, "WEBPUSH_TTL_S", default=3600)
WEBPUSH_CALL_TTL_S = env_setting(env.int, "WEBPUSH_CALL_TTL_S", default=60)
# A notification's action button carries a one-use signed token valid this long (portal/notifications/
# action_tokens.py): the service worker cannot read the CSRF cookie, the token stands in for it.
NOTIFICATIONS_ACTION_TOKEN_MAX_AGE_S = env_setting(env.int, "NOTIFICATIONS_ACTION_TOKEN_MAX_AGE_S", default=900)
CELERY_BEAT_SCHEDULE["notifications-spent-tokens-prune"] = {
    "task": "portal.notifications.tasks.spent_action_tokens_prune_task",
    "schedule": 3600.0,
}

# --- Door releases (front desk) -----------------------------------------------------------------
DOOR_RELEASE_COOLDOWN_S = env_setting(env.float, "DOOR_RELEASE_COOLDOWN_S", default=3.0)
DOOR_RELEASE_USER_LIMIT = env_setting(env.int, "DOOR_RELEASE_USER_LIMIT", default=10)  # per minute
DOOR_RELEASE_DOOR_LIMIT = env_setting(env.int, "DOOR_RELEASE_DOOR_LIMIT", default=30)  # per minute
DOOR_RELEASE_TIMEOUT_S = env_setting(env.float, "DOOR_RELEASE_TIMEOUT_S", default=5.0)
# How long after a release its access-log entry may confirm it; past it, "pending confirmation" turns
# "not confirmed". The board keeps each door's last release, in its state, until the next one (no timer).
DOOR_CONFIRM_WINDOW_S = env_setting(env.float, "DOOR_CONFIRM_WINDOW_S", default=60.0)
# A resident's "Refresh" of their doors from ButterflyMX: this many per person per window.
DOORS_REFRESH_LIMIT = env_setting(env.int, "DOORS_REFRESH_LIMIT", default=5)
DOORS_REFRESH_WINDOW_S = env_setting(env.int, "DOORS_REFRESH_WINDOW_S", default=900)
# A manager's changes to units and access-group members at ButterflyMX (tenants/groups_units): this many per
# person per window, so a script or a stuck button cannot hammer ButterflyMX with writes.
SETUP_CHANGES_LIMIT = env_setting(env.int, "SETUP_CHANGES_LIMIT", default=60)
SETUP_CHANGES_WINDOW_S = env_setting(env.int, "SETUP_CHANGES_WINDOW_S", default=900)

# --- Abuse limits (tenants/limits.py): per hour; a building's managers may raise or lower them -------
PORTAL_LIMIT_MESSAGES_PER_PERSON = env_setting(env.int, "PORTAL_LIMIT_MESSAGES_PER_PERSON", default=20)
PORTAL_LIMIT_MESSAGES_PER_BUILDING = env_setting(env.int, "PORTAL_LIMIT_MESSAGES_PER_BUILDING", default=500)
PORTAL_LIMIT_PASSES_PER_PERSON = env_setting(env.int, "PORTAL_LIMIT_PASSES_PER_PERSON", default=30)
PORTAL_LIMIT_PASSES_PER_BUILDING = env_setting(env.int, "PORTAL_LIMIT_PASSES_PER_BUILDING", default=1000)

# --- Residents' PINs (tenants/profile.py) --------------------------------------------------------
# Attempts to set a PIN per person and window, refused ones included.
PIN_CHANGE_LIMIT = env_setting(env.int, "PIN_CHANGE_LIMIT", default=5)
PIN_CHANGE_WINDOW_S = env_setting(env.int, "PIN_CHANGE_WINDOW_S", default=15 * 60)
# Every refused PIN answers no sooner than this after the attempt began, whether the portal refused it
# at once or ButterflyMX did after two round trips ("taken"): timing must not tell which.
PIN_REFUSAL_FLOOR_S = env_setting(env.float, "PIN_REFUSAL_FLOOR_S", default=0.8)
# Fobs added and PINs or fobs revoked (tenants/access_tools.py), per person and window: each is a write
# to ButterflyMX that nobody should be able to hammer, a manager's or a resident's alike.
ACCESS_TOOL_CHANGE_LIMIT = env_setting(env.int, "ACCESS_TOOL_CHANGE_LIMIT", default=20)
ACCESS_TOOL_CHANGE_WINDOW_S = env_setting(env.int, "ACCESS_TOOL_CHANGE_WINDOW_S", default=15 * 60)

# --- Content-Security-Policy ----------------------------------------------------------------------
# In every environment (dev and tests too, so the browser tests prove the pages work under it): only
# the portal's own scripts and styles, no inline script, no inline style, no eval. See docs/security.md.

# Snapshot thumbnails are <img src="/logs/<id>/snapshot">, a 302 to ButterflyMX's pre-signed S3 link.
# CSP checks the redirect target's origin for img-src, so the snapshot hosts must be allowed (images
# only: an <img> cannot run script). portal.core.csp adds the BMX_API_BASE origin (the sandbox serves
# its snapshots there) and the BMX_ACCOUNTS_BASE origin to form-action (the link flow redirects there).
CSP_SNAPSHOT_ORIGINS = env_setting(env.list, "CSP_SNAPSHOT_ORIGINS", default=["https://*.amazonaws.com"])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *CSP_SNAPSHOT_ORIGINS],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- Logging -------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "portal.core.logging.RedactSecretsFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "portal.core.logging.JsonFormatter"},
    },
    "handlers": {
        # The one handler; every logger (Django's, Celery's, ours) reaches it through the root, and
        # the redaction filter sits on it. Celery's worker uses this config too (portal/celery.py).
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env.str("PORTAL_LOG_FORMAT", default="plain"),
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("PORTAL_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # urllib3 logs full URLs at DEBUG; they can carry codes and snapshot links.
        "urllib3": {"level": "WARNING"},
        "oauthlib": {"level": "WARNING"},
        "requests_oauthlib": {"level": "WARNING"},
        # Celery's loggers go to the root's handler (the redaction filter), never a handler of their own.
        "celery": {"level": "INFO", "propagate": True},
    },
}

# --- Logs (issue 6) --------------------------------------------------------------------------------
LOGS_SYNC_ACCESS_INTERVAL_S = env_setting(env.float, "LOGS_SYNC_ACCESS_INTERVAL_S", default=60.0)
LOGS_SYNC_CALLS_INTERVAL_S = env_setting(env.float, "LOGS_SYNC_CALLS_INTERVAL_S", default=30.0)
LOGS_BACKFILL_DAYS = env_setting(env.int, "LOGS_BACKFILL_DAYS", default=90)
LOGS_BACKFILL_CHUNK_HOURS = env_setting(env.float, "LOGS_BACKFILL_CHUNK_HOURS", default=24.0)
LOGS_SYNC_OVERLAP_S = env_setting(env.int, "LOGS_SYNC_OVERLAP_S", default=600)  # late entries are re-read
LOGS_SYNC_LEASE_S = env_setting(env.float, "LOGS_SYNC_LEASE_S", default=15.0)  # a killed worker's lock lasts this long
LOGS_SYNC_MAX_WAIT_S = env_setting(env.float, "LOGS_SYNC_MAX_WAIT_S", default=5.0)  # longer waits are rescheduled
LOGS_SYNC_BUDGET_S = env_setting(env.float, "LOGS_SYNC_BUDGET_S", default=60.0)  # backfill time per task run
LOGS_SYNC_PAGE_SIZE = env_setting(env.int, "LOGS_SYNC_PAGE_SIZE", default=100)
LOGS_SYNC_FETCH_THREADS = env_setting(env.int, "LOGS_SYNC_FETCH_THREADS", default=4)  # backfill pages in flight
LOGS_STALE_AFTER_S = env_setting(env.int, "LOGS_STALE_AFTER_S", default=15 * 60)
LOGS_WEBHOOK_DEBOUNCE_S = env_setting(env.float, "LOGS_WEBHOOK_DEBOUNCE_S", default=3.0)
# Visitor calls (logs.calls): a call rings on its people's pages until ButterflyMX ends it or its ring
# window passes. The panel rings "for about 40 s before rolling over" (contract §4.11, CONFIRMED-LIVE);
# while a call rings, its building's recent calls are re-read every CALLS_POLL_S (status changes come
# by polling: the portal binds only the documented ``create`` action). CALLS_TASK_QUEUE: the queue of
# the ring passes; production may give it a worker of its own so a call never waits behind syncs.
CALLS_RING_WINDOW_S = env_setting(env.float, "CALLS_RING_WINDOW_S", default=40.0)
CALLS_POLL_S = env_setting(env.float, "CALLS_POLL_S", default=3.0)
CALLS_TASK_QUEUE = env_setting(env.str, "CALLS_TASK_QUEUE", default="") or None
CALLS_FETCH_TIMEOUT_S = env_setting(env.float, "CALLS_FETCH_TIMEOUT_S", default=5.0)
# Where ButterflyMX delivers webhooks: the portal's own address unless a tunnel or proxy differs.
LOGS_WEBHOOK_BASE_URL = env_setting(env.str, "LOGS_WEBHOOK_BASE_URL", default=SITE_URL)
CELERY_BEAT_SCHEDULE["logs-sync-access"] = {
    "task": "logs.tasks.sync_all_task",
    "schedule": LOGS_SYNC_ACCESS_INTERVAL_S,
    "args": ("access",),
}
CELERY_BEAT_SCHEDULE["logs-sync-calls"] = {
    "task": "logs.tasks.sync_all_task",
    "schedule": LOGS_SYNC_CALLS_INTERVAL_S,
    "args": ("calls",),
}

# --- Sync scheduling (issue 15): heartbeats, claims, backoff, late entries (docs/operations.md) ------
# The holder of a sync lease renews it this often (a killed worker's lease runs out within
# LOGS_SYNC_LEASE_S), and the watchdog queues abandoned syncs this often: a dead worker's building
# resumes within about LOGS_SYNC_LEASE_S + LOGS_SYNC_WATCHDOG_S.
LOGS_SYNC_HEARTBEAT_S = env_setting(env.float, "LOGS_SYNC_HEARTBEAT_S", default=3.0)
LOGS_SYNC_WATCHDOG_S = env_setting(env.float, "LOGS_SYNC_WATCHDOG_S", default=5.0)
# A claim (a queued sync) whose task has not started this long after its due time was lost: retaken.
LOGS_SYNC_CLAIM_STALE_S = env_setting(env.float, "LOGS_SYNC_CLAIM_STALE_S", default=120.0)
# Per-building error backoff: the first wait, doubling with each failure in a row, up to the cap.
LOGS_SYNC_BACKOFF_BASE_S = env_setting(env.float, "LOGS_SYNC_BACKOFF_BASE_S", default=10.0)
LOGS_SYNC_BACKOFF_MAX_S = env_setting(env.float, "LOGS_SYNC_BACKOFF_MAX_S", default=900.0)
# Walks per Celery task when beat queues a portfolio (a task costs a message and a database connection).
LOGS_SYNC_WALK_BATCH = env_setting(env.int, "LOGS_SYNC_WALK_BATCH", default=8)
# Walks of one batch in flight at once in a worker process (threads kept from batch to batch, each with
# its own database connection): a walk mostly waits on ButterflyMX and the database, so one process
# keeps several going.
# The request budget still paces them all. SQLite takes one writer at a time: one walk at a time there.
LOGS_SYNC_WALK_THREADS = env_setting(
    env.int, "LOGS_SYNC_WALK_THREADS", default=1 if DATABASES["default"]["ENGINE"].endswith("sqlite3") else 4
)
# A walk thread that waited this long for work closes its database connection (0: after every walk).
LOGS_SYNC_WALKER_IDLE_S = env_setting(env.float, "LOGS_SYNC_WALKER_IDLE_S", default=30.0)
# PostgreSQL's synchronous_commit on the walk threads' connections (logs/tasks.py): "off" lets a walk's
# commits (lease, rows, mark, release: about five a walk) go on without waiting for the WAL flush. A crash
# of PostgreSQL can then lose the last fraction of a second of walks, rows and marks together (the WAL
# keeps their order), which the next walk reads again from ButterflyMX. Every other commit stays durable.
LOGS_SYNC_WALK_SYNCHRONOUS_COMMIT = env_setting(env.str, "LOGS_SYNC_WALK_SYNCHRONOUS_COMMIT", default="off")
LOGS_SYNC_REWALKS = env_setting(env.int, "LOGS_SYNC_REWALKS", default=3)  # walks in a row for mid-walk nudges
LOGS_HISTORY_SLICE_S = env_setting(env.float, "LOGS_HISTORY_SLICE_S", default=5.0)  # backfill/re-scan slice
# The high-water mark never passes now + this (an entry dated in the future must not hide later ones).
LOGS_SYNC_FUTURE_SKEW_S = env_setting(env.float, "LOGS_SYNC_FUTURE_SKEW_S", default=120.0)
# Late entries: re-scan the last LOGS_RESCAN_HOURS every LOGS_RESCAN_INTERVAL_S, and the last
# LOGS_RESCAN_DEEP_DAYS every LOGS_RESCAN_DEEP_INTERVAL_S (0 switches either off).
LOGS_RESCAN_INTERVAL_S = env_setting(env.float, "LOGS_RESCAN_INTERVAL_S", default=3600.0)
LOGS_RESCAN_HOURS = env_setting(env.float, "LOGS_RESCAN_HOURS", default=48.0)
LOGS_RESCAN_DEEP_INTERVAL_S = env_setting(env.float, "LOGS_RESCAN_DEEP_INTERVAL_S", default=86400.0)
LOGS_RESCAN_DEEP_DAYS = env_setting(env.float, "LOGS_RESCAN_DEEP_DAYS", default=7.0)
CELERY_BEAT_SCHEDULE["logs-sync-watchdog"] = {
    "task": "logs.tasks.sync_watchdog_task",
    "schedule": LOGS_SYNC_WATCHDOG_S,
}

# --- Retention (issue 13): beat prunes what is only kept for a while ---------------------------------
# Webhook deliveries are nudges kept for inspection (the data comes from the API).
LOGS_WEBHOOK_RETENTION_DAYS = env_setting(env.int, "LOGS_WEBHOOK_RETENTION_DAYS", default=30)
# Rate-limit counters (RateCounter rows) past every window that reads them; keep it above the longest
# window of any limit, or a long window would be counted from zero again.
RATE_COUNTER_RETENTION_S = env_setting(env.int, "RATE_COUNTER_RETENTION_S", default=2 * 24 * 3600)
PRUNE_INTERVAL_S = env_setting(env.float, "PORTAL_PRUNE_INTERVAL_S", default=3600.0)
CELERY_BEAT_SCHEDULE["webhook-deliveries-prune"] = {
    "task": "logs.tasks.webhook_deliveries_prune_task",
    "schedule": PRUNE_INTERVAL_S,
}
CELERY_BEAT_SCHEDULE["rate-counters-prune"] = {
    "task": "portal.core.tasks.rate_counters_prune_task",
    "schedule": PRUNE_INTERVAL_S,
}

# --- Webhook registration and verification (issues 15 and 16, logs/registration.py) ------------------
# A transient failure (5xx, 429, no answer) is retried after BASE s, doubling up to MAX s, with jitter.
LOGS_WEBHOOK_RETRY_BASE_S = env_setting(env.float, "LOGS_WEBHOOK_RETRY_BASE_S", default=10.0)
LOGS_WEBHOOK_RETRY_MAX_S = env_setting(env.float, "LOGS_WEBHOOK_RETRY_MAX_S", default=3600.0)
# Beat re-tries missing or transiently failed registrations, and follows a change of the portal's address.
LOGS_WEBHOOK_CHECK_INTERVAL_S = env_setting(env.float, "LOGS_WEBHOOK_CHECK_INTERVAL_S", default=60.0)
CELERY_BEAT_SCHEDULE["webhooks-maintain"] = {
    "task": "logs.tasks.webhooks_maintain_task",
    "schedule": LOGS_WEBHOOK_CHECK_INTERVAL_S,
}
# An entry logged this long after the last delivery (and this long ago), found by polling, means the
# webhooks went quiet: a delivery takes seconds, retries a minute; this margin absorbs both and clock skew.
LOGS_WEBHOOK_QUIET_AFTER_S = env_setting(env.int, "LOGS_WEBHOOK_QUIET_AFTER_S", default=120)

# --- Arrivals and manager alerts (issue 18, portal/alerts) ------------------------------------------
# An entry logged longer ago than this when the sync first stores it is history (a backfill, a late
# upload, a sync after an outage), not an arrival: nobody is told.
ALERTS_ARRIVAL_MAX_AGE_S = env_setting(env.int, "ALERTS_ARRIVAL_MAX_AGE_S", default=300)
# A burst of refused credentials: this many at one door within this window (one alert per burst).
ALERTS_REFUSED_COUNT = env_setting(env.int, "ALERTS_REFUSED_COUNT", default=5)
ALERTS_REFUSED_WINDOW_S = env_setting(env.int, "ALERTS_REFUSED_WINDOW_S", default=120)
# Beat's scan for webhooks gone quiet, links needing re-linking and bursts that ended.
ALERTS_SCAN_INTERVAL_S = env_setting(env.float, "ALERTS_SCAN_INTERVAL_S", default=60.0)
CELERY_BEAT_SCHEDULE["alerts-scan"] = {
    "task": "portal.alerts.tasks.alerts_scan_task",
    "schedule": ALERTS_SCAN_INTERVAL_S,
}

# --- Redis outages (issue 15): the portal degrades instead of breaking ------------------------------
# Publishing a task (a webhook's nudge, "Sync now", a connected building's first sync) gives up within
# about (max_retries + 1) x REDIS_SOCKET_TIMEOUT_S + the pauses, instead of Celery's default of waiting
# on a frozen Redis forever; a task that could not be sent is logged and dropped (portal/core/celerytask.py),
# and beat's regular runs do that work anyway. Workers and beat reconnect by themselves.
if not CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,
        "socket_timeout": REDIS_SOCKET_TIMEOUT_S,
        "socket_connect_timeout": REDIS_SOCKET_TIMEOUT_S,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_SOCKET_TIMEOUT_S
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0.2, "interval_step": 0.2, "interval_max": 0.2}
# allauth's sign-in limits live in the cache and fail open while Redis is unreachable; meanwhile every
# sign-in attempt is counted per client address in the database, this many a minute (portal/accounts/adapter.py).
PORTAL_LOGIN_LIMIT_CACHE_DOWN = env_setting(env.int, "PORTAL_LOGIN_LIMIT_CACHE_DOWN", default=10)


# --- Log retention (issue 15): the local copies of access and call logs -----------------------------
# Rows whose logged_at is older than this many days are deleted by beat (logs.retention), in batches.
# 0 keeps everything (the default: ButterflyMX keeps the history; set it for a portfolio, see
# docs/operations.md "Log retention"). Keep it at or above LOGS_BACKFILL_DAYS, or the backfill writes rows
# the next prune deletes (a system check warns).
LOGS_RETENTION_DAYS = env_setting(env.int, "LOGS_RETENTION_DAYS", default=0)
LOGS_CALLS_RETENTION_DAYS = env_setting(env.int, "LOGS_CALLS_RETENTION_DAYS", default=LOGS_RETENTION_DAYS)
LOGS_PRUNE_BATCH = env_setting(env.int, "LOGS_PRUNE_BATCH", default=5000)  # rows per DELETE (one short transaction)
LOGS_PRUNE_BUDGET_S = env_setting(env.float, "LOGS_PRUNE_BUDGET_S", default=120.0)  # then the task continues later
CELERY_BEAT_SCHEDULE["logs-prune"] = {
    "task": "logs.tasks.logs_prune_task",
    "schedule": PRUNE_INTERVAL_S,
}


# --- Live updates (issue 18): Server-Sent Events to the open pages (portal/live, docs/operations.md) -----
# Each web process reads the outbox (LiveEvent) this often and pushes new rows to its open streams.
LIVE_POLL_S = env_setting(env.float, "LIVE_POLL_S", default=0.25)
# An id jumped over (a row another process had not committed yet) is asked for again this long.
LIVE_GAP_S = env_setting(env.float, "LIVE_GAP_S", default=10.0)
# A comment line on a silent stream this often: proxies (nginx's proxy_read_timeout, 60 s by default)
# close a connection that says nothing.
LIVE_HEARTBEAT_S = env_setting(env.float, "LIVE_HEARTBEAT_S", default=15.0)
# The browser reconnects this soon after a dropped stream (the `retry:` line), replaying by Last-Event-ID.
LIVE_RETRY_MS = env_setting(env.int, "LIVE_RETRY_MS", default=2000)
# A stream ends after this long (minus up to a tenth, so they do not all end together) and the browser
# reconnects: the person's audiences are worked out again (a moved-out resident, a signed-out session).
LIVE_STREAM_MAX_S = env_setting(env.float, "LIVE_STREAM_MAX_S", default=900.0)
# Events waiting for one slow stream; past it the stream closes and the browser reconnects and replays.
LIVE_QUEUE_MAX = env_setting(env.int, "LIVE_QUEUE_MAX", default=1000)
# At most this many missed events replayed to a reconnecting page.
LIVE_REPLAY_LIMIT = env_setting(env.int, "LIVE_REPLAY_LIMIT", default=500)
# While a page's stream is down it refreshes its live parts this often (0: never); pages served without
# a stream (a WSGI-only server) rely on it alone.
LIVE_FALLBACK_POLL_S = env_setting(env.int, "LIVE_FALLBACK_POLL_S", default=60)
# Beat deletes outbox rows older than LIVE_RETENTION_S every LIVE_PRUNE_INTERVAL_S (portal/live/tasks.py).
LIVE_RETENTION_S = env_setting(env.int, "LIVE_RETENTION_S", default=600)
CELERY_BEAT_SCHEDULE["live-events-prune"] = {
    "task": "portal.live.tasks.live_events_prune_task",
    "schedule": env_setting(env.float, "LIVE_PRUNE_INTERVAL_S", default=60.0),
}
