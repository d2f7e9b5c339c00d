"""Answering a visitor call from its panel: "Open door" and "Decline".

"Open door" releases the door of the panel that placed the call, for the person who clicked, through
the one release service (:func:`portal.dashboard.services.door_release`: scope, limits, cooldown,
audit, one ``POST /v4/door_release_requests``). Before that, the call is *taken* by a conditional
UPDATE (:func:`logs.calls.call_answer_claim`): a double click, a retried POST, or the resident's
flatmate clicking at the same moment find it taken, so a call opens its door at most once. When the
release is not sent (a limit, no link) or ButterflyMX refuses it, the call is given back and rings on.

Once the door is released, the intercom is told the call was handled where the contract allows
(:func:`logs.calls.call_answered`: v3 ``POST /v3/notifications/open_door``, by a task after commit).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from logs.calls import call_answer_claim, call_answer_give_back, call_answered, call_declined, calls_answerable
from logs.models import CallRecord, RingState
from tenants.models import AccessPoint
from tenants.scope import Grants

from .confirmation import error_words
from .models import DoorRelease
from .services import ReleaseRefused, door_release


@dataclass
class CallRefused(Exception):
    """Nothing was released. ``status`` is the HTTP status a view answers with."""

    message: str
    status: int = 409
    retry_after: float | None = None

    def __str__(self) -> str:
        return self.message


def call_for(*, grants: Grants, call_id: int) -> CallRecord:
    """The call ``call_id`` if the person may take it (``CallRecord.DoesNotExist`` otherwise: a 404)."""
    return calls_answerable(grants).select_related("building", "device", "handled_by").get(pk=call_id)


def panel_door(call: CallRecord) -> AccessPoint | None:
    """The door the calling panel opens (the first of its doors, as ButterflyMX lists a device's)."""
    if call.device is None:
        return None
    return call.device.access_points.filter(is_active=True).order_by("pk").first()


def _not_ringing(call: CallRecord) -> CallRefused:
    call.refresh_from_db(fields=["ring_state", "handled_by"])
    if call.ring_state == RingState.ANSWERED and call.handled_by is not None:
        text = _("%(person)s already opened the door for this call.") % {"person": call.handled_by.display_name}
        return CallRefused(text, 409)
    if call.ring_state == RingState.DECLINED:
        return CallRefused(_("This call was declined."), 409)
    return CallRefused(_("This call is no longer ringing."), 409)


def call_open_door(*, user, call: CallRecord) -> DoorRelease:
    """Release the calling panel's door once for ``user`` and close the call's panels everywhere.

    Returns the release (succeeded, or unknown when ButterflyMX did not answer: then the door may be
    open and the call stays taken, so nobody releases it a second time). Raises :class:`CallRefused`.
    """
    door = panel_door(call)
    if door is None:
        raise CallRefused(_("ButterflyMX did not say which door this panel opens; open it from your doors."), 409)
    if not call_answer_claim(call=call, user=user):
        raise _not_ringing(call)
    try:
        release = door_release(user=user, door_id=door.pk)
    except AccessPoint.DoesNotExist:
        call_answer_give_back(call=call, user=user)
        raise CallRefused(
            _("You are not assigned %(door)s, the door of this panel.") % {"door": door.name}, 403
        ) from None
    except ReleaseRefused as refused:
        call_answer_give_back(call=call, user=user)
        raise CallRefused(str(refused), refused.status, refused.retry_after) from None
    if release.status == DoorRelease.Status.FAILED:
        call_answer_give_back(call=call, user=user)  # ButterflyMX said no: nothing opened
        text = _("%(door)s was not released: %(error)s") % {"door": door.name, "error": error_words(release)}
        raise CallRefused(text, 502)
    call_answered(call=call, user=user)
    return release


def call_decline(*, user, call: CallRecord) -> None:
    """Dismiss the call for every member of the unit (or the whole desk). Raises :class:`CallRefused`
    when it no longer rings."""
    if not call_declined(call=call, user=user):
        raise _not_ringing(call)
