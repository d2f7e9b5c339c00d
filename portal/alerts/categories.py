"""The notice categories this package sends, and what a manager gets at a building when they chose nothing.

Each category's name and meaning are ``portal.notifications``' (one list, which the Notifications page
shows with its channels); only the per-building default is this package's.
"""

from __future__ import annotations

from portal.notifications.categories import BY_KEY

ARRIVAL = "arrival"
RELEASE = "alert.release"
REFUSED = "alert.refused"
WEBHOOKS = "alert.webhooks"
RELINK = "alert.relink"

# Manager alerts at a building: on unless the manager turned it off there. A release by the front desk is
# routine at a staffed building (dozens a day), so it is off until asked for; the others are rare and
# each needs someone to act.
_ON_AT_A_BUILDING = ((RELEASE, False), (REFUSED, True), (WEBHOOKS, True), (RELINK, True))

# (category, label, what it means, on by default)
MANAGER_ALERTS = tuple((c, BY_KEY[c].label, BY_KEY[c].help, on) for c, on in _ON_AT_A_BUILDING)
MANAGER_CATEGORIES = tuple(c for c, *_ in MANAGER_ALERTS)
DEFAULT_ON = {c: on for c, _label, _help, on in MANAGER_ALERTS}
LABELS = {c: label for c, label, _help, _on in MANAGER_ALERTS}
