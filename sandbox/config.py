"""Run-time knobs (token lifetime, webhook backoff, ...): defaults from settings, overrides persisted."""

from typing import Any

from django.conf import settings

from sandbox import gateway
from sandbox.models import Setting


def defaults() -> dict[str, Any]:
    return {
        "token_ttl": settings.SANDBOX_TOKEN_TTL,
        "code_ttl": settings.SANDBOX_CODE_TTL,
        "webhook_timeout": settings.SANDBOX_WEBHOOK_TIMEOUT,
        "webhook_backoff": list(settings.SANDBOX_WEBHOOK_BACKOFF),
        "payload_style": "documented",
        "permission_failure": "404",  # what a tenant token gets for an invisible resource: "404" or "401"
        "rate_limit": None,  # off; {"rps": 50, "burst": 50, "per": "account"|"token"}: sandbox/gateway.py
    }


def get_all() -> dict[str, Any]:
    values = defaults()
    row = Setting.objects.filter(key="config").first()
    if row:
        values.update(row.value)
    return values


def get(name: str) -> Any:
    return get_all()[name]


def update(changes: dict[str, Any]) -> dict[str, Any]:
    known = defaults()
    unknown = sorted(set(changes) - set(known))
    if unknown:
        raise ValueError(f"unknown config keys: {', '.join(unknown)}")
    if "rate_limit" in changes:
        changes = {**changes, "rate_limit": gateway.validate_limit(changes["rate_limit"])}
    row = Setting.objects.filter(key="config").first()
    current = dict(row.value) if row else {}
    current.update(changes)
    Setting.objects.update_or_create(key="config", defaults={"value": current})
    if "rate_limit" in changes:
        gateway.set_limit(changes["rate_limit"])
    return get_all()
