"""The kinds of notice a person can choose channels for, and what they get before choosing.

The open page always gets the live notice; these defaults are for the channels that reach a person
away from it. A visitor at the door and a guest who arrived are worth a push; alerts for managers also
come by e-mail, except staff releases (frequent, and already on the release audit).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

PUSH, EMAIL = "push", "email"
CHANNELS = (PUSH, EMAIL)


@dataclass(frozen=True)
class Category:
    key: str
    label: str | Promise  # lazy: read in the language of whoever sees it
    help: str | Promise
    push: bool
    email: bool
    roles: tuple[str, ...]  # whose settings page shows it: a role the person holds somewhere (tenants.models.Role)


R, S, M = "resident", "staff", "manager"
CATEGORIES: tuple[Category, ...] = (
    Category(
        "call",
        _("Visitor calls"),
        _("Someone calls your unit (or the front desk) from a door panel."),
        True,
        False,
        (R, S, M),
    ),
    Category(
        "arrival",
        _("Guest arrivals"),
        _("A visitor used one of your passes. New passes start with this choice; each pass can differ (on its page)."),
        True,
        False,
        (R,),
    ),
    Category(
        "alert.release",
        _("Doors released by staff"),
        _("A staff member or another manager released a door from the portal."),
        True,
        False,
        (M,),
    ),
    Category(
        "alert.refused",
        _("Refused credentials"),
        _("Several refused PINs, codes or fobs at one door within minutes."),
        True,
        True,
        (M,),
    ),
    Category(
        "alert.webhooks",
        _("Webhooks gone quiet"),
        _("ButterflyMX stopped announcing entries; they arrive by polling only."),
        False,
        True,
        (M,),
    ),
    Category(
        "alert.relink",
        _("Link needs re-linking"),
        _("ButterflyMX refused the building-admin link: nothing syncs meanwhile."),
        True,
        True,
        (M,),
    ),
)
BY_KEY = {category.key: category for category in CATEGORIES}

# Quiet hours hold back push and e-mail, except for the categories the person lets through: by default a
# visitor at the door still rings (a late delivery, a guest), which the person may turn off.
DEFAULT_QUIET_ALLOWED = ("call",)


def default_channels(key: str) -> set[str]:
    """The channels of a category nobody has chosen for; an unknown category is pushed only."""
    category = BY_KEY.get(key)
    if category is None:
        return {PUSH}
    return {channel for channel, on in ((PUSH, category.push), (EMAIL, category.email)) if on}


def categories_for(roles: set[str]) -> tuple[Category, ...]:
    """The categories a person with these roles receives (someone with no role yet: a resident's)."""
    roles = roles or {R}
    return tuple(category for category in CATEGORIES if roles.intersection(category.roles))
