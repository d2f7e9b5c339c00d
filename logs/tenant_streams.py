"""Residents' own streams in buildings whose manager never connected a building-admin account.

Without a building-admin link the building's own log sync cannot run (its reads are the admin's). A
resident who linked their ButterflyMX tenant account may still read their *own* activity: the same
``GET /v4/buildings/{id}/access_logs`` and ``/calls`` with the tenant's token list only that tenant's
entries and calls (contract §3.6: "tenants see only their own activity"), and a tenant integration
(``/v4/tenants/{tenant_id}/integrations``, §4.12) is sent the events of the tenant's unit (§6.2).

So each such resident has a **tenant stream** per building and log stream: a :class:`SyncCursor` with
``link`` set, walked by the same machinery as a building's (:mod:`logs.sync`: leases, claims, the
request budget, backfill and re-scan; :mod:`logs.tasks`: beat and the watchdog). This module decides
which tenant streams run (:func:`tenant_stream_pairs`, :func:`tenant_scope`) and keeps the residents'
webhook integrations (:func:`tenant_webhooks_register`, :func:`tenant_webhooks_unregister`).

Rules that keep it exact and private:

- **Only the tenant's own units are stored.** Whatever a tenant token's listing holds, a row is kept
  only when its unit is one of the link's active tenancies in that building (:func:`tenant_scope`,
  applied in :meth:`logs.sync.Context.parse`): the same unit a resident's scope (tenants.scope) shows,
  so a resident never sees a neighbour's row, even if ButterflyMX listed one.
- **One copy of each row.** Rows land in the building's tables, unique per building and remote id, so a
  tenant walk and the building's own sync (or two flatmates' walks) upsert the same row, never a second.
- **The building's sync takes over.** Tenant streams run only while the building has no building-admin
  link; once it has one, beat walks the building (its backfill re-reads what the residents' walks
  stored: the same rows), tenant walks stop ("idle") and the residents' integrations are removed.
"""

from __future__ import annotations

import logging
import secrets
from typing import NoReturn

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from portal.butterflymx import BmxError
from portal.butterflymx.errors import TokenRefused
from tenants.models import BmxLink, Building, Residency
from tenants.services import client_for_link

from .models import TenantWebhook
from .webhooks import RESOURCE_STREAMS, base_url, is_transient, secret_hash

logger = logging.getLogger(__name__)


def _tenancies() -> Q:
    """Active tenancies through a working tenant link, in an active building ButterflyMX knows that has
    no building-admin link (Residency lookups)."""
    return Q(
        is_active=True,
        bmx_tenant_id__isnull=False,
        link__isnull=False,
        link__kind=BmxLink.Kind.TENANT,
        link__status=BmxLink.Status.ACTIVE,
        unit__building__is_active=True,
        unit__building__bmx_id__isnull=False,
        unit__building__admin_link__isnull=True,
    )


def tenant_stream_pairs() -> set[tuple[int, int]]:
    """``(building_id, link_id)`` of every tenant stream that should run now: one query."""
    return set(Residency.objects.filter(_tenancies()).values_list("unit__building_id", "link_id").distinct())


def tenant_stream_q() -> Q:
    """SyncCursor rows of tenant streams that should run now: one EXISTS per cursor, whatever the
    number of residents."""
    tenancy = Residency.objects.filter(
        _tenancies(), link_id=OuterRef("link_id"), unit__building_id=OuterRef("building_id")
    )
    return Q(Exists(tenancy), link__isnull=False)


def tenant_scope(*, building: Building, link: BmxLink) -> frozenset[int] | None:
    """The local unit ids a tenant walk of ``link`` at ``building`` may store rows of; None when the
    stream should not run (the building has a building-admin link, the link is not a working tenant
    link, or the person no longer lives there)."""
    if building.admin_link_id is not None or building.bmx_id is None or not building.is_active:
        return None
    if link.kind != BmxLink.Kind.TENANT or not link.is_active:
        return None
    units = frozenset(
        Residency.objects.filter(_tenancies(), link=link, unit__building=building).values_list("unit_id", flat=True)
    )
    return units or None


