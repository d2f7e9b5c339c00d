"""The control surface under ``/_sandbox/``: JSON in, JSON out, for tests, demos and benchmarks.

It is the sandbox's own test-only plane (like fake-seam-connect's ``/_fake/``); it requires nothing and
the sandbox listens on loopback. Every route is listed in ``docs/sandbox.md``.
"""

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox import clock, config, faults, gateway, seed, webhooks
from sandbox import portfolio as portfolio_module
from sandbox.api import serializers as s
from sandbox.api.filters import parse_time
from sandbox.contract import stats as contract_stats_module
from sandbox.generate import generate as generate_history
from sandbox.models import (
    AccessGroup,
    AccessLog,
    AccessPoint,
    AccessTool,
    Building,
    Call,
    Device,
    DoorReleaseRequest,
    Integration,
    Keychain,
    OAuthGrant,
    OAuthToken,
    PanelNotification,
    Tenant,
    Unit,
    User,
    VirtualKey,
    WebhookDelivery,
)
from sandbox.rules import access, events, pins


class BadRequest(Exception):
    pass


def _json(request: HttpRequest) -> dict[str, Any]:
    if not request.body:
        return {}
    try:
        body = json.loads(request.body)
    except ValueError:
        raise BadRequest("body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    return body


def route(**handlers: Callable[..., Any]):
    """Dispatch by method; handlers return a dict (200) or ``(dict, status)``; errors become 400/404."""

    @csrf_exempt
    def view(request: HttpRequest, **kwargs) -> HttpResponse:
        handler = handlers.get(request.method or "GET")
        if handler is None:
            return JsonResponse({"error": f"{request.method} not allowed here"}, status=405)
        try:
            result = handler(request, **kwargs)
        except (BadRequest, ValueError, TypeError, KeyError) as exc:
            return JsonResponse({"error": str(exc) or type(exc).__name__}, status=400)
        except (
            Tenant.DoesNotExist,
            AccessPoint.DoesNotExist,
            Device.DoesNotExist,
            Building.DoesNotExist,
            Call.DoesNotExist,
        ) as exc:
            return JsonResponse({"error": str(exc)}, status=404)
        body, status = result if isinstance(result, tuple) else (result, 200)
        return JsonResponse(body, status=status, safe=False)

    return view


def _origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


# --- lifecycle -----------------------------------------------------------------------------------------


def health(request):
    return {"ok": True, "now": s.ts(clock.now()), "database": connection.vendor}


def reset(request):
    started = time.perf_counter()
    seed.load()
    return {"ok": True, "seconds": round(time.perf_counter() - started, 4)}


def demo(request):
    return seed.demo()


def state(request):
    """A dump of everything small, and counts plus the newest entries of the big tables."""
    o = _origin(request)
    small = {
        "buildings": [s.building(b) for b in Building.objects.order_by("id")],
        "units": [s.unit(u) for u in Unit.objects.order_by("id")],
        "users": [
            {
                "id": u.id,
                "email": u.email,
                "first_name": u.first_name,
                "last_name": u.last_name,
                "can_log_in": bool(u.password),
                "managed_building_ids": list(u.managed_buildings.values_list("id", flat=True)),
            }
            for u in User.objects.order_by("id")
        ],
        "tenants": [s.tenant(t, o) for t in Tenant.objects.select_related("user", "unit", "building").order_by("id")],
        "devices": [s.device(d) for d in Device.objects.order_by("id")],
        "access_points": [
            dict(s.access_point(a), held_open=a.held_open)
            for a in AccessPoint.objects.prefetch_related("devices").order_by("id")
        ],
        "access_groups": [
            dict(s.access_group(g), access_point_ids=sorted(g.access_points.values_list("id", flat=True)))
            for g in AccessGroup.objects.order_by("id")
        ],
        "access_tools": [dict(s.access_tool(t), protected=t.protected) for t in AccessTool.objects.order_by("id")],
        "keychains": [dict(s.keychain(k), protected=k.protected) for k in Keychain.objects.order_by("id")],
        "virtual_keys": [dict(s.virtual_key(v, o), qr=v.token) for v in VirtualKey.objects.order_by("id")],
        "integrations": [
            dict(
                s.integration(i),
                building_id=i.building_id,
                tenant_id=i.tenant_id,
                payload_style=i.payload_style,
            )
            for i in Integration.objects.order_by("id")
        ],
    }
    counts = {
        "access_logs": AccessLog.objects.count(),
        "calls": Call.objects.count(),
        "door_release_requests": DoorReleaseRequest.objects.count(),
        "tokens": OAuthToken.objects.count(),
        "codes": OAuthGrant.objects.count(),
        "webhook_deliveries": WebhookDelivery.objects.count(),
        "panel_notifications": PanelNotification.objects.count(),
    }
    latest_logs = [
        dict(s.access_log_row(r, o), building_id=r["building_id"], release_method=r["release_method"])
        for r in AccessLog.objects.order_by("-id").values()[:20]
    ]
    latest_calls = [dict(s.call_row(r, o), guid=r["guid"]) for r in Call.objects.order_by("-id").values()[:20]]
    latest_releases = [s.door_release(r) for r in DoorReleaseRequest.objects.order_by("-id")[:20]]
    return {
        "now": s.ts(clock.now()),
        "clock_offset_seconds": clock.offset(),
        "config": config.get_all(),
        "faults": faults.listing(),
        "webhook_faults": webhooks.faults(),
        "counts": counts,
        "latest_access_logs": latest_logs,
        "latest_door_release_requests": latest_releases,
        "latest_calls": latest_calls,
        "panel_notifications": list(PanelNotification.objects.order_by("-id").values()[:20]),
        **small,
    }


# --- clock, config, faults ------------------------------------------------------------------------------


def clock_get(request):
    return {"now": s.ts(clock.now()), "offset_seconds": clock.offset()}


def clock_set(request):
    body = _json(request)
    if body.get("reset"):
        clock.set_offset(0)
    elif "set" in body:
        clock.set_now(parse_time(str(body["set"])))
    elif "advance" in body or "advance_seconds" in body:
        clock.advance(float(body.get("advance", body.get("advance_seconds"))))
    else:
        raise BadRequest('send {"set": "<ISO time>"}, {"advance": <seconds>} or {"reset": true}')
    return clock_get(request)


def config_get(request):
    return config.get_all()


def config_set(request):
    return config.update(_json(request))


def faults_get(request):
    return {"faults": faults.listing()}


def faults_add(request):
    body = _json(request)
    specs = body.get("faults") if isinstance(body.get("faults"), list) else [body]
    added = [faults.add(spec).id for spec in specs]
    return {"ids": added, "faults": faults.listing()}, 201


def faults_clear(request):
    faults.clear()
    return {"faults": []}


# --- simulations ------------------------------------------------------------------------------------------


def _call_json(call: Call, origin: str) -> dict[str, Any]:
    row = Call.objects.filter(id=call.id).values().first()
    return dict(s.call_row(row, origin), guid=call.guid)


def call_start(request):
    body = _json(request)
    device = Device.objects.get(id=int(body["device_id"]))
    tenant = None
    if body.get("tenant_id"):
        tenant = Tenant.objects.select_related("user", "unit").get(id=int(body["tenant_id"]))
    elif body.get("unit_id"):
        tenant = Tenant.objects.select_related("user", "unit").filter(unit_id=int(body["unit_id"])).first()
    call = events.start_call(device, tenant=tenant, notification_type=body.get("notification_type", "visitor"))
    for status in body.get("then", []):
        _set_status(call, status)
    return _call_json(call, _origin(request)), 201


def _set_status(call: Call, status: str) -> AccessLog | None:
    if status not in events.CALL_STATUSES:
        raise BadRequest(f"unknown status {status!r}; one of {sorted(events.CALL_STATUSES)}")
    return events.update_call(call, status)


def call_status(request, id: int):
    call = Call.objects.get(id=id)
    entry = _set_status(call, str(_json(request).get("status", "")))
    return dict(_call_json(call, _origin(request)), access_log_id=entry.id if entry else None)


def _int(body: dict, key: str) -> int | None:
    return int(body[key]) if body.get(key) not in (None, "") else None


def keys_use(request):
    body = _json(request)
    outcome = access.use_credential(
        access_point_id=_int(body, "access_point_id"),
        device_id=_int(body, "device_id"),
        pin=str(body["pin"]) if body.get("pin") else None,
        qr=body.get("qr"),
        rfid=body.get("rfid"),
        unit_label=body.get("unit_label"),
    )
    return outcome.as_dict()


def swipe(request):
    body = _json(request)
    tenant = Tenant.objects.select_related("user", "unit").get(id=int(body["tenant_id"]))
    door = AccessPoint.objects.get(id=int(body["access_point_id"]))
    return access.swipe(tenant, door).as_dict()


def open_hours(request):
    body = _json(request)
    door = AccessPoint.objects.get(id=int(body["access_point_id"]))
    result: dict[str, Any] = {"access_point_id": door.id}
    if "open_hours" in body:
        door.open_hours = body["open_hours"]
        door.save(update_fields=["open_hours"])
        result["open_hours"] = door.open_hours
    if body.get("action"):
        if body["action"] not in ("lock", "unlock"):
            raise BadRequest('action is "lock" or "unlock"')
        result["access_log_id"] = access.open_hours(door, body["action"])
    return result


def access_group_schedules(request):
    """Give an access group its times (``schedules``: a list of schedule items; empty: all day)."""
    body = _json(request)
    group = AccessGroup.objects.get(id=int(body["access_group_id"]))
    access.group_schedules_set(group.id, body.get("schedules") or [])
    return {"access_group_id": group.id, "schedules": access.group_schedules().get(group.id, [access.ALL_DAY])}


def generate(request):
    body = _json(request)
    return generate_history(
        int(body["building_id"]),
        access_logs=int(body.get("access_logs", 0)),
        calls=int(body.get("calls", 0)),
        days=int(body.get("days", 365)),
        seed=body.get("seed"),
    ), 201


def portfolio(request):
    """N more buildings administered by one account, with history (``sandbox/portfolio.py``)."""
    return portfolio_module.create(_json(request)), 201


LATE_MAX = 10_000


def _late_time(body: dict[str, Any]) -> dt.datetime:
    if ("logged_at" in body) == ("age_s" in body):
        raise BadRequest("send either logged_at (ISO time) or age_s (seconds before now; negative = future)")
    if "logged_at" in body:
        return parse_time(str(body["logged_at"]))
    return clock.now() - dt.timedelta(seconds=float(body["age_s"]))


def late_entries(request):
    """Entries that reach ButterflyMX now but carry an older ``logged_at`` (a panel uploading what it
    buffered while offline) or a later one (a panel with a wrong clock). They get new, higher ids like any
    new row and are in the API at once. Webhooks: ButterflyMX documents nothing for late uploads; by default
    none fire (a receiver cannot rely on them for such entries), ``"webhooks": true`` fires them as for a
    live event. ``count`` entries are spaced ``spread_s / count`` seconds apart from the given time on.

    ``building_ids`` (instead of ``building_id``) adds ``count`` entries to each of many buildings in one
    request (a benchmark's probes across a portfolio). Each building's entries are committed on their own,
    as a panel's would be, with ``age_s`` counted from that building's turn; the answer's ``ids`` map
    building -> ids and ``visible_at`` building -> the sandbox time (epoch seconds, sub-second) right after
    that building's commit, from when the API can hand them out."""
    body = _json(request)
    kind = body.get("kind", "access")
    if kind not in ("access", "call"):
        raise BadRequest('kind is "access" or "call"')
    count = int(body.get("count", 1))
    if not 1 <= count <= LATE_MAX:
        raise BadRequest(f"count must be 1..{LATE_MAX}")
    _late_time(body)  # refuses a body with neither or both of logged_at and age_s before anything is written
    step = float(body.get("spread_s", 0)) / count
    notify = bool(body.get("webhooks", False))
    status = str(body.get("status", "opened_door"))
    if kind == "call" and status not in events.CALL_STATUSES:
        raise BadRequest(f"unknown status {status!r}; one of {sorted(events.CALL_STATUSES)}")
    many = "building_ids" in body
    if many:
        raw_ids = body["building_ids"]
        if not isinstance(raw_ids, list) or not raw_ids or len(raw_ids) * count > 100 * LATE_MAX:
            raise BadRequest(f"building_ids must be a non-empty list (at most {100 * LATE_MAX} entries in all)")
        buildings = list(Building.objects.filter(id__in=[int(i) for i in raw_ids]).order_by("id"))
        if len(buildings) != len(set(raw_ids)):
            raise Building.DoesNotExist("unknown building id in building_ids")
    else:
        buildings = [Building.objects.get(id=int(body["building_id"]))]
    sources = _late_sources(buildings, body, kind)
    ids: dict[int, list[int]] = {}
    visible_at: dict[int, float] = {}
    firsts = []
    for building in buildings:
        first = _late_time(body)
        with transaction.atomic():
            ids[building.id] = _late_in(sources[building.id], kind, count, first, step, status, notify)
        visible_at[building.id] = clock.real_now().timestamp() + clock.offset()
        firsts.append(first)
    last = (firsts[-1] + dt.timedelta(seconds=(count - 1) * step)).replace(microsecond=0)
    return {
        "kind": kind,
        "building_id": None if many else buildings[0].id,
        "ids": {str(k): v for k, v in ids.items()} if many else ids[buildings[0].id],
        "visible_at": {str(k): v for k, v in visible_at.items()} if many else visible_at[buildings[0].id],
        "first_logged_at": s.ts(firsts[0].replace(microsecond=0)),
        "last_logged_at": s.ts(last),
        "now": s.ts(clock.now()),
        "webhooks": notify,
    }, 201


def _late_sources(buildings: list, body: dict[str, Any], kind: str) -> dict[int, tuple[list, list]]:
    """Per building, the tenants and the doors (access) or devices (calls) its late entries rotate
    through, read in one query per table for all buildings (a portfolio's probe round names a thousand).
    Refuses a building that has none before anything is written."""
    wanted = [building.id for building in buildings]
    tenants: dict[int, list] = {building_id: [] for building_id in wanted}
    for tenant in Tenant.objects.filter(building_id__in=wanted).select_related("user", "unit").order_by("id"):
        tenants[tenant.building_id].append(tenant)
    origins: dict[int, list] = {building_id: [] for building_id in wanted}
    if kind == "access" and body.get("access_point_id"):
        door = AccessPoint.objects.get(id=int(body["access_point_id"]))
        for building_id in wanted:
            if door.building_id != building_id:
                raise AccessPoint.DoesNotExist(f"access point {door.id} is not in building {building_id}")
            origins[building_id].append(door)
    elif kind == "access":
        for door in AccessPoint.objects.filter(building_id__in=wanted).order_by("id"):
            origins[door.building_id].append(door)
    else:
        intercoms: dict[int, list] = {building_id: [] for building_id in wanted}
        for device in Device.objects.filter(building_id__in=wanted).order_by("id"):
            origins[device.building_id].append(device)
            if device.type in ("panel", "virtual_intercom"):
                intercoms[device.building_id].append(device)
        origins = {building_id: intercoms[building_id] or devices for building_id, devices in origins.items()}
    for building_id, found in origins.items():
        if not found:
            raise BadRequest(f"building {building_id} has no {'access points' if kind == 'access' else 'devices'}")
    return {building_id: (tenants[building_id], origins[building_id]) for building_id in wanted}


def _late_in(sources, kind, count, first, step, status, notify) -> list[int]:
    tenants, origins = sources
    ids = []
    for i in range(count):
        tenant = tenants[i % len(tenants)] if tenants else None
        when = (first + dt.timedelta(seconds=i * step)).replace(microsecond=0)
        origin = origins[i % len(origins)]
        if kind == "access":
            row = events.log_entry(origin, "swipe_to_open", tenant=tenant, logged_at=when, notify=notify)
        else:
            row = events.start_call(origin, tenant=tenant, logged_at=when, status=status, notify=notify)
        ids.append(row.id)
    return ids


def _epoch(value: str | None) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        return parse_time(value).timestamp()


def traffic(request):
    """``/v4`` requests per second (real time) seen by the sandbox; ``?since=&until=`` (epoch seconds or
    ISO) narrow the histogram and its maximum, ``?last_s=60`` is the last minute."""
    since, until = _epoch(request.GET.get("since")), _epoch(request.GET.get("until"))
    if request.GET.get("last_s"):
        since = time.time() - float(request.GET["last_s"])
    return gateway.traffic(since=since, until=until)


def traffic_clear(request):
    gateway.clear_traffic()
    return gateway.traffic()


# --- webhooks --------------------------------------------------------------------------------------------


def webhook_faults_get(request):
    return webhooks.faults()


def webhook_faults_set(request):
    return webhooks.set_faults(**_json(request))


def webhook_faults_clear(request):
    return webhooks.set_faults(drop_rate=0, duplicate_rate=0, drop_next=0, duplicate_next=0)


def deliveries(request):
    qs = WebhookDelivery.objects.order_by("id")
    if request.GET.get("integration_id"):
        qs = qs.filter(integration_id=int(request.GET["integration_id"]))
    if request.GET.get("event"):
        qs = qs.filter(event=request.GET["event"])
    rows = [
        {
            "id": d.id,
            "delivery_id": d.delivery_id,
            "integration_id": d.integration_id,
            "url": d.url,
            "event": d.event,
            "attempt": d.attempt,
            "outcome": d.outcome,
            "status_code": d.status_code,
            "error": d.error,
            "duplicate": d.duplicate,
            "created_at": s.ts(d.created_at),
            "payload": d.payload,
        }
        for d in qs
    ]
    return {"deliveries": rows, "in_flight": webhooks.inflight()}


def pin_rules(request):
    """The resident-PIN rules for many codes at once (strength and length only, no ``taken`` check):
    ``{"codes": ["123456", ...]}`` -> ``{"results": {"123456": ["low_entropy"], ...}}``. For tests that
    compare a client-side check with these rules without thousands of round trips."""
    codes = _json(request).get("codes")
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise BadRequest("codes must be a list of strings")
    return {"results": {code: [err[1] for err in pins.resident_pin_errors(code, building_id=0)] for code in codes}}


def deliveries_clear(request):
    WebhookDelivery.objects.all().delete()
    return {"deliveries": []}


def contract_stats(request):
    """Counts of /v4 requests the contract allowed and refused in this process (kept across resets);
    ``?details=0`` leaves out the lists of refusals."""
    return contract_stats_module.snapshot(details=request.GET.get("details") != "0")


def contract_stats_clear(request):
    contract_stats_module.clear()
    return contract_stats_module.snapshot()


health_view = route(GET=health)
reset_view = route(POST=reset)
demo_view = route(GET=demo)
state_view = route(GET=state)
clock_view = route(GET=clock_get, POST=clock_set)
config_view = route(GET=config_get, POST=config_set)
faults_view = route(GET=faults_get, POST=faults_add, DELETE=faults_clear)
calls_view = route(POST=call_start)
call_status_view = route(POST=call_status)
keys_use_view = route(POST=keys_use)
pin_rules_view = route(POST=pin_rules)
swipe_view = route(POST=swipe)
open_hours_view = route(POST=open_hours)
access_group_schedules_view = route(POST=access_group_schedules)
generate_view = route(POST=generate)
portfolio_view = route(POST=portfolio)
late_view = route(POST=late_entries)
traffic_view = route(GET=traffic, DELETE=traffic_clear)
webhook_faults_view = route(GET=webhook_faults_get, POST=webhook_faults_set, DELETE=webhook_faults_clear)
deliveries_view = route(GET=deliveries, DELETE=deliveries_clear)
contract_stats_view = route(GET=contract_stats, DELETE=contract_stats_clear)
