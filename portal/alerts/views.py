"""The Alerts page (``/alerts/``): a resident's default for arrivals on new passes, a manager's choice of
alerts per building, and the managers' recent alerts with a link to the page that explains each."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tenants.models import Building, Role
from tenants.scope import request_grants

from .categories import MANAGER_ALERTS
from .forms import ArrivalDefaultForm, alert_choices_from, choice_field_name
from .models import AlertIncident
from .selectors import alert_choices, arrival_default
from .services import alert_choices_set, arrival_default_set

RECENT = 20


@login_required
@require_http_methods(["GET", "POST"])
def alert_settings(request: HttpRequest) -> HttpResponse:
    grants = request_grants(request)
    managed = list(Building.objects.restrict(grants, Role.MANAGER).order_by("name"))
    resident = bool(grants.units)
    if request.method == "POST":
        section = request.POST.get("section")
        if section == "arrivals" and resident:
            form = ArrivalDefaultForm(request.POST)
            form.is_valid()  # check boxes: always valid
            arrival_default_set(user=request.user, push=form.cleaned_data["push"], email=form.cleaned_data["email"])
            messages.success(request, "Saved: new passes start with this choice.")
        elif section == "alerts" and managed:
            alert_choices_set(user=request.user, choices=alert_choices_from(request.POST, managed))
            messages.success(request, "Saved: your alerts.")
        else:
            messages.error(request, "Nothing to save here.")
        return redirect("alerts:settings")
    push, email = arrival_default(request.user)
    chosen = alert_choices(request.user, managed)
    rows = [
        (b, [(c, label, why, choice_field_name(b.pk, c), chosen[(b.pk, c)]) for c, label, why, _on in MANAGER_ALERTS])
        for b in managed
    ]
    incidents = list(AlertIncident.objects.filter(building__in=managed).select_related("building")[:RECENT])
    context = {
        "resident": resident,
        "arrival_form": ArrivalDefaultForm(initial={"push": push, "email": email}),
        "rows": rows,
        "categories": MANAGER_ALERTS,
        "incidents": incidents,
    }
    return render(request, "alerts/settings.html", context)