# --- webhooks --------------------------------------------------------------------------------------


def tenant_webhook_url(hook: TenantWebhook, secret: str) -> str:
    path = reverse("logs_webhooks:tenant_receive", kwargs={"hook_id": hook.pk, "secret": secret})
    return base_url() + path


def tenant_webhooks_register(*, link: BmxLink, background: bool = False) -> list[TenantWebhook]:
    """Register (or re-point) the resident's integrations for each tenancy whose building has no
    building-admin link, with the resident's own token; remove those of buildings that got one.

    Per tenancy one :class:`TenantWebhook` and one integration per resource type of
    :data:`logs.webhooks.RESOURCE_STREAMS` (``call``, ``access_log``, each with the documented ``create``
    action), updated in place (``PUT``) when they exist, created again when ButterflyMX lost them (404).
    A type ButterflyMX refuses (4xx) is kept in ``refused``: that stream is then polled only. Raises
    :class:`BmxError` on a transient failure or a dead link (kept on the row: beat tries again).
    """
    wanted = {
        tenant_id: building_id
        for tenant_id, building_id in Residency.objects.filter(_tenancies(), link=link).values_list(
            "bmx_tenant_id", "unit__building_id"
        )
    }
    for hook in TenantWebhook.objects.filter(link=link).exclude(tenant_bmx_id__in=list(wanted)):
        try:
            _hook_remove(link, hook)  # moved out, or the building's manager connected it
        except BmxError as exc:  # kept: beat's maintenance tries again
            logger.info("removing tenant webhooks of tenant %s failed: %s", hook.tenant_bmx_id, exc.code or exc.status)
    if not wanted:
        return []
    client = client_for_link(link, background=background)
    hooks = []
    for tenant_id, building_id in sorted(wanted.items()):
        hook, _ = TenantWebhook.objects.get_or_create(
            link=link, tenant_bmx_id=tenant_id, defaults={"building_id": building_id}
        )
        _register_one(client, hook)
        hooks.append(hook)
    return hooks


def _register_one(client, hook: TenantWebhook) -> None:
    secret = secrets.token_urlsafe(32)
    hook.base_url = base_url()
    # The new secret is ours before any integration points at it: its first delivery is accepted.
    hook.secret_hash = secret_hash(secret)
    hook.save(update_fields=["secret_hash", "base_url"])
    url = tenant_webhook_url(hook, secret)
    refused: dict[str, str] = {}
    first_refusal: BmxError | None = None
    for resource_type in RESOURCE_STREAMS:
        try:
            _point(client, hook, resource_type, url)
        except BmxError as exc:
            if is_transient(exc) or isinstance(exc, TokenRefused):
                _failed(hook, exc)
            refused[resource_type] = exc.human_message
            first_refusal = first_refusal or exc
    hook.refused = refused
    if not hook.integrations and first_refusal is not None:
        hook.secret_hash = ""
        _failed(hook, first_refusal)
    hook.registered_at = timezone.now()
    hook.last_error = ""
    hook.failure = TenantWebhook.Failure.NONE
    hook.save(update_fields=["refused", "secret_hash", "registered_at", "last_error", "failure"])


def _point(client, hook: TenantWebhook, resource_type: str, url: str) -> None:
    known = (hook.integrations or {}).get(resource_type)
    if known:
        try:
            client.update_tenant_integration(hook.tenant_bmx_id, known, url=url, resource_type=resource_type)
            return
        except BmxError as exc:
            if exc.status != 404:
                raise
            hook.integrations.pop(resource_type, None)  # gone at ButterflyMX: created again
    created = client.create_tenant_integration(hook.tenant_bmx_id, url=url, resource_type=resource_type)
    hook.integrations[resource_type] = str((created or {}).get("id", ""))
    hook.save(update_fields=["integrations"])  # known at once: a failure further on keeps it


