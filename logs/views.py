"""Pages of the logs app: browse, export, chart, sync health, and the webhook receiver.

Every queryset comes from :mod:`logs.selectors` (scope), then the shared FilterSets. Snapshot URLs are
public S3 links, so list pages never contain them: thumbnails load through :func:`snapshot`, which
redirects only people in scope.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections import Counter

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import ExtractHour, TruncDate
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.butterflymx import BmxError
from portal.core import jinja2env
from portal.core.csvexport import csv_response
from tenants.models import AccessPoint, Building, Role
from tenants.scope import get_building_or_404, request_grants, request_roles

from . import selectors, services
from .clock import clock_for
from .filters import (
    CALL_STATUSES,
    CALL_TYPES,
    RELEASE_STATUSES,
    RELEASE_TYPES,
    AccessLogFilter,
    CallFilter,
    call_outcome,
    label_of,
    labels,
)
from .health import poll_interval_s, sync_wait, webhook_health
from .models import AccessLogEntry, CallRecord, ReleaseMethod, Stream
from .webhooks import MAX_BODY, is_transient, polled_only

logger = logging.getLogger(__name__)
PAGE_SIZE = 50
CSV_CHUNK = 5000


# Pages that only read: no request-long transaction (its BEGIN and COMMIT were two of a log page's
# round trips). The keyset cursor, not a snapshot, keeps their pages consistent.
read_only = transaction.non_atomic_requests


def _filtered(request: HttpRequest, kind: str):
    grants = request_grants(request)
    if kind == "calls":
        return CallFilter(request.GET or None, queryset=CallRecord.objects.restrict(grants), request=request)
    queryset = AccessLogEntry.objects.restrict(grants)
    return AccessLogFilter(request.GET or None, queryset=queryset, request=request)


def _zones(fs) -> dict[int, object]:
    """Each visible building's zone by id (the filter's building choices: no query of its own)."""
    return {b.pk: zoneinfo.ZoneInfo(b.time_zone) for b in fs.visible_buildings()}


def _is_manager(request: HttpRequest) -> bool:
    return Role.MANAGER in request_roles(request).values()


def _query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def _newest_first(request: HttpRequest) -> bool:
    """The list's order: by time only, the one column every log index is ordered by (both ways)."""
    return request.GET.get("sort") != "oldest"


def _page(request: HttpRequest, fs, qs) -> selectors.Page:
    """The requested page of ``qs``; none at all when a filter is invalid (never the unfiltered rows).
    Raises :class:`~logs.selectors.InvalidCursor` for a page position that is not one of ours."""
    if fs.is_bound and not fs.is_valid():
        return selectors.Page([], None)
    return selectors.keyset_page(
        qs,
        request.GET.get("cursor"),
        PAGE_SIZE,
        before=request.GET.get("before"),
        newest_first=_newest_first(request),
    )


def _list_context(request: HttpRequest, fs, page, rows: list, zones: dict) -> dict:
    newest_first = _newest_first(request)
    sort_params = request.GET.copy()
    for name in ("cursor", "before", "sort"):
        sort_params.pop(name, None)
    if newest_first:
        sort_params["sort"] = "oldest"
    return {
        "filter": fs,
        "rows": rows,
        "page": page,
        "invalid": fs.is_bound and not fs.is_valid(),
        "query": _query_without(request, "cursor", "before"),
        "newest_first": newest_first,
        "sort_query": sort_params.urlencode(),
        "multi_building": len(zones) > 1,
        "is_manager": _is_manager(request),
    }


# The columns of a list row: plain values (no model instances); the snapshot as a yes/no computed by
# the database, so the URL never leaves it for a list page.
ENTRY_ROW = (
    "id",
    "logged_at",
    "building_id",
    "door__name",
    "unit_label",
    "person_name",
    "release_method",
    "release_type",
    "release_status",
)


def _start_again(request: HttpRequest) -> HttpResponse:
    """A 400 for a page position that is not one of ours (an old or damaged link), with the way back:
    the same list and filters from the first page."""
    first = f"?{_query_without(request, 'cursor', 'before')}"
    return HttpResponse(
        format_html('<p>{} <a href="{}">{}</a>.</p>', selectors.InvalidCursor.message, first, _("Start again")),
        status=400,
    )


