"""``/alerts/``, the old address of the alert settings: links in e-mails and bookmarks still lead there.

Every notification setting is on the person's Notifications page (``/profile/notifications/``, rendered by
``portal.notifications.views``): a manager's alerts per building are its "Alerts for your buildings"
section, which this address now opens.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_safe

SECTION = "building-alerts"  # the id of the section on the Notifications page


@login_required
@require_safe
def alert_settings(request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse('notifications:settings')}#{SECTION}")
