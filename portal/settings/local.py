"""Development settings: ``make dev`` on a fresh machine."""

from cryptography.fernet import Fernet

from .base import *  # noqa: F403
from .base import TEMPLATES, VAR_DIR, env

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
