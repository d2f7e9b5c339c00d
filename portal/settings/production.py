"""Production: PostgreSQL, Redis, gunicorn behind a TLS proxy. Refuses to start half-configured."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env, env_setting

REQUIRED = ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "TOKEN_ENCRYPTION_KEYS")
missing = [name for name in REQUIRED if not env.str(name, default="").strip()]
if missing:
    raise ImproperlyConfigured(
        "Production settings need these environment variables: "
        + ", ".join(missing)
        + ". See .env.example and docs/operations.md."
    )

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
TOKEN_ENCRYPTION_KEYS = env.list("TOKEN_ENCRYPTION_KEYS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# No default from PORT here: the public address is the proxy's, which only the operator knows.
# Required (portal/core/checks.py, E107): e-mail links and webhook URLs are built from it.
SITE_URL = env_setting(env.str, "PORTAL_SITE_URL", default="")
LOGS_WEBHOOK_BASE_URL = env_setting(env.str, "LOGS_WEBHOOK_BASE_URL", default=SITE_URL)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
PORTAL_REQUIRE_MFA_FOR_STAFF = env.bool("PORTAL_REQUIRE_MFA_FOR_STAFF", default=True)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Structured logs: one JSON object per line, secrets redacted by the handler's filter.
LOGGING["handlers"]["console"]["formatter"] = env.str("PORTAL_LOG_FORMAT", default="json")  # noqa: F405

# Behind the one nginx docs/operations.md requires: the client's address is the right-most entry of
# X-Forwarded-For (portal/core/clientip.py). Set it to the number of proxies that append to the header.
PORTAL_TRUSTED_PROXY_COUNT = env_setting(env.int, "PORTAL_TRUSTED_PROXY_COUNT", default=1)
ALLAUTH_TRUSTED_PROXY_COUNT = PORTAL_TRUSTED_PROXY_COUNT

# Refuse to start with a leaky or one-machine configuration (portal/core/checks.py) unless its own
# variable accepts it: PORTAL_ALLOW_UNSAFE_EMAIL_BACKEND, _SMS_BACKEND, _SQLITE, _FILE_CACHE, _FILE_BROKER.
PORTAL_REFUSE_UNSAFE = True
PORTAL_ALLOW_UNSAFE = {
    thing: env_setting(env.bool, f"PORTAL_ALLOW_UNSAFE_{thing}", default=False)
    for thing in ("EMAIL_BACKEND", "SMS_BACKEND", "SQLITE", "FILE_CACHE", "FILE_BROKER")
}
