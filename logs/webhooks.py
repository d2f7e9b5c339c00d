"""Webhook nudges: ButterflyMX integrations pointing at a per-building URL, and reading deliveries.

A delivery is never trusted as data (deliveries are unsigned, may repeat, may never come): it only
tells us that something happened, and we answer by syncing the stream from the API. The URL holds a
256-bit random secret, stored as a SHA-256 hash (a fast hash is enough for a random secret) and
compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import NoReturn

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from portal.butterflymx import BmxError
from portal.butterflymx.errors import TokenRefused
from portal.core.jsonbody import loads_bounded
from tenants.models import Building
from tenants.services import client_for_link

from .models import Stream, WebhookEndpoint

MAX_BODY = 64 * 1024
# The resource types the published webhooks guide names, each registered as its own integration with
# the one documented action, ``create``: ButterflyMX may refuse one and keep the other. A stream whose
# webhook is refused is carried by the regular polling sync alone. (Call status changes, the SDK's
# undocumented ``status_update`` action, arrive through that polling too.)
RESOURCE_STREAMS = {"call": Stream.CALLS, "access_log": Stream.ACCESS}
# What a registration writes: never ``last_delivery_at``, which deliveries update meanwhile, nor the
# pending attempt's claim, which only :mod:`logs.registration` moves (and a success clears).
REGISTRATION_FIELDS = [
    "secret_hash",
    "integrations",
    "refused",
    "registered_at",
    "base_url",
    "last_error",
    "failure",
    "attempts",
    "retry_at",
]
_IMAGE_URL = re.compile(r'("image_url"\s*:\s*)"[^"]*"')


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(endpoint: WebhookEndpoint | None, secret: str) -> bool:
    expected = endpoint.secret_hash if endpoint else "0" * 64
    return hmac.compare_digest(secret_hash(secret), expected) and endpoint is not None


def redact(body: str) -> str:
    """A body kept for inspection, without snapshot URLs (public links) and at most 8 KiB."""
    return _IMAGE_URL.sub(r'\1"[redacted]"', body[:8192])


def base_url() -> str:
    """The portal's address as ButterflyMX must reach it: ``LOGS_WEBHOOK_BASE_URL``, which defaults to
    ``PORTAL_SITE_URL`` (in development ``http://127.0.0.1:$PORT``, see portal/settings/base.py)."""
    return settings.LOGS_WEBHOOK_BASE_URL.rstrip("/")


def is_transient(exc: BmxError) -> bool:
    """Worth another attempt later: no answer, a rate limit, a server error. A 4xx is ButterflyMX's
    decision and is shown instead; a dead link (TokenRefused) needs a person to re-link."""
    return exc.transient and not isinstance(exc, TokenRefused) and exc.code != "not_connected"


def webhooks_register(*, building: Building, background: bool = False) -> WebhookEndpoint:
    """Point the building's integrations at our current address with a fresh secret.

    ``background``: a worker's registration (a connecting portfolio registers hundreds at once) waits for
    the shared request budget; a manager's "try again" button does not.

    One integration per resource type of :data:`RESOURCE_STREAMS`. One we registered before is updated
    in place (``PUT``, contract §4.12): a new address or secret never leaves a gap without a webhook,
    and ButterflyMX keeps one integration per type. One that is gone there (404) is created again.
    A type ButterflyMX refuses (a 4xx) is kept in ``endpoint.refused`` with the reason (its stream is
    then polled only); the others stay registered. Raises :class:`BmxError` on a transient failure
    (the attempt is retried by :mod:`logs.tasks`), or when every type was refused; the error is kept
    on the endpoint either way.
    """
    endpoint, _ = WebhookEndpoint.objects.get_or_create(building=building, defaults={"secret_hash": ""})
    endpoint.base_url = base_url()
    if building.admin_link is None or building.bmx_id is None:
        message = "This building is not connected to a ButterflyMX building-admin account."
        _failed(endpoint, BmxError(status=0, code="not_connected", message=message))
    client = client_for_link(building.admin_link, background=background)
    secret = secrets.token_urlsafe(32)
    url = endpoint.base_url + reverse("logs_webhooks:receive", kwargs={"building_id": building.pk, "secret": secret})
    # The new secret is ours before any integration points at it: its first delivery is accepted.
    endpoint.secret_hash = secret_hash(secret)
    endpoint.save(update_fields=["secret_hash", "base_url"])
    refused: dict[str, str] = {}
    first_refusal: BmxError | None = None
    for resource_type in RESOURCE_STREAMS:
        try:
            _point(client, building, endpoint, resource_type, url)
        except BmxError as exc:
            if is_transient(exc) or isinstance(exc, TokenRefused):
                _failed(endpoint, exc)  # the link is dead, or ButterflyMX is down: not the binding refused
            refused[resource_type] = exc.human_message
            first_refusal = first_refusal or exc
    endpoint.refused = refused
    if not endpoint.integrations:
        endpoint.secret_hash = ""  # no integration points at any URL of ours
        _failed(endpoint, first_refusal)
    endpoint.registered_at = timezone.now()
    endpoint.last_error = ""
    endpoint.failure = WebhookEndpoint.Failure.NONE
    endpoint.attempts = 0
    endpoint.retry_at = None
    # Registered: a retry still queued (or the manager's click during one) has nothing left to do.
    endpoint.pending_token, endpoint.pending_until = "", None
    endpoint.save(update_fields=[*REGISTRATION_FIELDS, "pending_token", "pending_until"])
    return endpoint


def _point(client, building: Building, endpoint: WebhookEndpoint, resource_type: str, url: str) -> None:
    """Update our integration of ``resource_type`` to ``url``, or create it (kept in ``integrations``)."""
    known = (endpoint.integrations or {}).get(resource_type)
    if known:
        try:
            client.update_building_integration(building.bmx_id, known, url=url, resource_type=resource_type)
            return
        except BmxError as exc:
            if exc.status != 404:  # gone at ButterflyMX: created again below
                if not is_transient(exc) and not isinstance(exc, TokenRefused):
                    _delete_one(client, building, endpoint, resource_type)  # it points at a dead URL
                raise
            endpoint.integrations.pop(resource_type, None)
    created = client.create_building_integration(building.bmx_id, url=url, resource_type=resource_type)
    endpoint.integrations[resource_type] = str((created or {}).get("id", ""))
    endpoint.save(update_fields=["integrations"])  # known at once: a failure further on keeps it


def _failed(endpoint: WebhookEndpoint, exc: BmxError) -> NoReturn:
    """Keep why the registration failed, and whether it is worth retrying, then raise it."""
    endpoint.last_error = exc.human_message
    endpoint.failure = WebhookEndpoint.Failure.TRANSIENT if is_transient(exc) else WebhookEndpoint.Failure.PERMANENT
    endpoint.save(update_fields=REGISTRATION_FIELDS)
    raise exc


def polled_only(endpoint: WebhookEndpoint | None) -> dict[str, str]:
    """Streams without a webhook because ButterflyMX refused it: ``{stream: why}``."""
    if endpoint is None:
        return {}
    return {RESOURCE_STREAMS[kind]: why for kind, why in (endpoint.refused or {}).items() if kind in RESOURCE_STREAMS}


def webhooks_unregister(*, building: Building) -> None:
    """Remove our integrations at ButterflyMX and forget the secret (the URL stops working at once)."""
    endpoint = WebhookEndpoint.objects.filter(building=building).first()
    if endpoint is None:
        return
    if building.admin_link is not None and building.bmx_id is not None:
        client = client_for_link(building.admin_link)
        for resource_type in list(endpoint.integrations or {}):
            _delete_one(client, building, endpoint, resource_type)
    endpoint.delete()


def _delete_one(client, building: Building, endpoint: WebhookEndpoint, resource_type: str) -> None:
    integration_id = endpoint.integrations.get(resource_type)
    if integration_id:
        try:
            client.delete_building_integration(building.bmx_id, integration_id)
        except BmxError as exc:
            if exc.status != 404:  # already gone there is fine
                raise
    endpoint.integrations.pop(resource_type, None)
    endpoint.save(update_fields=["integrations"])


@dataclass
class Nudge:
    stream: str
    dedupe_key: str
    style: str


class UnknownPayload(ValueError):
    pass


def parse_delivery(body: bytes) -> Nudge:
    """Recognise the payload styles of contract §6.1; raise ValueError/UnknownPayload otherwise."""
    data = loads_bounded(body.decode("utf-8"))  # JsonTooDeep (a ValueError) past 32 levels
    if not isinstance(data, dict):
        raise UnknownPayload("the body is not a JSON object")
    event = data.get("event")
    if isinstance(event, dict):  # (a) documented envelope
        kind = str(event.get("resource_type") or "")
        action = str(event.get("action") or "")
        item = event.get("data") if isinstance(event.get("data"), dict) else {}
        ident = item.get("id") or item.get("guid")
        if kind in ("door_release", "access_log") and ident is not None:
            return Nudge(Stream.ACCESS, f"door_release:{action}:{ident}", f"documented.{kind}")
        if kind == "call" and ident is not None:
            return Nudge(Stream.CALLS, f"call:{action}:{ident}:{item.get('status') or ''}", f"documented.call.{action}")
        raise UnknownPayload(f"unknown event {kind or '?'}/{action or '?'}")
    if isinstance(data.get("call"), dict) and data["call"].get("guid"):  # (c) call status update
        return Nudge(
            Stream.CALLS, f"call:status:{data['call']['guid']}:{data.get('status') or ''}", "legacy.call.status"
        )
    if data.get("guid"):  # (b) flat call create
        return Nudge(Stream.CALLS, f"call:create:{data['guid']}", "legacy.call.create")
    if data.get("id") is not None and ("release_method" in data or "panel_id" in data or "logged_at" in data):
        return Nudge(Stream.ACCESS, f"door_release:create:{data['id']}", "legacy.door_release")  # (d)
    raise UnknownPayload("no known webhook shape")
