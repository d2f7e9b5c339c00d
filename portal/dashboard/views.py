"""The door board (staff and managers), residents' own doors, releases, and the managers' audit."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from logs.calls import calls_ringing
from logs.models import CallRecord
from portal.core.csvexport import csv_response
from portal.notifications.action_tokens import csrf_or_action_token
from tenants.models import AccessPoint, Building, Role
from tenants.scope import get_building_or_404, request_grants, request_roles

from .calls import CallRefused, call_decline, call_for, call_open_door
from .confirmation import error_words, release_states
from .filters import DoorReleaseFilter
from .forms import FrontDeskForm, ReleaseForm, UnitDoorsForm
from .models import DoorRelease, FrontDesk
from .selectors import board_buildings, board_groups, door_states, releases_audited_by, usable_hours_of
from .services import ReleaseRefused, board_unit_doors_set, door_release, front_desk_set, release_target

AUDIT_PAGE_SIZE = 100


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _dialog_fragment(response: HttpResponse) -> HttpResponse:
    """Mark an htmx answer as a fragment to show in place whatever its status: htmx swaps only 2xx
    answers, and portal.js swaps 4xx/5xx ones into ``data-swap-errors`` regions only when so marked
    (any other failure, such as a proxy's error page, gets a plain message of its own there)."""
    response["X-Portal-Fragment"] = "1"
    return response


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Staff and managers pick a building's board (straight to it when they have one)."""
    buildings = list(board_buildings(request_grants(request)))
    if len(buildings) == 1:
        return redirect("dashboard:board", building_id=buildings[0].pk)
    if not buildings:
        raise Http404(_("No door board for you"))
    return render(request, "dashboard/index.html", {"buildings": buildings})


@login_required
def board(request: HttpRequest, building_id: int) -> HttpResponse:
    building = get_building_or_404(request_grants(request), building_id, Role.STAFF, Role.MANAGER)
    return render(request, "dashboard/board.html", _board_context(request, building, with_forms=True))


@login_required
@require_GET
def board_doors(request: HttpRequest, building_id: int) -> HttpResponse:
    """The doors part of the board, polled by htmx so it updates without a reload."""
    building = get_building_or_404(request_grants(request), building_id, Role.STAFF, Role.MANAGER)
    return render(request, "dashboard/_board_doors.html", _board_context(request, building))


@login_required
@require_POST
def front_desk(request: HttpRequest, building_id: int) -> HttpResponse:
    """Managers choose the tenant that releases for nobody in particular are logged under."""
    building = get_building_or_404(request_grants(request), building_id, Role.MANAGER)
    form = FrontDeskForm(request.POST, building=building)
    if form.is_valid():
        front_desk_set(building=building, tenant=form.cleaned_data["tenant"])
        messages.success(request, _("Front-desk account saved."))
    else:
        messages.error(request, _("Choose one of the building's residents."))
    return redirect("dashboard:board", building_id=building.pk)


@login_required
@require_POST
def unit_doors(request: HttpRequest, building_id: int) -> HttpResponse:
    """Managers choose whether residents' unit doors are on the staff board (and releasable by staff)."""
    building = get_building_or_404(request_grants(request), building_id, Role.MANAGER)
    form = UnitDoorsForm(request.POST)
    form.is_valid()  # one optional check box: always valid
    shown = bool(form.cleaned_data.get("shown"))
    board_unit_doors_set(building=building, shown=shown)
    messages.success(
        request,
        _("Residents' unit doors are now on the board.")
        if shown
        else _("Residents' unit doors are now off the board."),
    )
    return redirect("dashboard:board", building_id=building.pk)


def _board_context(request: HttpRequest, building, with_forms: bool = False) -> dict:
    desk = FrontDesk.objects.filter(building=building).first()
    manager = with_forms and request_roles(request).get(building.pk) == Role.MANAGER
    return {
        "front_desk": desk,
        "front_desk_form": FrontDeskForm(
            building=building,
            initial={"tenant": building.tenant_records.filter(bmx_id=desk.bmx_tenant_id).first() if desk else None},
        )
        if manager
        else None,
        "unit_doors_form": UnitDoorsForm(initial={"shown": building.unit_doors_on_board}) if manager else None,
        "building": building,
        "groups": board_groups(building, viewer=request.user, grants=request_grants(request)),
        "connected": building.admin_link_id is not None,
        "now": timezone.now(),
    }


def _my_door_states(request: HttpRequest):
    """The doors the person is assigned, each with only their own units' last entry and release."""
    grants = request_grants(request)
    doors = AccessPoint.objects.restrict(grants, Role.RESIDENT)  # as a resident: the doors assigned to them
    return door_states(
        doors.select_related("building"), viewer=request.user, grants=grants, usable=usable_hours_of(request.user)
    )


@login_required
def my_doors(request: HttpRequest) -> HttpResponse:
    """Residents open the doors they are assigned, through the same release service."""
    states = _my_door_states(request)
    return render(request, "dashboard/my_doors.html", {"states": states})


@login_required
@require_GET
def my_doors_state(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/_my_doors.html", {"states": _my_door_states(request)})


@transaction.non_atomic_requests  # the audit row must be committed before ButterflyMX is called
@login_required
def release(request: HttpRequest, door_id: int) -> HttpResponse:
    """GET: the confirmation step. POST: release the door once."""
    try:
        target = release_target(user=request.user, door_id=door_id, grants=request_grants(request))
    except AccessPoint.DoesNotExist:
        raise Http404(_("No such door")) from None
    door, staff, desk = target.door, target.staff, target.front_desk
    form = ReleaseForm(
        request.POST if request.method == "POST" else None,
        building=door.building,
        staff=staff,
        front_desk_label=desk.label if desk else None,
        reason_required=target.reason_required,
    )
    back = reverse("dashboard:board", args=[door.building_id]) if staff else reverse("dashboard:my_doors")
    context = {"door": door, "form": form, "staff": staff, "back": back, "target": target}
    if request.method != "POST":
        template = "dashboard/_release_form.html" if _is_htmx(request) else "dashboard/release.html"
        return render(request, template, context)
    if not form.is_valid():
        if _is_htmx(request):
            return _dialog_fragment(render(request, "dashboard/_release_form.html", context, status=400))
        return render(request, "dashboard/release.html", context, status=400)
    tenant = form.cleaned_data.get("for_tenant")
    status, note = 200, ""
    try:
        outcome = door_release(
            user=request.user,
            door_id=door.pk,
            reason=form.cleaned_data["reason"],
            for_tenant_id=tenant.pk if tenant else None,
            target=target,
        )
    except AccessPoint.DoesNotExist:
        raise Http404(_("No such door")) from None
    except ReleaseRefused as refused:
        level, text, status = messages.WARNING, str(refused), refused.status
        response_extra = {"Retry-After": f"{refused.retry_after:.0f}"} if refused.retry_after else {}
    else:
        response_extra = {}
        if outcome.status == DoorRelease.Status.SUCCEEDED:
            level, text = messages.SUCCESS, _("%(door)s released.") % {"door": door.name}
            note = _("Its card says “Confirmed open” once ButterflyMX logs the door opening.")
        elif outcome.status == DoorRelease.Status.UNKNOWN:
            text = _("%(door)s: %(error)s") % {"door": door.name, "error": error_words(outcome)}
            level, status = messages.WARNING, 504
        else:
            text = _("%(door)s was not released: %(error)s") % {"door": door.name, "error": error_words(outcome)}
            level, status = messages.ERROR, 502
    if _is_htmx(request):
        response = _dialog_fragment(
            render(
                request,
                "dashboard/_release_result.html",
                {"door": door, "level": level, "text": text, "note": note, "back": back, "status": status},
                status=status,
            )
        )
        response["HX-Trigger"] = "doorReleased"
    else:
        messages.add_message(request, level, text)
        response = redirect(back)
    for header, value in response_extra.items():
        response[header] = value
    return response


def _audit_queryset(request: HttpRequest):
    grants = request_grants(request)
    buildings = Building.objects.restrict(grants, Role.MANAGER).order_by("name")
    if not buildings.exists():
        raise Http404(_("The audit trail is for managers"))
    queryset = releases_audited_by(grants)
    return DoorReleaseFilter(request.GET or None, queryset=queryset, buildings=buildings)


@login_required
def audit(request: HttpRequest) -> HttpResponse:
    """Who released which door, when, why, for whom, the result and whether it was confirmed."""
    filterset = _audit_queryset(request)
    rows = list(filterset.qs.order_by("-requested_at", "-id")[: AUDIT_PAGE_SIZE + 1])
    now = timezone.now()
    states = release_states(rows[:AUDIT_PAGE_SIZE], now)
    roles = {code: str(label) for code, label in Role.choices}  # once a page, not once a row
    for row in rows[:AUDIT_PAGE_SIZE]:
        row.state = states[row.pk]
        row.role_label = roles.get(row.requested_by_role, row.requested_by_role)
        row.error_text = error_words(row)
    return render(
        request,
        "dashboard/audit.html",
        {
            "filter": filterset,
            "rows": rows[:AUDIT_PAGE_SIZE],
            "more": len(rows) > AUDIT_PAGE_SIZE,
            "query": request.GET.urlencode(),
            "confirm_window": timedelta(seconds=settings.DOOR_CONFIRM_WINDOW_S),
            "now": now,
        },
    )


AUDIT_CSV_HEADER = [
    "requested_at_local",
    "time_zone",
    "building",
    "door",
    "released_by",
    "role",
    "reason",
    "for",
    "result",
    "error",
    "confirmed",
    "state",
    "released_by_device",  # a unit's smart lock released by device_id, and the doors that opened
    "device_doors",
]
AUDIT_CSV_BATCH = 2000


@login_required
def audit_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered audit trail as CSV, streamed."""
    filterset = _audit_queryset(request)

    def rows():
        now = timezone.now()
        batch: list[DoorRelease] = []
        for release in filterset.qs.order_by("-requested_at", "-id").iterator(chunk_size=AUDIT_CSV_BATCH):
            batch.append(release)
            if len(batch) == AUDIT_CSV_BATCH:
                yield from _audit_csv_rows(batch, now)
                batch = []
        yield from _audit_csv_rows(batch, now)

    return csv_response(rows(), header=AUDIT_CSV_HEADER, filename="door-releases.csv")


def _audit_csv_rows(releases: list[DoorRelease], now):
    """CSV rows of a batch of releases, their states decided together (two queries a batch)."""
    states = release_states(releases, now)
    yes, no = pgettext("door opened", "yes"), pgettext("door opened", "no")
    for r in releases:
        state = states[r.pk]
        local = timezone.localtime(r.requested_at, r.building.tz)
        yield [
            local.isoformat(timespec="seconds"),
            r.building.time_zone,
            r.building.name,
            r.door.name,
            r.requested_by.email if r.requested_by else "",
            r.requested_by_role,
            r.reason,
            r.for_label,
            r.get_status_display(),
            error_words(r),
            yes if state.confirmed else no,
            state.label,
            r.device.name if r.device else "",
            r.device_doors,
        ]


# --- visitor calls: the incoming-call panel (static/dashboard/calls.js) ----------------------------


@login_required
@require_GET
def calls_ringing_now(request: HttpRequest) -> JsonResponse:
    """The calls ringing for this person now, for a page that opens during a call (the live events
    only tell pages that were open when it started)."""
    response = JsonResponse({"calls": calls_ringing(request_grants(request))})
    response["Cache-Control"] = "private, no-store"
    return response


def _call_or_404(request: HttpRequest, call_id: int) -> CallRecord:
    try:
        return call_for(grants=request_grants(request), call_id=call_id)
    except CallRecord.DoesNotExist:
        raise Http404(_("No such call")) from None


def _call_answer(request: HttpRequest, ok: bool, message: str, status: int = 200, retry_after=None) -> HttpResponse:
    """JSON for the panel's script; a redirect with the message for a plain form post."""
    if "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse({"ok": ok, "message": message}, status=status)
    else:
        messages.add_message(request, messages.SUCCESS if ok else messages.WARNING, message)
        response = redirect("home")
    if retry_after:
        response["Retry-After"] = f"{retry_after:.0f}"
    return response


@transaction.non_atomic_requests  # the call is taken, and the audit row committed, before ButterflyMX is called
@csrf_or_action_token  # the panel's button (CSRF), or the push notification's (its one-use action token)
@login_required
@require_POST
def call_open(request: HttpRequest, call_id: int) -> HttpResponse:
    """ "Open door" on an incoming call: the panel's door, released once for this person."""
    call = _call_or_404(request, call_id)
    try:
        release = call_open_door(user=request.user, call=call)
    except CallRefused as refused:
        return _call_answer(request, False, str(refused), refused.status, refused.retry_after)
    if release.status == DoorRelease.Status.UNKNOWN:
        text = _("%(door)s: %(error)s") % {"door": release.door.name, "error": error_words(release)}
        return _call_answer(request, False, text, 504)
    return _call_answer(request, True, _("%(door)s released.") % {"door": release.door.name})


@csrf_or_action_token  # the panel's button (CSRF), or the push notification's (its one-use action token)
@login_required
@require_POST
def call_decline_view(request: HttpRequest, call_id: int) -> HttpResponse:
    """ "Decline": the call's panel closes for every member of the unit (or the whole desk)."""
    call = _call_or_404(request, call_id)
    try:
        call_decline(user=request.user, call=call)
    except CallRefused as refused:
        return _call_answer(request, False, str(refused), refused.status)
    return _call_answer(request, True, _("Call declined."))