@read_only
@login_required
def entry_list(request: HttpRequest) -> HttpResponse:
    fs = _filtered(request, "access")
    qs = fs.qs.with_has_snapshot().values(*ENTRY_ROW, "has_snapshot")
    try:
        page = _page(request, fs, qs)
    except selectors.InvalidCursor:
        return _start_again(request)
    zones = _zones(fs)
    names = {b.pk: b.name for b in fs.visible_buildings()}
    # Labels once per page, in the page's language: a lazy translation per cell would cost ~50 µs a row.
    methods, types, statuses = labels(ReleaseMethod.choices), labels(RELEASE_TYPES), labels(RELEASE_STATUSES)
    snapshot_alt = _("Snapshot of the entry at %(time)s")
    clock = clock_for("SHORT_DATETIME_FORMAT")
    # Each entry's pages are "<list URL><pk>/" and "<list URL><pk>/snapshot" (logs/urls.py keeps them
    # so; tests/logs/test_row_links.py checks every link against reverse()): one reverse a page instead
    # of two per row, which at ~50 µs each would be ~5 ms of a 50-row page.
    detail = reverse("logs:list")
    # Plain strings for the template: 50 rows of attribute lookups and lazy translations add up.
    rows = []
    for e in page.rows:
        local = e["logged_at"].astimezone(zones.get(e["building_id"]))
        when = clock(local)
        rows.append(
            {
                "url": f"{detail}{e['id']}/",
                "snapshot_url": f"{detail}{e['id']}/snapshot",
                "iso": e["logged_at"].isoformat(),
                "when": when,
                "alt": snapshot_alt % {"time": when} if e["has_snapshot"] else "",
                "zone": local.tzname(),
                "building": names.get(e["building_id"], ""),
                "door": e["door__name"] or "",
                "unit": e["unit_label"],
                "person": e["person_name"],
                "method": methods.get(e["release_method"], e["release_method"]),
                "type": types.get(e["release_type"], e["release_type"]),
                "status": statuses.get(e["release_status"], e["release_status"]),
                "locked": e["release_status"] == "Locked",
                "snapshot": e["has_snapshot"],
            }
        )
    context = _list_context(request, fs, page, rows, zones)
    # The rows by Jinja2 (logs/jinja2/logs/_entry_rows.html), which escapes every value: the page's
    # largest part, several times cheaper there than in Django's template language.
    context["rows_html"] = jinja2env.render("logs/_entry_rows.html", context)
    return render(request, "logs/entry_list.html", context)


@read_only
@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    fs = _filtered(request, "calls")
    qs = fs.qs.select_related("building").defer(*selectors.LIST_DEFERRED)
    try:
        page = _page(request, fs, qs)
    except selectors.InvalidCursor:
        return _start_again(request)
    zones = _zones(fs)
    detail = reverse("logs:calls")  # each call's page is "<calls URL><pk>/", as for entries above
    outcomes, types, clock = labels(CALL_STATUSES), labels(CALL_TYPES), clock_for("SHORT_DATETIME_FORMAT")
    # Wall-clock strings made here, in each call's building's zone, as the entry list does: a datetime
    # handed to the template's ``date`` filter would be shown in the default zone (UTC) again.
    rows = []
    for c in page.rows:
        local = c.logged_at.astimezone(zones.get(c.building_id))
        rows.append(
            (
                c,
                {
                    "when": clock(local),
                    "zone": local.tzname(),
                    "url": f"{detail}{c.pk}/",
                    "outcome": (outcomes.get(c.status) or call_outcome(c.status)) if c.status else "",
                    "type": types.get(c.notification_type, c.notification_type),
                },
            )
        )
    return render(request, "logs/call_list.html", _list_context(request, fs, page, rows, zones))


@login_required
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entries = AccessLogEntry.objects.restrict(request_grants(request)).with_has_snapshot()
    entry = get_object_or_404(entries.select_related("building", "door", "unit"), pk=pk)
    context = {
        "entry": entry,
        "type": label_of(RELEASE_TYPES, entry.release_type),
        "status": label_of(RELEASE_STATUSES, entry.release_status),
    }
    return render(request, "logs/entry_detail.html", context)


def _call_title(call: CallRecord) -> str:
    """The call page's heading, one whole sentence per kind of call (translators see each)."""
    if call.device_name:
        kinds = {"visitor": _("Visitor call at %(panel)s"), "delivery": _("Delivery call at %(panel)s")}
        return kinds.get(call.notification_type, _("Call at %(panel)s")) % {"panel": call.device_name}
    kinds = {"visitor": _("Visitor call at an unknown panel"), "delivery": _("Delivery call at an unknown panel")}
    return kinds.get(call.notification_type, _("Call at an unknown panel"))


