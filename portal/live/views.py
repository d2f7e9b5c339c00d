"""``/live/events/``: the signed-in person's Server-Sent Events stream (an async view, served under ASGI).

Who hears what is decided once, at connect, from the one scope rule (``tenants.scope.request_grants``):
residents hear ``unit:<id>`` of the units they actively live in, staff and managers ``desk:<id>`` of
their buildings, everyone ``user:<own id>``. Never another unit's, whatever the page asks for: the page
asks for nothing, the stream is the person's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.accounts.mfa import mfa_missing
from portal.live import bus
from portal.live.hub import close_connection, hub
from portal.live.stream import event_stream, parse_last_event_id, parse_since
from tenants.scope import Grants, request_grants


def audiences_of(user_id: int, grants: Grants) -> frozenset[str]:
    """The audiences a person belongs to: their own, their units', their front desks'."""
    return frozenset(
        [bus.person(user_id)]
        + [bus.unit(unit_id) for unit_id in grants.units]
        + [bus.desk(building_id) for building_id in grants.memberships]
    )


def _who(request: HttpRequest):
    """(user, grants, whether two-factor is missing), read in the request's thread."""
    user = request.user
    if not user.is_authenticated:
        return None, None, False
    grants = request_grants(request)
    return user, grants, mfa_missing(user, memberships=grants.memberships)


async def _without_a_database_connection(stream: AsyncIterator[str]) -> AsyncIterator[str]:
    """Django closes a request's database connection when the response ends, and a stream ends after
    many minutes: 1,000 open pages would hold 1,000 connections (PostgreSQL allows 100 by default).
    The stream needs none (the pump reads for every stream on one connection), so the request's thread
    closes its own before the first byte; this runs after every middleware has had the response."""
    await sync_to_async(close_connection)()  # thread-sensitive: the thread that opened it
    async for chunk in stream:
        yield chunk


PLAIN = "text/plain; charset=utf-8"  # the refusals are in the reader's language: not always ASCII


# The stream outlives any transaction: ATOMIC_REQUESTS must not wrap it (Django refuses it on an async view).
@transaction.non_atomic_requests
@never_cache
@require_GET
async def events(request: HttpRequest) -> HttpResponse:
    user, grants, missing_mfa = await sync_to_async(_who)(request)
    if user is None or grants is None:
        # An EventSource gives up on any answer but 200: a signed-out page stops asking.
        return HttpResponse(gettext("Sign in to receive live updates."), status=401, content_type=PLAIN)
    if missing_mfa:  # the middleware already sends such a person to set it up; this is the second lock
        return HttpResponse(gettext("Set up two-factor authentication first."), status=403, content_type=PLAIN)
    if not isinstance(request, ASGIRequest):
        # Under WSGI (gunicorn, the test client) a stream would hold a worker thread for good: 204 tells
        # the browser not to reconnect, and its pages keep polling. Production routes /live/ to uvicorn.
        return HttpResponse(status=204)
    audiences = audiences_of(user.pk, grants)
    last_event_id = parse_last_event_id(request.headers.get("Last-Event-ID") or request.GET.get("last"))
    since = parse_since(request.GET.get("since"), timezone.now())
    stream = _without_a_database_connection(event_stream(hub, audiences, last_event_id, since))
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once, even without proxy_buffering off
    return response
