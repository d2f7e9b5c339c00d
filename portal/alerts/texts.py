"""What an alert incident says, in the language of whoever reads it.

An incident keeps the facts behind its words (``AlertIncident.facts``: the building's and door's names,
a count, an instant and the building's zone), not only sentences in one language: the notice to each
manager (made in their language, portal.notifications.services.notify) and the Notifications page (in
the reader's) both say it from here. Names are data and stay as ButterflyMX and the portal store them.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext

from .categories import REFUSED, RELINK, WEBHOOKS


def _time(facts: dict) -> str:
    """The instant in ``facts`` as a time of day at the building, in the reader's format ("14:21", "14 h 21")."""
    local = timezone.localtime(dt.datetime.fromisoformat(facts["at"]), ZoneInfo(facts["zone"]))
    return formats.time_format(local, "TIME_FORMAT")


def _door(facts: dict) -> str:
    return facts.get("door") or gettext("door %(number)s") % {"number": facts.get("door_bmx_id", "?")}


def incident_title(category: str, facts: dict) -> str:
    if category == REFUSED:
        count = facts["count"]
        return ngettext(
            "%(count)d refused credential at %(door)s", "%(count)d refused credentials at %(door)s", count
        ) % {"count": count, "door": _door(facts)}
    if category == WEBHOOKS:
        if facts.get("state") == "not_arriving":
            return gettext("%(building)s: webhooks not arriving") % facts
        return gettext("%(building)s: webhooks gone quiet") % facts
    if category == RELINK:
        return gettext("%(building)s: the ButterflyMX link needs re-linking") % facts
    raise ValueError(f"no incident texts for {category!r}")


def incident_detail(category: str, facts: dict) -> str:
    if category == REFUSED:
        count = facts["count"]
        return ngettext(
            "%(building)s: %(count)d refused at %(door)s within %(minutes)d min, the last at %(time)s.",
            "%(building)s: %(count)d refused at %(door)s within %(minutes)d min, the last at %(time)s.",
            count,
        ) % {**facts, "door": _door(facts), "time": _time(facts)}
    if category == WEBHOOKS:
        missed = facts.get("missed", 0)
        if facts.get("state") == "not_arriving":
            return ngettext(
                "%(count)d new entry since registration came by polling, but no webhook arrived: ButterflyMX "
                "cannot reach the webhook address (wrong port or address, firewall?). Live updates wait for "
                "the next poll.",
                "%(count)d new entries since registration came by polling, but no webhook arrived: ButterflyMX "
                "cannot reach the webhook address (wrong port or address, firewall?). Live updates wait for "
                "the next poll.",
                missed,
            ) % {"count": missed}
        return ngettext(
            "Webhooks have gone quiet: %(count)d new entry since the last webhook came by polling only. Live "
            "updates wait for the next poll.",
            "Webhooks have gone quiet: %(count)d new entries since the last webhook came by polling only. Live "
            "updates wait for the next poll.",
            missed,
        ) % {"count": missed}
    if category == RELINK:
        return (
            gettext(
                "ButterflyMX refused the building-admin link of %(person)s: the logs, the roster and releases "
                "from the portal stop until someone links the account again."
            )
            % facts
        )
    raise ValueError(f"no incident texts for {category!r}")
