"""The notice categories this package sends, and what a manager gets when they chose nothing."""

from __future__ import annotations

ARRIVAL = "arrival"
RELEASE = "alert.release"
REFUSED = "alert.refused"
WEBHOOKS = "alert.webhooks"
RELINK = "alert.relink"

# Manager alerts: (category, label, what it means, on unless the manager turned it off). A release by the
# front desk is routine at a staffed building (dozens a day), so it is off until asked for; the others
# are rare and each needs someone to act.
MANAGER_ALERTS = (
    (RELEASE, "Door released by staff", "A staff member or another manager released a door from the portal.", False),
    (REFUSED, "Refused credentials", "Several refused PINs, codes or fobs at one door within minutes.", True),
    (WEBHOOKS, "Webhooks gone quiet", "ButterflyMX stopped announcing entries; they arrive by polling only.", True),
    (RELINK, "Link needs re-linking", "ButterflyMX refused the building-admin link: nothing syncs meanwhile.", True),
)
MANAGER_CATEGORIES = tuple(c for c, *_ in MANAGER_ALERTS)
DEFAULT_ON = {c: on for c, _label, _help, on in MANAGER_ALERTS}
LABELS = {c: label for c, label, _help, _on in MANAGER_ALERTS}
