"""Development settings: ``make dev`` on a fresh machine."""

import json

from cryptography.fernet import Fernet

from portal.core.vapid import new_key_pair

from .base import *  # noqa: F403
from .base import TEMPLATES, VAR_DIR, WEBPUSH_VAPID_PRIVATE_KEY, WEBPUSH_VAPID_PUBLIC_KEY, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz")


def _dev_fernet_key() -> str:
    """A key that survives restarts, so tokens stored in development stay readable."""
    path = VAR_DIR / "dev-fernet.key"
    if not path.exists():
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return path.read_text().strip()


TOKEN_ENCRYPTION_KEYS = env.list("TOKEN_ENCRYPTION_KEYS", default=[]) or [_dev_fernet_key()]

# Serve static files straight from the app folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# `make dev` serves the portal with uvicorn (portal/asgi.py), whose reloader restarts on Python files
# only: nothing would tell Django's cached template loader that a template changed. In development
# templates are read afresh on every render instead.
if DEBUG:
    TEMPLATES[0]["APP_DIRS"] = False  # the loaders below include the apps' folders
    TEMPLATES[0]["OPTIONS"]["loaders"] = [
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]


def _dev_vapid_keys() -> dict[str, str]:
    """A VAPID key pair made once under var/, so Web Push works out of the box and browsers' subscriptions
    (bound to the public key) survive restarts. Production takes its pair from the environment."""
    path = VAR_DIR / "dev-vapid.json"
    if not path.exists():
        pair = new_key_pair()
        path.write_text(json.dumps({"public": pair.public, "private": pair.private}))
        path.chmod(0o600)
    return json.loads(path.read_text())


if not (WEBPUSH_VAPID_PUBLIC_KEY and WEBPUSH_VAPID_PRIVATE_KEY):
    _vapid = _dev_vapid_keys()
    WEBPUSH_VAPID_PUBLIC_KEY, WEBPUSH_VAPID_PRIVATE_KEY = _vapid["public"], _vapid["private"]
