"""The navigation bar, by role. Each app adds its entry here when it has pages to show.

An entry is shown when the person holds at least one of its roles in some building (``None``: every
signed-in person). Roles are looked up once per request.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from tenants.models import Role


@dataclass(frozen=True)
class NavItem:
    label: str | Promise  # translated when the menu is rendered, in the reader's language
    url_name: str
    icon: str
    roles: tuple[str, ...] | None = None


NAV_ITEMS: list[NavItem] = [
    NavItem(pgettext_lazy("navigation", "Home"), "home", "house"),
    NavItem(
        pgettext_lazy("navigation", "Passes"),
        "passes:list",
        "ticket-perforated",
        (Role.RESIDENT, Role.STAFF, Role.MANAGER),
    ),
    NavItem(pgettext_lazy("navigation", "My doors"), "dashboard:my_doors", "key", (Role.RESIDENT,)),
    NavItem(pgettext_lazy("navigation", "Door board"), "dashboard:index", "door-open", (Role.STAFF, Role.MANAGER)),
    NavItem(pgettext_lazy("navigation", "Logs"), "logs:list", "journal-text"),
    NavItem(pgettext_lazy("navigation", "Buildings"), "tenants:buildings", "buildings", (Role.MANAGER,)),
    NavItem(pgettext_lazy("navigation", "Release audit"), "dashboard:audit", "clipboard-check", (Role.MANAGER,)),
]


def items_for(user, roles: set[Role]) -> list[dict]:
    shown = []
    for item in NAV_ITEMS:
        if item.roles is not None and not roles.intersection(item.roles):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:  # an app whose URLs are not mounted in this configuration
            continue
        shown.append({"label": item.label, "url": url, "icon": item.icon, "url_name": item.url_name})
    return shown
