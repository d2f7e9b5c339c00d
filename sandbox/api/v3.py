"""The two v3 routes the portal uses to tell a panel that a call was handled (contract §7, CONFIRMED-LIVE).

v4 cannot tell the intercom "call handled" (§4.6: a release does not end a ringing call), and v4 call
records carry neither the call's ``guid`` nor the panel that placed it (§4.11). v3 carries both, with
the same integer call id; an app reads them from ``GET /v3/me/calls`` and posts
``POST /v3/notifications/open_door`` (or ``/call_ended``) with ``call_guid`` and ``source_id`` (the panel).

These paths are outside ButterflyMX's v4 document, so the contract middleware neither checks nor counts
them (it sees ``/v4`` only). Shapes: JSON:API as v3 answers (§7); the panel id is the call's device id,
as in this sandbox's legacy webhook payloads (§6.1 (b)). What the contract does not say is PROPOSED and
marked so: the page size, ``display_status`` wording, 404 for a call the token cannot see, 422 for a
``source_id`` that is not the call's panel.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox import clock
from sandbox.api.auth import Viewer, authenticate
from sandbox.api.errors import ApiError, invalid, not_found
from sandbox.api.serializers import ts
from sandbox.models import Call, PanelNotification

JSON_API = "application/vnd.api+json"
DEFAULT_PAGE_SIZE = 25  # PROPOSED
MAX_PAGE_SIZE = 100  # PROPOSED
# PROPOSED: how the app words a status for people.
DISPLAY_STATUS = {
    "initializing": "Incoming",
    "connecting_sip": "Connecting",
    "canceled": "Canceled",
    "voip_rollover": "Forwarded to phone",
    "rejected": "Declined",
    "timeout_online_signal": "Missed",
    "opened_door": "Door opened",
}


def v3_route(**handlers: Callable[[HttpRequest, Viewer], HttpResponse]):
    """Authenticate (401 as v4 does) and dispatch by method; 405 for a method the route does not have."""

    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        handler = handlers.get(request.method or "GET")
        if handler is None:
            return JsonResponse({"errors": [{"status": "405", "title": "Method Not Allowed"}]}, status=405)
        try:
            return handler(request, authenticate(request))
        except ApiError as error:
            return error.response()

    return view


def _page_param(request: HttpRequest, name: str, default: int, most: int) -> int:
    try:
        value = int(request.GET.get(f"page[{name}]", default))
    except ValueError:
        return default
    return max(1, min(value, most))


def _call(call: dict) -> dict:
    panel = str(call["device_id"])
    return {
        "id": str(call["id"]),
        "type": "calls",
        "attributes": {
            "guid": call["guid"],
            "call_type": "mobile",
            "notification_type": call["notification_type"],
            "logged_at": ts(call["logged_at"]),
            "created_at": ts(call["logged_at"]),
            "status": call["status"],
            "display_status": DISPLAY_STATUS.get(call["status"] or "", call["status"]),
            "panel_name": call["device_name"],
            "panel_id": int(panel),
        },
        "relationships": {"panel": {"data": {"id": panel, "type": "panels"}}},
    }


def my_calls(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    """``GET /v3/me/calls``: the signed-in person's own calls (to their tenancies), newest first."""
    size = _page_param(request, "size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    number = _page_param(request, "number", 1, 10**6)
    calls = Call.objects.filter(recipient_id__in=viewer.tenant_ids).order_by("-logged_at", "-id")
    total = calls.count()
    last = max(1, -(-total // size))
    rows = calls.values()[(number - 1) * size : number * size]
    base = request.build_absolute_uri(request.path)

    def link(page: int | None) -> str | None:
        return None if page is None else f"{base}?page[number]={page}&page[size]={size}"

    links = {
        "self": link(number),
        "first": link(1),
        "prev": link(number - 1 if number > 1 else None),
        "next": link(number + 1 if number < last else None),
        "last": link(last),
    }
    body = {"data": [_call(row) for row in rows], "links": links, "meta": {"total": total}}
    return JsonResponse(body, content_type=JSON_API)


def _notification(kind: str):
    def handler(request: HttpRequest, viewer: Viewer) -> HttpResponse:
        """``POST /v3/notifications/<kind>``: ``{"data":{"type":"notifications","attributes":
        {"call_guid","source_id","video","audio"}}}``; 204 (as the live account answered, [HA])."""
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise invalid(("data", "invalid", "is not JSON")) from None
        item = body.get("data") if isinstance(body, dict) else None
        attributes = item.get("attributes") if isinstance(item, dict) else None
        if not isinstance(attributes, dict) or item.get("type") != "notifications":
            raise invalid(("data", "invalid", 'must be {"type": "notifications", "attributes": {...}}'))
        guid, source = attributes.get("call_guid"), attributes.get("source_id")
        if not isinstance(guid, str) or not guid:
            raise invalid(("call_guid", "blank", "can't be blank"))
        if isinstance(source, bool) or not isinstance(source, (int, str)) or not str(source).isdigit():
            raise invalid(("source_id", "invalid", "must be the panel's id"))
        visible = Call.objects.filter(guid=guid)  # a call of the token's tenancies, or of a building it runs
        call = (
            visible.filter(recipient_id__in=viewer.tenant_ids).first()
            or visible.filter(building_id__in=viewer.managed).first()
        )
        if call is None:
            raise not_found()
        if int(source) != call.device_id:
            raise invalid(("source_id", "invalid", "is not the panel of this call"))
        PanelNotification.objects.create(
            kind=kind,
            call_id=call.id,
            call_guid=guid,
            source_id=int(source),
            user_id=viewer.user.id,
            video=bool(attributes.get("video")),
            audio=bool(attributes.get("audio")),
            created_at=clock.now(),
        )
        return HttpResponse(status=204)

    return handler


me_calls = v3_route(GET=my_calls)
open_door = v3_route(POST=_notification("open_door"))
call_ended = v3_route(POST=_notification("call_ended"))