@login_required
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One call, in its building's zone, with its snapshot (through :func:`snapshot`: the URL stays
    encrypted at rest and never reaches the page)."""
    calls = CallRecord.objects.restrict(request_grants(request)).with_has_snapshot()
    call = get_object_or_404(calls.select_related("building", "unit", "device"), pk=pk)
    # A string made here: the template's ``date`` filter would turn the time back into the default zone.
    local = call.logged_at.astimezone(zoneinfo.ZoneInfo(call.building.time_zone))
    when = f"{formats.date_format(local, 'DATETIME_FORMAT')} {local.tzname() or ''}".strip()
    context = {
        "call": call,
        "when": when,
        "outcome": call_outcome(call.status) if call.status else "",
        "type": label_of(CALL_TYPES, call.notification_type),
        "title": _call_title(call),
    }
    return render(request, "logs/call_detail.html", context)


@never_cache
@login_required
def snapshot(request: HttpRequest, pk: int, kind: str = "access") -> HttpResponse:
    """302 to the snapshot for people in scope only; no referrer leaks our page to S3."""
    model = CallRecord if kind == "calls" else AccessLogEntry
    record = get_object_or_404(model.objects.restrict(request_grants(request)).only("id", "snapshot_url"), pk=pk)
    # No snapshot, or (defensively: only ButterflyMX writes it) one that is not a web address.
    if not record.snapshot_url or not record.snapshot_url.startswith(("https://", "http://")):
        raise Http404(_("No snapshot"))
    response = HttpResponseRedirect(record.snapshot_url)
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


# --- CSV ------------------------------------------------------------------------------------------


def _walk(qs, fields: tuple[str, ...]):
    """The whole filtered set in page order, in keyset chunks: constant memory at any size."""
    position = None
    ordered = qs.order_by("-logged_at", "-id")
    while True:
        chunk = list(selectors.after(ordered, position).values_list(*fields)[:CSV_CHUNK])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1]
        position = (last[0], last[1])
        if len(chunk) < CSV_CHUNK:
            return


def access_csv_rows(request: HttpRequest, fs):
    zones = _zones(fs)
    names = {b.pk: b.name for b in fs.visible_buildings()}
    doors = dict(AccessPoint.objects.filter(building_id__in=list(names)).values_list("id", "name"))
    # Plain strings once: a lazy translated label is re-translated each time the CSV writer str()s it,
    # which cost more than the query itself (40% of an export).
    methods, types, statuses = labels(ReleaseMethod.choices), labels(RELEASE_TYPES), labels(RELEASE_STATUSES)
    fields = (
        "logged_at",
        "id",
        "building_id",
        "door_id",
        "unit_label",
        "person_name",
        "release_method",
        "release_type",
        "release_status",
        "remote_id",
    )
    for logged_at, _pk, building_id, door_id, unit, person, method, rtype, status, remote_id in _walk(fs.qs, fields):
        local = logged_at.astimezone(zones[building_id])
        yield (
            local.strftime("%Y-%m-%d %H:%M:%S"),
            local.tzname(),
            names[building_id],
            doors.get(door_id, ""),
            unit,
            person,
            methods.get(method, method),
            types.get(rtype, rtype),
            statuses.get(status, status),
            remote_id,
        )


def access_csv_header() -> list[str]:
    """The access-log CSV's columns, in the person's language (a spreadsheet is read by people)."""
    return [
        _("Time"),
        _("Zone"),
        _("Building"),
        _("Door"),
        _("Unit"),
        _("Person"),
        _("Release method"),
        _("Release type"),
        _("Status"),
        _("ButterflyMX id"),
    ]


def _invalid_filters(fs) -> HttpResponse:
    """A 400 for an export whose filters are wrong: what to correct, in the person's language."""
    text = _("Invalid filters: %(errors)s") % {"errors": fs.errors.as_text()}
    return HttpResponse(text, status=400, content_type="text/plain")


@read_only
@login_required
def entry_csv(request: HttpRequest) -> HttpResponse:
    fs = _filtered(request, "access")
    if fs.is_bound and not fs.is_valid():
        return _invalid_filters(fs)
    return csv_response(access_csv_rows(request, fs), header=access_csv_header(), filename="access-log.csv")


