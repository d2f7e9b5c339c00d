"""Webhook deliveries (§6): match integrations, build the payload, POST it from background threads.

Each event becomes one delivery; a delivery is attempted once plus one retry per backoff step, each attempt
with a timeout (5 s by default, as documented), and every attempt is written to the delivery log
(``WebhookDelivery``), visible at ``GET /_sandbox/webhooks/deliveries``. Drops and duplicates can be
injected, because live ButterflyMX may lose or repeat deliveries.
"""

import json
import logging
import random
import threading
import time
import uuid
from typing import Any

import requests
from django.db import close_old_connections, connection, transaction

from sandbox import clock, config
from sandbox.api import serializers
from sandbox.models import AccessLog, Call, Integration, Tenant, WebhookDelivery

log = logging.getLogger("sandbox.webhooks")

ORIGIN = "http://127.0.0.1:8001"  # set by ``serve`` to the real origin, for absolute image URLs
USER_AGENT = "ButterflyMX-Webhooks-Simulator"

_lock = threading.Lock()
_generation = 0  # bumped by reset so in-flight retries from before a reset stop logging
_faults: dict[str, float] = {"drop_rate": 0.0, "duplicate_rate": 0.0, "drop_next": 0, "duplicate_next": 0}
_inflight = 0


def set_faults(**changes: float) -> dict[str, float]:
    with _lock:
        for key, value in changes.items():
            if key not in _faults:
                raise ValueError(f"unknown webhook fault {key!r}")
            _faults[key] = float(value) if "rate" in key else int(value)
        return dict(_faults)


def faults() -> dict[str, float]:
    with _lock:
        return dict(_faults)


def reset() -> None:
    global _generation
    with _lock:
        _generation += 1
        _faults.update(drop_rate=0.0, duplicate_rate=0.0, drop_next=0, duplicate_next=0)


def inflight() -> int:
    return _inflight


def _bindings_match(integration: Integration, kinds: set[str], action: str, resource_id: int | None) -> str | None:
    """The binding's resource_type when one binding matches, else None. ``access_log`` ≡ ``door_release``."""
    for binding in integration.bindings or []:
        if binding.get("resource_type") not in kinds or action not in (binding.get("actions") or []):
            continue
        wanted = binding.get("resource_id")
        if wanted not in (None, "") and str(wanted) != str(resource_id):
            continue
        return binding["resource_type"]
    return None


def _targets(building_id: int, unit_id: int | None, tenant_id: int | None) -> list[Integration]:
    """Building integrations see every event; tenant integrations their unit's or own events (§6.2)."""
    tenant_ids = set(Tenant.objects.filter(unit_id=unit_id).values_list("id", flat=True)) if unit_id else set()
    if tenant_id:
        tenant_ids.add(tenant_id)
    found = list(Integration.objects.filter(building_id=building_id))
    if tenant_ids:
        found += list(Integration.objects.filter(tenant_id__in=tenant_ids))
    return found


def _legacy_user(tenant_id: int | None) -> dict[str, Any] | None:
    tenant = Tenant.objects.select_related("user").filter(id=tenant_id).first() if tenant_id else None
    if tenant is None:
        return None
    user = tenant.user
    return {
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "sip_username": str(3000000 + user.id),
        "email": user.email,
    }


def access_log_event(entry: AccessLog) -> None:
    """Queue ``access_log``/``door_release`` ``create`` deliveries for a new access-log entry."""
    row = AccessLog.objects.filter(id=entry.id).values().first()
    if row is None:
        return
    item = serializers.access_log_row(row, ORIGIN)
    for integration in _targets(entry.building_id, entry.unit_id, entry.tenant_id):
        kind = _bindings_match(integration, {"access_log", "door_release"}, "create", entry.access_point_id)
        if kind is None:
            continue
        if integration.payload_style == "legacy":
            payload = dict(item, panel_id=entry.access_point_id, release_method=entry.release_method)
        else:
            payload = {"event": {"resource_type": kind, "action": "create", "data": item}}
        _enqueue(integration, f"{kind}.create", payload)