def _failed(hook: TenantWebhook, exc: BmxError) -> NoReturn:
    hook.last_error = exc.human_message
    hook.failure = TenantWebhook.Failure.TRANSIENT if is_transient(exc) else TenantWebhook.Failure.PERMANENT
    hook.save(update_fields=["secret_hash", "integrations", "refused", "last_error", "failure", "base_url"])
    raise exc


def tenant_webhooks_unregister(*, link: BmxLink) -> None:
    """Remove every integration of ``link`` at ButterflyMX (while the link still works) and forget the
    secrets. An integration ButterflyMX no longer knows is fine, and so is a dead link (nothing can
    remove them then; their URLs stop working here at once). Raises :class:`BmxError` when ButterflyMX
    could not be reached: the unlink then stops and keeps the link, so the person can try again rather
    than leave integrations behind."""
    for hook in TenantWebhook.objects.filter(link=link):
        _hook_remove(link, hook)


def _hook_remove(link: BmxLink, hook: TenantWebhook) -> None:
    """Delete the hook's integrations at ButterflyMX, then the hook. A transient failure is raised with
    the hook kept (holding what is left to remove)."""
    if link.is_active:
        client = client_for_link(link)
        for resource_type, integration_id in list((hook.integrations or {}).items()):
            if integration_id:
                try:
                    client.delete_tenant_integration(hook.tenant_bmx_id, integration_id)
                except BmxError as exc:
                    if is_transient(exc):
                        raise
                    if exc.status != 404:  # a dead link, a refusal: nothing more can be done from here
                        logger.warning(
                            "tenant integration %s of tenant %s not removed: %s",
                            integration_id,
                            hook.tenant_bmx_id,
                            exc.code or exc.status,
                        )
            hook.integrations.pop(resource_type, None)
            hook.save(update_fields=["integrations"])
    hook.delete()


def tenant_registrations_due() -> list[int]:
    """Tenant links whose integrations need an attempt: a tenancy in a building without admin link and no
    registered hook, a hook that failed transiently or points at another address, or a hook left in a
    building that got its admin link (to remove). One query each."""
    current = base_url()
    due: set[int] = set()
    hooks = {
        (link_id, tenant_id): (integrations, failure, address)
        for link_id, tenant_id, integrations, failure, address in TenantWebhook.objects.values_list(
            "link_id", "tenant_bmx_id", "integrations", "failure", "base_url"
        )
    }
    wanted: set[tuple[int, int]] = {
        (link_id, tenant_id)
        for link_id, tenant_id in Residency.objects.filter(_tenancies()).values_list("link_id", "bmx_tenant_id")
        if link_id is not None and tenant_id is not None
    }
    for key in wanted:
        found = hooks.get(key)
        if found is None:
            due.add(key[0])
            continue
        integrations, failure, address = found
        if failure == TenantWebhook.Failure.TRANSIENT or (address != current and integrations):
            due.add(key[0])
    active = set(
        BmxLink.objects.filter(kind=BmxLink.Kind.TENANT, status=BmxLink.Status.ACTIVE).values_list("pk", flat=True)
    )
    due |= {link_id for link_id, tenant_id in hooks if (link_id, tenant_id) not in wanted and link_id in active}
    return sorted(due)


def tenant_registrations_maintain() -> int:
    """Beat: register, re-point or remove residents' integrations as :func:`tenant_registrations_due`
    says; a failure waits for the next tick. How many links were attempted."""
    attempted = 0
    for link in BmxLink.objects.filter(pk__in=tenant_registrations_due()):
        attempted += 1
        try:
            tenant_webhooks_register(link=link, background=True)
        except BmxError as exc:
            logger.info("tenant webhook registration of link %s failed: %s", link.pk, exc.code or exc.status)
    return attempted
