"""Pages for access tools (PINs, fobs): the managers' page of a building, and a resident's own list.

Like every view that calls ButterflyMX these run outside the request's transaction
(``non_atomic_requests``): the audit row and the limit's claim commit before ButterflyMX is called, and
no transaction stays open across it. Scope: the managers' pages go through ``get_building_or_404`` with
the manager role; a resident acts only on tools ButterflyMX lists under their own tenant id. Anything
else is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.butterflymx import BmxError

from . import access_tools
from .access_tool_forms import AccessToolFilterForm, FobForm
from .limits import LimitReached
from .models import Building, Role
from .profile import active_residency
from .scope import get_building_or_404, request_grants

MAX_ID = 2**63 - 1  # ButterflyMX ids are integers; a longer number is no tool of anyone's


def _page_url(building: Building, tenant: str | None = None) -> str:
    url = reverse("tenants:access_tools", args=[building.pk])
    return f"{url}?tenant={tenant}" if tenant and tenant.isdigit() else url


def _page(request: HttpRequest, building: Building, fob_form: FobForm | None = None, status: int = 200) -> HttpResponse:
    filters = AccessToolFilterForm(building, request.GET or None)
    tenant_id, item_type = None, None
    if filters.is_bound and filters.is_valid():
        tenant_id, item_type = filters.cleaned_data["tenant"], filters.cleaned_data["type"] or None
    elif filters.is_bound:  # a tenant not of this building, a kind that does not exist: no filter at all
        filters = AccessToolFilterForm(building)
    tools, error = [], ""
    try:
        tools = access_tools.building_tools(building=building, tenant_id=tenant_id, item_type=item_type)
    except access_tools.AccessToolError as exc:
        error = exc.message
    except BmxError as exc:
        error = _("ButterflyMX did not answer: %(why)s") % {"why": exc.human_message}
    if fob_form is None:
        initial = {}
        if tenant_id is not None:
            initial["tenant"] = building.tenant_records.filter(bmx_id=tenant_id, is_active=True).first()
        fob_form = FobForm(building, initial=initial)
    context = {
        "building": building,
        "filters": filters,
        "tenant_id": tenant_id,
        "tools": tools,
        "error": error,
        "fob_form": fob_form,
        "changes": access_tools.changes_of(building),
    }
    return render(request, "tenants/access_tools.html", context, status=status)


@login_required
@never_cache
@require_GET
@transaction.non_atomic_requests
def building_access_tools(request: HttpRequest, pk: int) -> HttpResponse:
    """The building's PINs and fobs (codes masked), the filters, "Add a fob" and the audit list."""
    building = get_building_or_404(request_grants(request), pk, Role.MANAGER)
    return _page(request, building)


@login_required
@require_POST
@transaction.non_atomic_requests
def access_tool_revoke(request: HttpRequest, pk: int, tool_id: int) -> HttpResponse:
    building = get_building_or_404(request_grants(request), pk, Role.MANAGER)
    if tool_id > MAX_ID:
        raise Http404
    try:
        change = access_tools.tool_revoke_by_manager(actor=request.user, building=building, tool_id=tool_id)
    except access_tools.ToolNotFound:
        raise Http404 from None
    except (access_tools.AccessToolError, LimitReached) as exc:
        messages.error(request, str(exc))
    except BmxError as exc:
        messages.error(request, _("Nothing was revoked: %(why)s") % {"why": exc.human_message})
    else:
        messages.success(
            request,
            _("%(tool)s of %(tenant)s revoked: it no longer opens any door.")
            % {"tool": access_tools.type_label(change.tool_type), "tenant": change.tenant_label},
        )
    return redirect(_page_url(building, request.POST.get("tenant")))


@login_required
@require_POST
@transaction.non_atomic_requests
def fob_add(request: HttpRequest, pk: int) -> HttpResponse:
    building = get_building_or_404(request_grants(request), pk, Role.MANAGER)
    form = FobForm(building, request.POST)
    if form.is_valid():
        tenant = form.cleaned_data["tenant"]
        try:
            change = access_tools.fob_add(
                actor=request.user, building=building, tenant=tenant, identifier=form.cleaned_data["identifier"]
            )
        except access_tools.ToolNotFound:
            raise Http404 from None
        except access_tools.AccessToolError as exc:
            if exc.field:
                form.add_error(exc.field, exc.message)
            else:
                messages.error(request, exc.message)
                return redirect(_page_url(building, str(tenant.bmx_id)))
        except LimitReached as exc:
            messages.error(request, exc.message)
            return redirect(_page_url(building, str(tenant.bmx_id)))
        else:
            messages.success(
                request,
                _("Fob ••••%(hint)s added for %(tenant)s: it opens their doors now.")
                % {"hint": change.code_hint, "tenant": change.tenant_label},
            )
            return redirect(_page_url(building, str(tenant.bmx_id)))
    return _page(request, building, fob_form=form, status=400)


# --- A resident's own ----------------------------------------------------------------------------


@login_required
@never_cache
@require_GET
@transaction.non_atomic_requests
def my_access_tools(request: HttpRequest) -> HttpResponse:
    """The profile's "PINs and fobs" card (an htmx fragment): the resident's own tools, masked."""
    residency = active_residency(request.user)
    if residency is None:
        raise Http404
    tools, error = [], ""
    try:
        tools = access_tools.resident_tools(residency=residency)
    except access_tools.AccessToolError as exc:
        error = exc.message
    except BmxError as exc:
        error = _("ButterflyMX did not answer: %(why)s") % {"why": exc.human_message}
    return render(request, "tenants/_access_tools_own.html", {"tools": tools, "error": error})


@login_required
@require_POST
@transaction.non_atomic_requests
def my_access_tool_revoke(request: HttpRequest, tool_id: int) -> HttpResponse:
    residency = active_residency(request.user)
    if residency is None or tool_id > MAX_ID:
        raise Http404
    try:
        change = access_tools.tool_revoke_own(residency=residency, tool_id=tool_id)
    except access_tools.ToolNotFound:
        raise Http404 from None
    except (access_tools.AccessToolError, LimitReached) as exc:
        messages.error(request, str(exc))
    except BmxError as exc:
        messages.error(request, _("Nothing was revoked: %(why)s") % {"why": exc.human_message})
    else:
        text = _("Your %(tool)s is revoked: it no longer opens any door.") % {
            "tool": access_tools.type_noun(change.tool_type)
        }
        if change.tool_type == "pin":
            text += " " + _("Set a new PIN below when you need one.")
        messages.success(request, text)
    return redirect("tenants:profile")
