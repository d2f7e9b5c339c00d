"""A building connecting to the portal or leaving it: the roster (tenants) and the logs together.

A building is connected when a roster sync gives it a working building-admin link; it is disconnected
when that link is unlinked. Each touches two apps: ``tenants`` owns the link and the roster, ``logs``
the webhooks and the history backfill. ``tenants`` sits below ``logs`` (docs/architecture.md,
"Layers"), so neither calls the other about it: this module, above both, runs the one flow.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction

from logs.services import building_disconnected, tenant_disconnected
from portal.celery import send_task
from tenants.models import BmxLink, Building, RosterSync
from tenants.roster import roster_sync_run
from tenants.services import link_revoke

# Registers the webhooks and queues the first sync (the backfill) of a newly connected building.
BUILDING_CONNECTED_TASK = "logs.tasks.building_connected_task"
# Registers a resident's own webhooks and starts their own streams where no building-admin link exists.
TENANT_LINKED_TASK = "logs.tasks.tenant_linked_task"


def roster_sync_and_connect(*, sync_id: int) -> RosterSync:
    """Run a queued roster sync; each building it connects starts its logs once its link is committed.

    What ``tenants.tasks.roster_sync_task`` runs. The logs' part runs in a task of its own (webhook
    registration and the backfill talk to ButterflyMX), queued after commit so it sees the admin link.
    """
    return roster_sync_run(sync_id=sync_id, on_building_connected=building_connected)


def building_connected(building: Building) -> None:
    """``building`` just got a working admin link: its webhooks and history follow after commit."""
    transaction.on_commit(partial(send_task, BUILDING_CONNECTED_TASK, building.pk))


def resident_linked(link: BmxLink) -> None:
    """A resident linked their tenant account (``tenants.services.link_tenant_connect``): in buildings
    whose manager never connected, their own entries and calls are synced with their own token
    (logs.tenant_streams): webhooks and walks follow after commit, in a task (they talk to ButterflyMX)."""
    transaction.on_commit(partial(send_task, TENANT_LINKED_TASK, link.pk))


def link_unlink(*, link: BmxLink) -> None:
    """Unlink a ButterflyMX account: a building-admin link's buildings are disconnected first (their
    webhook integrations removed at ButterflyMX while the link still works), a tenant link's own
    integrations likewise; then the tokens are revoked and forgotten (:func:`tenants.services.link_revoke`,
    which raises and keeps the link when ButterflyMX cannot be reached)."""
    if link.kind == BmxLink.Kind.BUILDING_ADMIN:
        for building in Building.objects.filter(admin_link=link):
            building_disconnected(building=building)
    else:
        tenant_disconnected(link=link)
    link_revoke(link=link)