def call_event(call: Call, action: str) -> None:
    """Queue ``call`` deliveries: ``create`` for a new call, ``status_update`` when its status changes."""
    row = Call.objects.filter(id=call.id).values().first()
    if row is None:
        return
    item = dict(serializers.call_row(row, ORIGIN), guid=call.guid)
    for integration in _targets(call.building_id, call.unit_id, call.recipient_id):
        if _bindings_match(integration, {"call"}, action, call.device_id) is None:
            continue
        if integration.payload_style == "legacy":
            panel = {
                "id": call.device_id,
                "name": call.device_name,
                "sip_username": f"panel_{call.device_id}",
            }
            flat = {
                "guid": call.guid,
                "user": _legacy_user(call.recipient_id),
                "panel": panel,
                "unit": {"id": call.unit_id, "label": call.unit_label} if call.unit_id else None,
                "provider": "twilio",
                "source": panel,
                "image_url": item["image_url"],
            }
            payload = flat if action == "create" else {"call": flat, "status": call.status}
        else:
            payload = {"event": {"resource_type": "call", "action": action, "data": item}}
        _enqueue(integration, f"call.{action}", payload)


def _enqueue(integration: Integration, event: str, payload: dict[str, Any]) -> None:
    url = integration.configuration.get("url", "")
    delivery_id = str(uuid.uuid4())
    with _lock:
        generation = _generation
        drop = _faults["drop_next"] > 0 or random.random() < _faults["drop_rate"]
        if _faults["drop_next"] > 0:
            _faults["drop_next"] -= 1
        duplicate = not drop and (_faults["duplicate_next"] > 0 or random.random() < _faults["duplicate_rate"])
        if duplicate and _faults["duplicate_next"] > 0:
            _faults["duplicate_next"] -= 1
    job = (delivery_id, integration.id, url, event, payload, generation)
    if drop:
        _record(job, attempt=1, outcome="dropped", status_code=None, error="dropped by injected fault")
        return
    # Deliver only once the event's own transaction is committed, so the receiver can read it back.
    transaction.on_commit(lambda: _start(job, duplicate=False))
    if duplicate:
        transaction.on_commit(lambda: _start(job, duplicate=True))


def _start(job: tuple, duplicate: bool) -> None:
    thread = threading.Thread(target=_deliver, args=(job, duplicate), daemon=True, name="sandbox-webhook")
    thread.start()


def _record(
    job: tuple, attempt: int, outcome: str, status_code: int | None, error: str, duplicate: bool = False
) -> None:
    delivery_id, integration_id, url, event, payload, generation = job
    if generation != _generation:
        return  # a reset happened meanwhile: this delivery belongs to a forgotten world
    WebhookDelivery.objects.create(
        delivery_id=delivery_id,
        integration_id=integration_id,
        url=url,
        event=event,
        payload=payload,
        attempt=attempt,
        outcome=outcome,
        status_code=status_code,
        error=error[:300],
        duplicate=duplicate,
        created_at=clock.now(),
    )


def _deliver(job: tuple, duplicate: bool) -> None:
    global _inflight
    with _lock:
        _inflight += 1
    try:
        close_old_connections()
        settings_now = config.get_all()
        backoff = [float(x) for x in settings_now["webhook_backoff"]]
        timeout = float(settings_now["webhook_timeout"])
        body = json.dumps(job[4])
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "X-Request-Id": job[0]}
        for attempt in range(1, len(backoff) + 2):
            status_code, error = None, ""
            try:
                response = requests.post(job[2], data=body, headers=headers, timeout=timeout)
                status_code = response.status_code
                ok = 200 <= status_code < 300
                if not ok:
                    error = f"HTTP {status_code}"
            except requests.RequestException as exc:
                ok, error = False, f"{type(exc).__name__}: {exc}"
            _record(job, attempt, "delivered" if ok else "failed", status_code, error, duplicate)
            if ok or attempt > len(backoff) or job[5] != _generation:
                return
            time.sleep(backoff[attempt - 1])
    except Exception:  # a delivery thread must never take the server down
        log.exception("webhook delivery crashed")
    finally:
        with _lock:
            _inflight -= 1
        connection.close()
