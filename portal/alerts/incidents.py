"""Manager alerts that last: opened once per incident, told once, closed when over.

- **Refused credentials** (``alert.refused``): ``ALERTS_REFUSED_COUNT`` refusals within
  ``ALERTS_REFUSED_WINDOW_S`` at one door open an incident; further refusals keep it open (no more
  notices); it closes once a window passes without one, and the next burst is a new incident. A refusal
  is an access-log entry with ``release_status`` "Locked" that is not an open-hours schedule event (the
  portal's home page reads such entries as "was refused at" too). ButterflyMX documents no entry for a
  refused credential (contract §4.10 shows "Locked" only on schedule events, and the sandbox writes none
  for a refused PIN), so this alert fires only if a panel reports refusals in the log that way.
- **Webhooks gone quiet** (``alert.webhooks``): the building's webhook health (``logs.health``) is
  "gone quiet" or "not arriving": entries keep coming by polling while no delivery announces them.
- **Link needs re-linking** (``alert.relink``): the building's building-admin link was refused
  (``BmxLink.Status.NEEDS_RELINK``).

The claim is :class:`~portal.alerts.models.AlertIncident`'s partial unique constraint (one open incident
per building, category and subject): whoever inserts it tells; a scan running twice, or a racing worker,
finds it open and only notes that it is still going.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone, translation

from logs.health import webhook_health
from logs.models import AccessLogEntry, ReleaseMethod, WebhookEndpoint
from portal.notifications.notices import Notice
from portal.notifications.services import notify
from tenants.models import BmxLink, Building

from .arrivals import arrival_claims_prune
from .categories import REFUSED, RELINK, WEBHOOKS
from .models import AlertIncident
from .selectors import managers_wanting
from .texts import incident_detail, incident_title

logger = logging.getLogger(__name__)

# A refused credential in the log: locked, and not the open-hours schedule locking the door.
REFUSAL = Q(release_status="Locked") & ~Q(release_method=ReleaseMethod.SCHEDULE)
WEBHOOK_TROUBLE = ("quiet", "not_arriving")


def incident_notice(category: str, facts: dict, url: str, tag: str) -> Notice:
    """The notice of an incident, in the active language (notify() makes one per recipients' language)."""
    return Notice(
        category=category,
        title=incident_title(category, facts),
        body=incident_detail(category, facts),
        url=url,
        tag=tag,
    )


def incident_open(*, building: Building, category: str, subject: str, facts: dict, url: str) -> bool:
    """Open the incident and tell the building's managers who want ``category``; if one is open already,
    only note it is still going. True when this call opened (and told) it. ``facts`` are what its words
    are made from (portal/alerts/texts.py), JSON: names, counts, ISO instants."""
    now = timezone.now()
    facts = {"building": building.name, **facts}
    with translation.override(settings.LANGUAGE_CODE):  # the stored copy, for the admin
        title, detail = incident_title(category, facts), incident_detail(category, facts)
    try:
        with transaction.atomic():
            incident = AlertIncident.objects.create(
                building=building,
                category=category,
                subject=subject,
                title=title[:200],
                detail=detail,
                facts=facts,
                url=url,
                last_seen_at=now,
            )
    except IntegrityError:
        AlertIncident.objects.filter(
            building=building, category=category, subject=subject, closed_at__isnull=True
        ).update(last_seen_at=now)
        return False
    users = managers_wanting(building.pk, category)
    AlertIncident.objects.filter(pk=incident.pk).update(told=users)
    notify(users, partial(incident_notice, category, facts, url, f"{category}-{incident.pk}"))
    logger.info("alert %s opened at building %s (%s), told %d", category, building.pk, subject, len(users))
    return True


def incidents_close(*, building_id: int | None = None, category: str, subject: str | None = None, **filters) -> int:
    """Close the matching open incidents (the condition is over). Returns how many."""
    open_ = AlertIncident.objects.filter(category=category, closed_at__isnull=True, **filters)
    if building_id is not None:
        open_ = open_.filter(building_id=building_id)
    if subject is not None:
        open_ = open_.filter(subject=subject)
    return open_.update(closed_at=timezone.now())


# --- refused credentials -----------------------------------------------------------------------------


def refusals_check(*, building_id: int, remote_ids: list[int]) -> int:
    """After the sync stored entries: open a burst incident for each door whose refusals reached the
    threshold within the window ending at its newest refusal. Returns how many were opened."""
    if not remote_ids:
        return 0
    doors = set(
        AccessLogEntry.objects.filter(REFUSAL, building_id=building_id, remote_id__in=remote_ids)
        .exclude(door_bmx_id=None)
        .values_list("door_bmx_id", flat=True)
    )
    opened = 0
    window = dt.timedelta(seconds=settings.ALERTS_REFUSED_WINDOW_S)
    for door_bmx_id in sorted(doors):
        at_door = AccessLogEntry.objects.filter(REFUSAL, building_id=building_id, door_bmx_id=door_bmx_id)
        newest = at_door.aggregate(newest=Max("logged_at"))["newest"]
        burst = at_door.filter(logged_at__gte=newest - window, logged_at__lte=newest)
        count = burst.aggregate(n=Count("id"))["n"]
        if count < settings.ALERTS_REFUSED_COUNT:
            continue
        sample = burst.select_related("door", "building").order_by("-logged_at").first()
        if sample is None:  # pruned meanwhile
            continue
        building = sample.building
        query = f"?building={building.pk}&status=Locked" + (f"&door={sample.door_id}" if sample.door_id else "")
        opened += incident_open(
            building=building,
            category=REFUSED,
            subject=f"door:{door_bmx_id}",
            facts={
                "door": sample.door.name if sample.door is not None else "",
                "door_bmx_id": door_bmx_id,
                "count": count,
                "minutes": window.seconds // 60,
                "at": newest.isoformat(),
                "zone": building.time_zone,
            },
            url=reverse("logs:list") + query,
        )
    return opened


def refusal_bursts_close(now: dt.datetime | None = None) -> int:
    """Close bursts with no refusal seen for a whole window: the next refusals make a new incident."""
    quiet_since = (now or timezone.now()) - dt.timedelta(seconds=settings.ALERTS_REFUSED_WINDOW_S)
    return incidents_close(category=REFUSED, last_seen_at__lt=quiet_since)


# --- webhooks and links (beat's scan) ------------------------------------------------------------------


def webhooks_scan() -> int:
    """Open an incident for each connected building whose webhooks went quiet; close the recovered."""
    endpoints = WebhookEndpoint.objects.filter(
        building__is_active=True, building__admin_link__isnull=False
    ).select_related("building")
    buildings = {e.building_id: e.building for e in endpoints}
    if not buildings:
        return 0
    opened = 0
    for building_id, health in webhook_health(list(buildings)).items():
        building = buildings[building_id]
        if health.state in WEBHOOK_TROUBLE:
            opened += incident_open(
                building=building,
                category=WEBHOOKS,
                subject="webhooks",
                facts={"state": health.state, "missed": health.missed},
                url=reverse("logs:health"),
            )
        else:
            incidents_close(building_id=building_id, category=WEBHOOKS, subject="webhooks")
    return opened


def links_scan() -> int:
    """Open an incident for each active building whose building-admin link needs re-linking; close the
    ones whose link works again (or was replaced)."""
    buildings = Building.objects.filter(is_active=True, admin_link__isnull=False).select_related("admin_link__user")
    opened = 0
    broken_subjects: dict[int, str] = {}
    for building in buildings:
        link = building.admin_link
        if link.status == BmxLink.Status.NEEDS_RELINK:
            subject = f"link:{link.pk}"
            broken_subjects[building.pk] = subject
            opened += incident_open(
                building=building,
                category=RELINK,
                subject=subject,
                facts={"person": link.user.display_name},
                url=reverse("tenants:building", args=[building.pk]),
            )
    for incident in AlertIncident.objects.filter(category=RELINK, closed_at__isnull=True):
        if broken_subjects.get(incident.building_id) != incident.subject:
            incidents_close(building_id=incident.building_id, category=RELINK, subject=incident.subject)
    return opened


def alerts_scan() -> dict[str, int]:
    """Beat's tick: what the logs' batches cannot tell (time passing, health, links)."""
    return {
        "refused_closed": refusal_bursts_close(),
        "webhooks_opened": webhooks_scan(),
        "relink_opened": links_scan(),
        "arrival_claims_pruned": arrival_claims_prune(),
    }
