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
_IMAGE_URL = re.compile(r'("image_url"\s*:\s*)"[^"]*"')


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(endpoint: WebhookEndpoint | None, secret: str) -> bool:
    expected = endpoint.secret_hash if endpoint else "0" * 64
    return hmac.compare_digest(secret_hash(secret), expected) and endpoint is not None


def redact(body: str) -> str:
    """A body kept for inspection, without snapshot URLs (public links) and at most 8 KiB."""
    return _IMAGE_URL.sub(r'\1"[redacted]"', body[:8192])


def webhooks_register(*, building: Building) -> WebhookEndpoint:
    """(Re)register the building's integrations with a fresh secret. Old ones of ours are removed first.

    One integration per resource type of :data:`RESOURCE_STREAMS`. A type ButterflyMX refuses is kept in
    ``endpoint.refused`` with the reason (its stream is then polled only); the others stay registered.
    Raises :class:`BmxError` when nothing could be registered; the error is also kept on the endpoint.
    """
    endpoint, _ = WebhookEndpoint.objects.get_or_create(building=building, defaults={"secret_hash": ""})
    if building.admin_link is None or building.bmx_id is None:
        endpoint.last_error = "This building is not connected to a ButterflyMX building-admin account."
        endpoint.save(update_fields=["last_error"])
        raise BmxError(status=0, code="not_connected", message=endpoint.last_error)
    client = client_for_link(building.admin_link)
    secret = secrets.token_urlsafe(32)
    url = settings.LOGS_WEBHOOK_BASE_URL.rstrip("/") + reverse(
        "logs_webhooks:receive", kwargs={"building_id": building.pk, "secret": secret}
    )
    try:
        _delete_ours(client, building, endpoint)
    except BmxError as exc:
        endpoint.last_error = exc.human_message
        endpoint.save(update_fields=["last_error", "integration_ids"])
        raise
    refused: dict[str, str] = {}
    first_refusal: BmxError | None = None
    for resource_type in RESOURCE_STREAMS:
        try:
            created = client.create_building_integration(building.bmx_id, url=url, resource_type=resource_type)
        except TokenRefused:
            raise  # the link is dead, not the binding refused
        except BmxError as exc:
            refused[resource_type] = exc.human_message
            first_refusal = first_refusal or exc
            continue
        endpoint.integration_ids.append(str((created or {}).get("id", "")))
    endpoint.refused = refused
    if not endpoint.integration_ids:
        endpoint.secret_hash = ""  # no integration points at any URL of ours
        endpoint.last_error = first_refusal.human_message
        endpoint.save()
        raise first_refusal
    endpoint.secret_hash = secret_hash(secret)
    endpoint.registered_at = timezone.now()
    endpoint.last_error = ""
    endpoint.save()
    return endpoint


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
        _delete_ours(client_for_link(building.admin_link), building, endpoint)
    endpoint.delete()


def _delete_ours(client, building: Building, endpoint: WebhookEndpoint) -> None:
    for integration_id in list(endpoint.integration_ids or []):
        try:
            client.delete_building_integration(building.bmx_id, integration_id)
        except BmxError as exc:
            if exc.status != 404:  # already gone there is fine
                raise
        endpoint.integration_ids.remove(integration_id)


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
