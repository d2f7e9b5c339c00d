"""Settings for ``make test``: the real database and broker the environment names, fast hashing."""

from .base import *  # noqa: F403
from .base import CELERY_BROKER_URL, REDIS_URL, VAR_DIR, env, env_setting, filesystem_broker_options

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-0123456789abcdefghij"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TOKEN_ENCRYPTION_KEYS = ["2Hc4Q4pW6E8mT1tW2iT7c6x3oQ0yQ1bD5nqL9f0mXkA="]
ALLOWED_HOSTS = ["*"]
if not REDIS_URL:
    # One test process: an in-memory cache is shared by everything that needs it.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Logins in tests come fast from one address; the limits have their own tests.
ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS, "login": "1000/m/ip", "signup": "1000/m/ip"}  # noqa: F405

# Serve static files straight from the app folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
PASSES_SMS_BACKEND = "passes.sms.LocmemBackend"
# pytest-django's live_server (the browser tests) is WSGI: /live/events/ answers 204 there, so pages
# refresh their live parts by the fallback poll, as often as they used to poll. The live tests run
# uvicorn and turn it off (tests/live/).
LIVE_FALLBACK_POLL_S = env_setting(env.int, "LIVE_FALLBACK_POLL_S", default=2)

# Tasks enqueued by tests go to a broker folder of their own: `make dev`'s worker must never pick up a
# message that names rows of the test database.
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(VAR_DIR / "test-broker")

# Walk threads give their database connection back after every walk: the test database is dropped at
# the end of the run, which a connection kept open would prevent (their own test sets a real idle time;
# the benchmarks, which run on these settings, set the production default).
LOGS_SYNC_WALKER_IDLE_S = env_setting(env.float, "LOGS_SYNC_WALKER_IDLE_S", default=0.0)

# Refused PINs wait this long in tests (0.8 s in production); the padding has its own tests, which set it.
PIN_REFUSAL_FLOOR_S = 0.05