@read_only
@login_required
def call_csv(request: HttpRequest) -> HttpResponse:
    fs = _filtered(request, "calls")
    if fs.is_bound and not fs.is_valid():
        return _invalid_filters(fs)
    zones = _zones(fs)
    outcomes, types = labels(CALL_STATUSES), labels(CALL_TYPES)
    names = {b.pk: b.name for b in fs.visible_buildings()}
    fields = ("logged_at", "id", "building_id", "device_name", "unit_label", "notification_type", "status", "remote_id")

    def rows():
        for logged_at, _pk, building_id, device, unit, ntype, status, remote_id in _walk(fs.qs, fields):
            local = logged_at.astimezone(zones[building_id])
            yield (
                local.strftime("%Y-%m-%d %H:%M:%S"),
                local.tzname(),
                names[building_id],
                device,
                unit,
                types.get(ntype, ntype),
                (outcomes.get(status) or call_outcome(status)) if status else "",  # in words, as the page says it
                remote_id,
            )

    header = [_("Time"), _("Zone"), _("Building"), _("Panel"), _("Unit"), _("Type"), _("Outcome"), _("ButterflyMX id")]
    return csv_response(rows(), header=header, filename="calls.csv")


# --- charts ---------------------------------------------------------------------------------------


@login_required
def charts(request: HttpRequest) -> HttpResponse:
    fs = _filtered(request, "access")
    return render(
        request,
        "logs/charts.html",
        {"filter": fs, "query": request.GET.urlencode(), "is_manager": _is_manager(request)},
    )


@read_only
@login_required
def charts_data(request: HttpRequest) -> JsonResponse:
    """Aggregates of exactly the filtered set, in the zone of the chosen (or first) building."""
    fs = _filtered(request, "access")
    if fs.is_bound and not fs.is_valid():
        return JsonResponse({"errors": fs.errors.get_json_data()}, status=400)
    qs = fs.qs.order_by()
    building = fs.form.cleaned_data.get("building") if fs.is_bound else None
    zone_building = building or min(fs.visible_buildings(), key=lambda b: b.pk, default=None)
    zone = zone_building.tz if zone_building else timezone.get_current_timezone()
    by_hour = Counter(
        dict(
            qs.annotate(h=ExtractHour("logged_at", tzinfo=zone))
            .values_list("h")
            .annotate(n=Count("id"))
            .values_list("h", "n")
        )
    )
    by_day = list(
        qs.annotate(d=TruncDate("logged_at", tzinfo=zone))
        .values("d")
        .annotate(n=Count("id"))
        .order_by("d")
        .values_list("d", "n")
    )
    methods = labels(ReleaseMethod.choices)
    by_method = [
        (methods.get(m, m), n)
        for m, n in qs.values_list("release_method")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("release_method", "n")
    ]
    doors = list(
        qs.exclude(door=None)
        .values("door__name")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("door__name", "n")[:10]
    )
    calls = _filtered(request, "calls")
    call_qs = calls.qs.order_by() if (not calls.is_bound or calls.is_valid()) else CallRecord.objects.none()
    unknown = pgettext("a call's outcome", "Unknown")
    outcomes = list(call_qs.values("status").annotate(n=Count("id")).order_by("-n").values_list("status", "n"))
    return JsonResponse(
        {
            "zone": str(zone),
            "per_hour": {
                "labels": [f"{h:02d}:00" for h in range(24)],
                "values": [by_hour.get(h, 0) for h in range(24)],
            },
            "per_day": {"labels": [d.isoformat() for d, _n in by_day], "values": [n for _d, n in by_day]},
            "by_method": {"labels": [m for m, _n in by_method], "values": [n for _m, n in by_method]},
            "busiest_doors": {"labels": [d for d, _n in doors], "values": [n for _d, n in doors]},
            "call_outcomes": {
                "labels": [call_outcome(s) if s else unknown for s, _n in outcomes],
                "values": [n for _s, n in outcomes],
            },
        }
    )


# --- sync health (managers) -----------------------------------------------------------------------


def _managed(request: HttpRequest):
    buildings = Building.objects.restrict(request_grants(request), Role.MANAGER)
    if not buildings.exists():
        raise Http404(_("No building you manage"))
    return buildings


