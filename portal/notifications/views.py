"""The person's notification settings, the opt-in, and the service worker.

The Notifications page is the one place for every notification setting: devices, channels per category
(``arrival``'s are also the default of new passes' "tell me when a visitor uses this pass"), quiet hours,
mute, and for managers which alerts they get at each of their buildings (``portal.alerts``' choices, saved
with the same form; this view is an entry point, so it may use that cross-app package).

Everything here is the signed-in person's own: devices and preferences are looked up by ``user=``, alert
choices only for buildings the person manages, and another person's device is a 404. The service worker
is one public script.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST, require_safe

from portal.alerts.forms import alert_choices_from
from portal.alerts.selectors import alert_choice_rows, alert_choices, managed_buildings, recent_incidents
from portal.alerts.services import alert_choices_set
from tenants.scope import request_grants, request_roles
from tenants.selectors import in_do_not_disturb

from . import services
from .action_tokens import csrf_or_action_token
from .categories import categories_for
from .devices import device_label
from .forms import PreferencesForm, SubscriptionForm
from .models import PushSubscription
from .preferences import preference_of, zone_of
from .webpush import webpush_enabled


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """``/sw.js``: at the root so its scope is the whole portal (a worker's default scope is its own
    folder). A script file, no inline code: the page's CSP does not have to allow anything new."""
    response = HttpResponse(render_to_string("notifications/sw.js"), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # browsers then check for a changed worker at every visit
    response["Service-Worker-Allowed"] = "/"
    return response


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    preference = preference_of(user)
    categories = categories_for({str(role) for role in request_roles(request).values()})
    managed = managed_buildings(request_grants(request))
    if request.method == "POST":
        form = PreferencesForm(request.POST, categories=categories, preference=preference)
        # Boxes of buildings the person does not manage are ignored, never stored.
        chosen_alerts = alert_choices_from(request.POST, managed)
        if form.is_valid():
            with transaction.atomic():
                alert_choices_set(user=user, choices=chosen_alerts)
                services.preferences_save(
                    user=user,
                    channels=form.channels(),
                    quiet_enabled=form.cleaned_data["quiet_enabled"],
                    quiet_start=form.cleaned_data["quiet_start"],
                    quiet_end=form.cleaned_data["quiet_end"],
                    quiet_allowed=form.quiet_allowed(list(preference.quiet_allowed or [])),
                )
            messages.success(request, gettext("Your notification settings are saved."))
            return redirect("notifications:settings")
    else:
        form = PreferencesForm(categories=categories, preference=preference)
        chosen_alerts = alert_choices(user, managed)
    context = {
        "form": form,
        "preference": preference,
        "devices": PushSubscription.objects.filter(user=user),
        "webpush_enabled": webpush_enabled(),
        "vapid_public_key": settings.WEBPUSH_VAPID_PUBLIC_KEY,
        "snoozed": bool(preference.snoozed_until and preference.snoozed_until > timezone.now()),
        "zone": zone_of(user),
        "do_not_disturb": bool(in_do_not_disturb([user.pk])),
        "alert_rows": alert_choice_rows(chosen_alerts, managed),
        "incidents": recent_incidents(managed) if managed else [],
    }
    return render(request, "notifications/settings.html", context)


@login_required
@require_POST
def subscribe(request: HttpRequest) -> JsonResponse:
    """The page's script sends this browser's ``PushSubscription`` (CSRF header from the page)."""
    form = SubscriptionForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"detail": gettext("This browser sent a subscription the portal cannot read.")}, status=400)
    try:
        subscription = services.subscription_save(
            user=request.user, label=device_label(request.headers.get("User-Agent", "")), **form.cleaned_data
        )
    except services.SubscriptionRefused as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    services.this_device_remember(request.session, subscription)  # signing out here ends it
    return JsonResponse({"id": subscription.pk, "label": subscription.label}, status=201)


@login_required
@require_POST
def device_remove(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.subscription_remove(user=request.user, pk=pk):
        raise Http404
    messages.success(request, gettext("That device no longer gets notifications."))
    return redirect("notifications:settings")


@csrf_or_action_token  # a notification's "Mute for an hour" button, or the settings page's form
@login_required
@require_POST
def snooze(request: HttpRequest) -> HttpResponse:
    minutes = 0 if request.POST.get("minutes") == "0" else 60
    with transaction.atomic():
        if minutes:
            services.snooze(user=request.user, minutes=minutes)
        else:
            services.snooze_end(user=request.user)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"snoozed_minutes": minutes})
    messages.success(request, gettext("Muted for an hour.") if minutes else gettext("Notifications are back on."))
    return redirect(reverse("notifications:settings"))
