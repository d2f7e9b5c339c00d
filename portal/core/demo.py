"""`make dev`'s demo, linked to the local sandbox: the demo buildings ARE the sandbox's buildings.

manager@demo.test is linked to the sandbox's building admin and the roster is synced; the residents
are linked to sandbox tenants with the password grant (a demo and script convenience ButterflyMX's
discovery advertises; people link through the OAuth page). Safe to run again.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db import transaction

from portal.building_connections import roster_sync_and_connect
from portal.butterflymx import BmxError, oauth
from portal.dashboard.models import FrontDesk
from portal.dashboard.services import front_desk_set
from tenants.models import BmxLink, Building, Membership, Role, RosterSync, TenantRecord
from tenants.services import NotABuildingAdmin, link_admin_connect, link_tenant_connect

logger = logging.getLogger(__name__)

SANDBOX_PASSWORD = "sandbox-pass"  # the sandbox's published demo password
# portal demo login -> (sandbox account, kind)
DEMO_LINKS = [
    ("manager@demo.test", "admin@sandbox.test", BmxLink.Kind.BUILDING_ADMIN),
    ("alice@demo.test", "resident@sandbox.test", BmxLink.Kind.TENANT),
    ("bob@demo.test", "neighbor@sandbox.test", BmxLink.Kind.TENANT),
    ("charlie@demo.test", "two-homes@sandbox.test", BmxLink.Kind.TENANT),
]
STAFF_EMAIL = "staff@demo.test"
STAFF_BUILDING_BMX_ID = 11743  # Crimson Tower
FRONT_DESK_TENANT_BMX_ID = 129214  # Crimson Tower's "Front Desk" tenant (unit Office): the board's default


def sandbox_reachable() -> bool:
    try:
        oauth.password_grant("nobody@sandbox.test", "x")
    except BmxError as exc:
        return not exc.transient  # a refusal means it answered
    return True


def demo_link_to_sandbox(placeholder_names: list[str]) -> bool:
    """Link the demo people and sync the roster. False when the sandbox does not answer (yet)."""
    User = get_user_model()
    try:
        for email, bmx_email, kind in DEMO_LINKS:
            user = User.objects.filter(email=email).first()
            if user is None or BmxLink.objects.filter(user=user, kind=kind, status=BmxLink.Status.ACTIVE).exists():
                continue
            tokens = oauth.password_grant(bmx_email, SANDBOX_PASSWORD)
            if kind == BmxLink.Kind.BUILDING_ADMIN:
                link = link_admin_connect(user=user, tokens=tokens)
                sync = RosterSync.objects.filter(link=link).first() or RosterSync.objects.create(link=link)
                roster_sync_and_connect(sync_id=sync.pk)
            else:
                link_tenant_connect(user=user, tokens=tokens)
    except BmxError as exc:
        if exc.transient:
            return False
        raise
    except NotABuildingAdmin:
        logger.warning("the sandbox's admin account administers no building; the demo stays unlinked")
        return True
    with transaction.atomic():
        manager = User.objects.get(email="manager@demo.test")
        for building in Building.objects.filter(admin_link__user=manager):
            Membership.objects.update_or_create(user=manager, building=building, defaults={"role": Role.MANAGER})
        staff = User.objects.filter(email=STAFF_EMAIL).first()
        crimson = Building.objects.filter(bmx_id=STAFF_BUILDING_BMX_ID).first()
        if staff and crimson:
            Membership.objects.update_or_create(user=staff, building=crimson, defaults={"role": Role.STAFF})
        desk = TenantRecord.objects.filter(building=crimson, bmx_id=FRONT_DESK_TENANT_BMX_ID).first()
        if crimson and desk and not FrontDesk.objects.filter(building=crimson).exists():
            front_desk_set(building=crimson, tenant=desk)
        # The placeholders stood in until the sandbox answered; the sandbox's buildings replace them.
        Building.objects.filter(bmx_id__isnull=True, name__in=placeholder_names).delete()
    return True