@login_required
def health(request: HttpRequest) -> HttpResponse:
    buildings = list(_managed(request).order_by("name"))
    cursors = {(c.building_id, c.stream): c for c in selectors.cursors_for_buildings([b.pk for b in buildings])}
    hooks = webhook_health([b.pk for b in buildings])  # a fixed number of queries for any number
    now = timezone.now()
    stale_after = settings.LOGS_STALE_AFTER_S
    cards = []
    for b in buildings:
        streams = []
        polled = polled_only(hooks[b.pk].endpoint)
        for stream, label in Stream.choices:
            c = cursors.get((b.pk, stream))
            lag = int((now - c.last_success_at).total_seconds()) if c and c.last_success_at else None
            streams.append(
                {
                    "label": label,
                    "cursor": c,
                    "lag": lag,
                    "stale": lag is None or lag > stale_after,
                    "webhook_refused": polled.get(stream),
                    "waiting": sync_wait(c, b.tz, now),
                    "poll_s": poll_interval_s(stream),
                }
            )
        cards.append({"building": b, "streams": streams, "webhook": hooks[b.pk]})
    template = "logs/_health_cards.html" if request.headers.get("HX-Request") else "logs/health.html"
    return render(request, template, {"cards": cards})


@login_required
@require_POST
def health_action(request: HttpRequest, building_id: int) -> HttpResponse:
    building = get_building_or_404(request_grants(request), building_id, Role.MANAGER)
    action = request.POST.get("action")
    if action == "sync":
        for stream in (Stream.ACCESS, Stream.CALLS):
            services.sync_request(building_id=building.pk, stream=stream)
        messages.success(request, _("A sync of %(building)s was requested.") % {"building": building.name})
    elif action == "webhooks":
        try:
            endpoint = services.webhooks_register(building=building)
        except BmxError as exc:
            words = {"building": building.name, "error": exc.human_message}
            if is_transient(exc):
                text = _(
                    "Webhooks of %(building)s could not be registered: %(error)s The portal tries again by "
                    "itself in a moment."
                )
            else:
                text = _("Webhooks of %(building)s could not be registered: %(error)s")
            messages.error(request, text % words)
        else:
            refused = ", ".join(str(Stream(stream).label).lower() for stream in polled_only(endpoint))
            if refused:
                messages.warning(
                    request,
                    _(
                        "Webhooks of %(building)s are registered, except for the %(streams)s, which ButterflyMX "
                        "refused: the regular sync polls it instead."
                    )
                    % {"building": building.name, "streams": refused},
                )
            else:
                messages.success(
                    request,
                    _("Webhooks of %(building)s are registered; they show as verified when the first arrives.")
                    % {"building": building.name},
                )
    else:
        messages.error(request, _("Unknown action."))
    return redirect("logs:health")


# --- webhook receiver -----------------------------------------------------------------------------


def _too_large(building_id: int, secret: str, head: bytes) -> JsonResponse:
    """Keep the start of an oversized body for inspection; answer 413 (404 for a wrong URL)."""
    text = head.decode("utf-8", "replace")
    status, reason = services.webhook_refused(
        building_id=building_id, secret=secret, text=text, status=413, reason="body too large"
    )
    return JsonResponse({"error": reason}, status=status)


@csrf_exempt
@require_POST
@transaction.non_atomic_requests  # each write commits alone: no request-long transaction, no row held locked
def webhook(request: HttpRequest, building_id: int, secret: str) -> HttpResponse:
    """Answer fast: no ButterflyMX call here; the delivery only requests a (debounced) sync."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY:
        return _too_large(building_id, secret, request.read(4096))
    body = request.body
    if len(body) > MAX_BODY:
        return _too_large(building_id, secret, body[:4096])
    status, reason = services.delivery_receive(building_id=building_id, secret=secret, body=body)
    if status == 404:
        return JsonResponse({"error": reason}, status=404)
    return JsonResponse({"status": reason}, status=status)


@csrf_exempt
@require_POST
@transaction.non_atomic_requests  # as webhook(): each write commits alone
def tenant_webhook(request: HttpRequest, hook_id: int, secret: str) -> HttpResponse:
    """A delivery to a resident's own integration (logs.tenant_streams): it nudges that resident's walk.
    An oversized body is refused (413) without being kept: the tenant URL has no inspection page."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    body = b"" if declared > MAX_BODY else request.body
    if declared > MAX_BODY or len(body) > MAX_BODY:
        if not services.tenant_hook_matches(hook_id, secret):
            return JsonResponse({"error": "not found"}, status=404)
        return JsonResponse({"error": "body too large"}, status=413)
    status, reason = services.tenant_delivery_receive(hook_id=hook_id, secret=secret, body=body)
    if status == 404:
        return JsonResponse({"error": reason}, status=404)
    return JsonResponse({"status": reason}, status=status)
