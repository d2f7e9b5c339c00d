"""A building's units and access groups (managers only; staff and everyone else get a 404).

Every view that calls ButterflyMX is ``non_atomic_requests``, like the tenants app's other ButterflyMX
views: a token refresh must be committed at once, and no transaction stays open across a slow call.
Changes are POSTs with CSRF; the middleware already holds managers to two-factor authentication.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.butterflymx import BmxError

from ..limits import LimitReached
from ..models import Building, Role, Unit
from ..scope import get_building_or_404, request_grants
from . import services
from .forms import MemberForm, UnitForm


def _building(request: HttpRequest, pk: int) -> Building:
    return get_building_or_404(request_grants(request), pk, Role.MANAGER)


def _unit_or_404(building: Building, unit_pk: int) -> Unit:
    unit = get_object_or_404(Unit, pk=unit_pk, building=building, is_active=True, bmx_id__isnull=False)
    unit.building = building  # the scoped row, with its admin link
    return unit


# --- Units -------------------------------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
@transaction.non_atomic_requests
def units(request: HttpRequest, pk: int) -> HttpResponse:
    """The building's units, the form that adds one, and each unit's rename and remove."""
    building = _building(request, pk)
    form = UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_create(building=building, actor=request.user, **form.cleaned_data)
        except services.SetupError as refused:
            form.add_error(refused.field, refused.message)
        except LimitReached as limited:
            form.add_error(None, limited.message)
        else:
            messages.success(request, _("Unit %(label)s added at ButterflyMX.") % {"label": unit.label})
            return redirect("tenants:building_units", pk=building.pk)
    rows = services.units_of(building)
    context = {
        "building": building,
        "connected": services.is_connected(building),
        "form": form,
        "rows": [
            (row, UnitForm(initial={"label": row.unit.label, "floor": row.unit.floor}, prefix_id=str(row.unit.pk)))
            for row in rows
        ],
    }
    return render(request, "tenants/units.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
@transaction.non_atomic_requests
def unit_change(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    building = _building(request, pk)
    unit = _unit_or_404(building, unit_pk)
    form = UnitForm(request.POST)
    if not form.is_valid():
        problems = " ".join(str(e) for errors in form.errors.values() for e in errors)
        messages.error(
            request, _("Unit %(label)s was not changed: %(problems)s") % {"label": unit.label, "problems": problems}
        )
        return redirect("tenants:building_units", pk=building.pk)
    before = unit.label
    if (unit.label, unit.floor) == (form.cleaned_data["label"], form.cleaned_data["floor"]):
        messages.info(
            request, _("Unit %(label)s already has that label and floor: nothing to change.") % {"label": before}
        )
        return redirect("tenants:building_units", pk=building.pk)
    try:
        unit = services.unit_update(unit=unit, actor=request.user, **form.cleaned_data)
    except (services.SetupError, LimitReached) as refused:
        messages.error(
            request, _("Unit %(label)s was not changed: %(why)s") % {"label": before, "why": refused.message}
        )
    else:
        messages.success(request, _("Unit %(label)s saved at ButterflyMX.") % {"label": unit.label})
    return redirect("tenants:building_units", pk=building.pk)


@login_required
@require_POST
@transaction.non_atomic_requests
def unit_remove(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    building = _building(request, pk)
    unit = _unit_or_404(building, unit_pk)
    try:
        services.unit_remove(unit=unit, actor=request.user)
    except (services.SetupError, LimitReached) as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Unit %(label)s removed at ButterflyMX.") % {"label": unit.label})
    return redirect("tenants:building_units", pk=building.pk)


# --- Access groups -------------------------------------------------------------------------------------


@login_required
@never_cache
@require_GET
@transaction.non_atomic_requests
def access_groups(request: HttpRequest, pk: int) -> HttpResponse:
    """The building's access groups, read from ButterflyMX now."""
    building = _building(request, pk)
    groups, error = [], ""
    try:
        groups = services.groups_of(building)
    except services.SetupError as refused:
        error = refused.message
    except BmxError as exc:
        error = _("ButterflyMX could not be read: %(why)s") % {"why": exc.human_message}
    context = {"building": building, "groups": groups, "error": error}
    return render(request, "tenants/access_groups.html", context)


def _group_or_404(building: Building, group_id: int) -> services.Group:
    try:
        return services.group_of(building, group_id)
    except (services.GroupNotFound, services.SetupError):
        raise Http404(_("No such access group")) from None


@login_required
@never_cache
@require_GET
@transaction.non_atomic_requests
def access_group(request: HttpRequest, pk: int, group_id: int) -> HttpResponse:
    """One access group: its tenants and units, and the forms that put them in or out."""
    building = _building(request, pk)
    try:
        group = _group_or_404(building, group_id)
    except BmxError as exc:
        messages.error(request, _("ButterflyMX could not be read: %(why)s") % {"why": exc.human_message})
        return redirect("tenants:access_groups", pk=building.pk)
    context = {"building": building, "group": group, "choices": services.member_choices(building, group)}
    return render(request, "tenants/access_group.html", context)


@login_required
@require_POST
@transaction.non_atomic_requests
def access_group_members(request: HttpRequest, pk: int, group_id: int) -> HttpResponse:
    """Put a tenant or a unit in or out of the group; the residents' doors follow (see the service)."""
    building = _building(request, pk)
    form = MemberForm(request.POST)
    back = redirect("tenants:access_group", pk=building.pk, group_id=group_id)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return back
    add = form.cleaned_data["action"] == "add"
    try:
        done = services.group_members_change(
            building=building,
            group_id=group_id,
            kind=form.cleaned_data["kind"],
            bmx_id=form.cleaned_data["member"],
            add=add,
            actor=request.user,
        )
    except services.GroupNotFound:
        raise Http404(_("No such access group")) from None
    except (services.SetupError, LimitReached) as refused:
        messages.error(request, refused.message)
        # without a working admin link no group page can be shown: back to the list, which says why
        return back if services.is_connected(building) else redirect("tenants:access_groups", pk=building.pk)
    except BmxError as exc:
        messages.error(request, _("Nothing was changed: %(why)s") % {"why": exc.human_message})
        return back
    text = _("%(name)s added at ButterflyMX.") if add else _("%(name)s removed at ButterflyMX.")
    messages.success(request, text % {"name": done.name})
    if done.doors_refreshed:
        messages.info(
            request,
            ngettext(
                "The doors of %(n)s resident with a portal account were updated.",
                "The doors of %(n)s residents with a portal account were updated.",
                done.doors_refreshed,
            )
            % {"n": done.doors_refreshed},
        )
    if done.doors_unread:
        messages.warning(
            request,
            _("Some residents' doors could not be re-read from ButterflyMX now; the next roster sync updates them."),
        )
    return back
