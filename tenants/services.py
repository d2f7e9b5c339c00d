"""Writes of the tenants app: linking ButterflyMX accounts, and the one function that hands out a
working access token for a link (every caller, web or worker, goes through it)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.butterflymx import BmxClient, BmxError, oauth
from portal.butterflymx.errors import TokenRefused
from portal.butterflymx.oauth import TokenSet
from portal.celery import send_task

from . import door_schedules
from .models import AccessPoint, BmxLink, Building, Residency, RosterSync, TokenRevocation, Unit
from .notifications import notify_link_needs_relink

logger = logging.getLogger(__name__)

# Refresh this long before expiry, so a token never dies in the middle of a sync or a release.
REFRESH_MARGIN = timedelta(minutes=5)


class LinkNeedsRelink(TokenRefused):
    """The link's refresh was refused: its owner must link the account again."""


def _needs_relink_error(link: BmxLink) -> LinkNeedsRelink:
    return LinkNeedsRelink(status=401, code="needs_relink", message=link.last_error or "re-link required")


def link_access_token(*, link_id: int, rejected_token: str | None = None, margin: timedelta = REFRESH_MARGIN) -> str:
    """A working access token for ``link_id``, refreshed ahead of expiry. Every caller uses this.

    Many web and worker processes may call this at once with an expiring token: the row lock makes
    exactly one of them refresh; the others wait, then read the new token. ``rejected_token`` is the
    token ButterflyMX just answered 401 to: it forces a refresh, unless another caller already
    replaced that token. A refused refresh marks the link for re-linking and is never retried with the
    same refresh token.
    """
    link = BmxLink.objects.get(pk=link_id)
    if not link.is_active:
        raise _needs_relink_error(link)
    if _usable(link, rejected_token, margin):
        return link.access_token

    failure: BmxError | None = None
    with transaction.atomic():
        link = BmxLink.objects.select_for_update().get(pk=link_id)
        if not link.is_active:
            raise _needs_relink_error(link)
        if _usable(link, rejected_token, margin):
            return link.access_token  # another process refreshed while we waited for the lock
        try:
            tokens = oauth.refresh(link.refresh_token)
        except BmxError as exc:
            if exc.transient:
                raise  # ButterflyMX down or slow: the refresh token is still good, try later
            failure = exc
            link.status = BmxLink.Status.NEEDS_RELINK
            link.last_error = "ButterflyMX refused to renew this link. Link the account again."
            link.save(update_fields=["status", "last_error", "updated_at"])
        else:
            link.access_token = tokens.access_token
            # Rotation: the old refresh token is dead now; keep the new one (or the old if none came).
            link.refresh_token = tokens.refresh_token or link.refresh_token
            link.expires_at = tokens.expires_at
            link.scope = tokens.scope or link.scope
            link.refreshed_at = timezone.now()
            link.last_error = ""
            link.save()
    if failure is not None:
        logger.warning("ButterflyMX refused the refresh of link %s (%s); it needs re-linking", link_id, failure.code)
        notify_link_needs_relink(link=link)
        raise _needs_relink_error(link)
    return link.access_token


def _usable(link: BmxLink, rejected_token: str | None, margin: timedelta) -> bool:
    if rejected_token is not None:
        return link.access_token != rejected_token
    return link.expires_at - timezone.now() > margin


# Beat refreshes links this close to expiry, so a web request rarely has to refresh inline (inside
# ATOMIC_REQUESTS a refresh is committed with the request; a request that then fails would roll back
# the rotated refresh token, and the link would need re-linking).
AHEAD_OF_EXPIRY = timedelta(hours=1)


def links_refresh_expiring() -> int:
    """Beat: refresh every working link that expires within :data:`AHEAD_OF_EXPIRY`. Returns how many."""
    due = BmxLink.objects.filter(
        status=BmxLink.Status.ACTIVE, expires_at__lt=timezone.now() + AHEAD_OF_EXPIRY
    ).values_list("pk", flat=True)
    refreshed = 0
    for link_id in due:
        try:
            link_access_token(link_id=link_id, margin=AHEAD_OF_EXPIRY)
        except BmxError as exc:  # marked for re-linking, or ButterflyMX down: the next beat tries again
            logger.info("refresh ahead of expiry failed for link %s: %s", link_id, exc.code)
            continue
        refreshed += 1
    return refreshed


# How long a client reuses the token it last read before reading the link again (a refresh ahead of
# expiry elsewhere is picked up then; a 401 is picked up at once).
TOKEN_REUSE_S = 30.0


class LinkTokenProvider:
    """The token provider of :func:`client_for_link`: safe to share between threads.

    Each thread remembers the token it last sent, so after a 401 it passes *that* token as the rejected
    one: if another worker (or thread) already refreshed it, :func:`link_access_token` hands out the new
    token without a second refresh; only a token still current is refreshed. Between 401s the token is
    reused for :data:`TOKEN_REUSE_S`, so parallel page readers rarely touch the database.
    """

    def __init__(self, link_id: int):
        self.link_id = link_id
        self._lock = threading.Lock()
        self._token: str | None = None
        self._read_at = 0.0
        self._sent = threading.local()

    def __call__(self, force_refresh: bool) -> str:
        token: str | None
        if force_refresh:
            token = link_access_token(link_id=self.link_id, rejected_token=getattr(self._sent, "token", None))
        else:
            with self._lock:
                token = self._token if time.monotonic() - self._read_at < TOKEN_REUSE_S else None
            if token is None:
                token = link_access_token(link_id=self.link_id)
        with self._lock:
            if token != self._token:
                self._token, self._read_at = token, time.monotonic()
        self._sent.token = token
        return token


def client_for_link(link: BmxLink | int, **client_options) -> BmxClient:
    """A :class:`BmxClient` whose every call gets its token from :func:`link_access_token`."""
    link_id = link if isinstance(link, int) else link.pk
    return BmxClient(LinkTokenProvider(link_id), **client_options)


# --- Linking -------------------------------------------------------------------------------------


class NotABuildingAdmin(Exception):
    """A building-admin link was attempted with an account that administers no building.

    ``refused`` holds, per building the account can see, its name and ButterflyMX's answer (401, 403 or
    404) to the admin-only read, so the page can say what was decided and why.
    """

    def __init__(self, refused: list[tuple[str, int]] | None = None):
        super().__init__("not a building admin")
        self.refused = refused or []

    @property
    def explanation(self) -> str:
        if not self.refused:
            return _("ButterflyMX lists no building for this account.")
        answers = "; ".join(f"{name}: HTTP {status}" for name, status in self.refused)
        return _(
            "ButterflyMX refused the building-admin read (the building's webhook list) for every building "
            "this account can see (%(answers)s), so the portal treats it as a tenant account."
        ) % {"answers": answers}


@dataclass
class AdminDecision:
    """Which buildings an account administers, as decided by :func:`buildings_administered`."""

    managed: list[dict] = field(default_factory=list)
    refused: list[tuple[dict, int]] = field(default_factory=list)  # (building, HTTP status)


def buildings_administered(*, client: BmxClient, enough: int | None = None) -> AdminDecision:
    """The buildings ``client``'s account administers, and those where ButterflyMX said it does not.

    ButterflyMX's document offers no role signal, so each listed building is probed with an admin-only
    read (:meth:`BmxClient.building_admin_answer`): 200 is an admin; 401, 403 and 404 alike are "not an
    admin here", never "the link needs re-linking" (only a refused token refresh says that).

    ``enough``: stop probing once that many administered buildings are found. A manager connecting
    waits for this answer, and the probes are interactive calls (never delayed by the request budget):
    a portfolio of 1,000 buildings probed in full would be a burst of 1,000 requests over the budget
    (a rate limit met before the first sync). Connecting needs one; the roster sync, a background job
    paced by the budget, probes them all.
    """
    decision = AdminDecision()
    for building in client.buildings():
        status = client.building_admin_answer(building["id"])
        if status == 200:
            decision.managed.append(building)
            if enough is not None and len(decision.managed) >= enough:
                break
        else:
            decision.refused.append((building, status))
    return decision


class TenantLinkedElsewhere(Exception):
    """The ButterflyMX tenant account is already linked to another portal account."""


class NoTenancy(Exception):
    """A resident link was attempted with an account that has no home (tenancy) at ButterflyMX.

    Typically a building-admin account signed in through the resident "Link" button. Storing it would
    deactivate the person's current homes (ButterflyMX lists none for it), so nothing is stored.
    ``administers`` names the buildings the account administers, so the page can point the person to
    the building-admin connect instead; empty when it administers none (or that could not be read).
    """

    def __init__(self, administers: list[str]):
        super().__init__("no tenancy")
        self.administers = administers


# Past this many failed attempts a revocation is left for an operator (admin: token revocations).
REVOCATION_MAX_ATTEMPTS = 48


def token_revocations_record(*, tokens: list[str], reason: str) -> list[int]:
    """Remember tokens to revoke at ButterflyMX (inside the caller's transaction); their ids."""
    return [TokenRevocation.objects.create(token=token, reason=reason).pk for token in tokens if token]


def token_revocations_attempt(*, revocation_ids: list[int] | None = None) -> int:
    """Revoke recorded tokens at ButterflyMX (all due ones, or ``revocation_ids``); how many are done.

    A confirmed revocation is deleted; a failure is kept with its error for the next attempt (beat,
    ``token_revocations_retry_task``), never raised: the link that caused it is already in place.
    """
    due = TokenRevocation.objects.filter(attempts__lt=REVOCATION_MAX_ATTEMPTS).order_by("pk")
    if revocation_ids is not None:
        due = due.filter(pk__in=revocation_ids)
    done = 0
    for revocation in due:
        try:
            oauth.revoke(revocation.token)
        except BmxError as exc:
            TokenRevocation.objects.filter(pk=revocation.pk).update(
                attempts=revocation.attempts + 1,
                last_error=(exc.human_message or exc.code or str(exc.status))[:300],
                last_attempt_at=timezone.now(),
            )
            logger.warning("token revocation %s failed (%s); will retry", revocation.pk, exc.code or exc.status)
            continue
        revocation.delete()
        done += 1
    return done


def _replaced_tokens(*, user, kind: str, tokens: TokenSet) -> list[int]:
    """The current link's tokens, recorded for revocation when a new grant replaces them (locked, so a
    refresh running meanwhile cannot rotate them unseen)."""
    old = BmxLink.objects.select_for_update().filter(user=user, kind=kind).first()
    if old is None:
        return []
    stale = [
        t for t in (old.refresh_token, old.access_token) if t and t not in (tokens.access_token, tokens.refresh_token)
    ]
    return token_revocations_record(tokens=stale, reason="relinked")


def _refuse_if_linked_elsewhere(*, user, tenancies: list[dict], profile: dict) -> None:
    """One ButterflyMX tenant account, one portal account: another person's live tenant link to the
    same ButterflyMX user or tenancy refuses this one (they must unlink first)."""
    others = BmxLink.objects.filter(kind=BmxLink.Kind.TENANT).exclude(user=user)
    tenant_ids = [t["id"] for t in tenancies if t.get("id") is not None]
    held = Residency.objects.filter(link__in=others, bmx_tenant_id__in=tenant_ids, is_active=True).exists()
    subject = str(profile.get("sub") or "")
    if held or (subject and others.filter(bmx_user_id=subject).exists()):
        raise TenantLinkedElsewhere


def _store_link(*, user, kind: str, tokens: TokenSet, profile: dict) -> BmxLink:
    link, _ = BmxLink.objects.update_or_create(
        user=user,
        kind=kind,
        defaults={
            "status": BmxLink.Status.ACTIVE,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_at": tokens.expires_at,
            "scope": tokens.scope,
            "bmx_user_id": str(profile.get("sub") or ""),
            "bmx_email": profile.get("email") or "",
            "last_error": "",
            "refreshed_at": timezone.now(),
        },
    )
    return link


def _profile(tokens: TokenSet) -> dict:
    try:
        return oauth.userinfo(tokens.access_token)
    except BmxError as exc:
        if exc.transient:
            raise
        return {}  # userinfo needs the openid scope; the link works without it


def link_tenant_connect(*, user, tokens: TokenSet) -> BmxLink:
    """Finish a resident's link: read their tenancies and doors first, then store everything at once.

    Every ButterflyMX read happens before the first write, so a failure leaves nothing half-linked.
    A re-link replaces the previous grant, which is then revoked at ButterflyMX; an account already
    linked by another portal account is refused (:class:`TenantLinkedElsewhere`) and the tokens just
    issued for it are revoked, so nothing of it stays anywhere. So is an account with no tenancy
    (:class:`NoTenancy`, e.g. a building admin's): linking it would deactivate the person's homes.
    """
    client = BmxClient(tokens.access_token)
    tenancies = client.my_tenancies()
    if not tenancies:
        _refuse_without_tenancy(client=client, tokens=tokens)
    doors = client.access_points()
    schedules = door_schedules.schedules_read(client, doors)  # when the resident may use each door
    profile = _profile(tokens)
    try:
        with transaction.atomic():
            _refuse_if_linked_elsewhere(user=user, tenancies=tenancies, profile=profile)
            replaced = _replaced_tokens(user=user, kind=BmxLink.Kind.TENANT, tokens=tokens)
            link = _store_link(user=user, kind=BmxLink.Kind.TENANT, tokens=tokens, profile=profile)
            kept = residencies_apply(link=link, tenancies=tenancies, doors=doors)
            door_schedules.schedules_store(kept, doors, schedules)
    except TenantLinkedElsewhere:
        with transaction.atomic():
            refused = token_revocations_record(tokens=[tokens.refresh_token, tokens.access_token], reason="refused")
        token_revocations_attempt(revocation_ids=refused)
        raise
    token_revocations_attempt(revocation_ids=replaced)
    return link


def _refuse_without_tenancy(*, client: BmxClient, tokens: TokenSet) -> None:
    """Raise :class:`NoTenancy` for an account with no home, revoking the tokens just issued for it."""
    try:
        administers = [b.get("name") or f"Building {b['id']}" for b in buildings_administered(client=client).managed]
    except BmxError:
        administers = []  # only the wording depends on it; the refusal stands either way
    with transaction.atomic():
        refused = token_revocations_record(tokens=[tokens.refresh_token, tokens.access_token], reason="refused")
    token_revocations_attempt(revocation_ids=refused)
    raise NoTenancy(administers)


def residencies_apply(*, link: BmxLink, tenancies: list[dict], doors: list[dict]) -> list[Residency]:
    """Mirror ``GET /v4/tenants?scope=self`` as Building/Unit/Residency rows of ``link.user``.

    Tenancies that ButterflyMX no longer lists are deactivated (never deleted: passes and logs refer
    to them). The person keeps their chosen active tenancy when it still exists, else the first one.
    """
    user = link.user
    kept: list[Residency] = []
    for tenancy in tenancies:
        building = building_upsert(
            bmx_id=tenancy["building_id"],
            name=tenancy.get("building_name") or f"Building {tenancy['building_id']}",
            time_zone=tenancy.get("building_timezone"),
        )
        raw_unit = tenancy.get("unit") or {}
        unit, _ = Unit.objects.update_or_create(
            building=building,
            bmx_id=raw_unit.get("id"),
            defaults={"label": raw_unit.get("label") or "?", "floor": raw_unit.get("floor") or "", "is_active": True},
        )
        residency, _ = Residency.objects.update_or_create(
            user=user, unit=unit, defaults={"bmx_tenant_id": tenancy["id"], "link": link, "is_active": True}
        )
        door_rows = [
            AccessPoint.objects.update_or_create(
                building=building, bmx_id=door["id"], defaults={"name": door.get("name") or f"Door {door['id']}"}
            )[0]
            for door in doors
            if door.get("building_id") == building.bmx_id
        ]
        residency.doors.set(door_rows)
        kept.append(residency)
    gone = Residency.objects.filter(user=user, bmx_tenant_id__isnull=False, is_active=True).exclude(
        pk__in=[r.pk for r in kept]
    )
    gone.update(is_active=False, is_primary=False)
    if kept and not any(r.is_primary for r in kept):
        residency_make_primary(user=user, residency_id=kept[0].pk)
    return kept


def residency_doors_refresh(*, link: BmxLink, background: bool = False) -> int:
    """Re-read the doors of ``link``'s tenancies and set them where they changed; how many changed.

    ``GET /v4/access_points`` with the tenant's own token lists exactly the doors their tenancy opens
    (the documented admin reads do not say which doors a tenant's access groups open). At link time,
    on the roster cycle (:mod:`tenants.roster`, ``background``: it waits for the request budget) and on
    the resident's "Refresh". Writes only what differs: a second run changes nothing. A door new to the
    portal is added to its building. The door hours ride along (:mod:`tenants.door_schedules`): the
    resident's usable hours at each door, and open hours where no admin link mirrors them.
    """
    if not link.is_active or link.kind != BmxLink.Kind.TENANT:
        return 0
    client = client_for_link(link, background=background)
    doors = client.access_points()
    residencies = list(Residency.objects.filter(link=link, is_active=True).select_related("unit__building__admin_link"))
    door_schedules.open_hours_from_tenant_list(residencies, doors)
    # The hours are stored where they changed; the count stays that of tenancies whose doors changed.
    door_schedules.residency_schedules_refresh(client, residencies, doors)
    changed = 0
    for residency in residencies:
        building = residency.unit.building
        wanted = [
            AccessPoint.objects.get_or_create(
                building=building, bmx_id=door["id"], defaults={"name": door.get("name") or f"Door {door['id']}"}
            )[0]
            for door in doors
            if isinstance(door, dict) and door.get("id") is not None and door.get("building_id") == building.bmx_id
        ]
        if set(residency.doors.values_list("pk", flat=True)) != {d.pk for d in wanted}:
            residency.doors.set(wanted)
            changed += 1
    return changed


def building_upsert(*, bmx_id: int, name: str, time_zone: str | None, **fields) -> Building:
    """The local row of a ButterflyMX building, created or updated (only when something changed)."""
    building = Building.objects.filter(bmx_id=bmx_id).first()
    wanted = {"name": name, "is_active": True, **fields}
    if time_zone:
        wanted["time_zone"] = time_zone
    if building is None:
        return Building.objects.create(bmx_id=bmx_id, **wanted)
    changed = [k for k, v in wanted.items() if getattr(building, k) != v]
    if changed:
        for key in changed:
            setattr(building, key, wanted[key])
        building.save(update_fields=[*changed, "updated_at"])
    return building


def residency_make_primary(*, user, residency_id: int) -> Residency:
    """Make one of ``user``'s active tenancies the one they act as by default (exactly one is)."""
    with transaction.atomic():
        residency = Residency.objects.select_for_update().get(pk=residency_id, user=user, is_active=True)
        Residency.objects.filter(user=user).exclude(pk=residency.pk).update(is_primary=False)
        if not residency.is_primary:
            residency.is_primary = True
            residency.save(update_fields=["is_primary"])
    return residency


def link_admin_connect(*, user, tokens: TokenSet, sync: bool = True) -> BmxLink:
    """Finish a manager's building-admin link and (unless ``sync`` is false) queue the first roster sync.

    The account must administer at least one building; otherwise nothing is stored.
    """
    client = BmxClient(tokens.access_token)
    decision = buildings_administered(client=client, enough=1)  # the roster sync probes the rest
    if not decision.managed:
        raise NotABuildingAdmin([(b.get("name") or f"Building {b['id']}", status) for b, status in decision.refused])
    profile = _profile(tokens)
    with transaction.atomic():
        replaced = _replaced_tokens(user=user, kind=BmxLink.Kind.BUILDING_ADMIN, tokens=tokens)
        link = _store_link(user=user, kind=BmxLink.Kind.BUILDING_ADMIN, tokens=tokens, profile=profile)
        if sync:
            roster_sync_start(link=link, requested_by=user)
    token_revocations_attempt(revocation_ids=replaced)  # the previous grant, after the new one is stored
    return link


def link_revoke(*, link: BmxLink) -> None:
    """Revoke the link's tokens at ButterflyMX, then forget them here.

    When ButterflyMX cannot be reached the link is kept (raising), so the person can try again rather
    than leave a live token behind at ButterflyMX. A token ButterflyMX no longer knows is fine.
    Unlinking a building-admin account disconnects its buildings first: a person unlinks through
    :func:`portal.building_connections.link_unlink`, which does both.
    """
    for token in (link.refresh_token, link.access_token):
        if not token:
            continue
        try:
            oauth.revoke(token)
        except BmxError as exc:
            if exc.transient:
                raise
    with transaction.atomic():
        Residency.objects.filter(link=link).update(is_active=False, is_primary=False, link=None)
        link.delete()


# A queued or running sync younger than this blocks a new one for the same link (no pile-ups from
# beat plus impatient clicks); an older one is presumed dead (worker killed) and does not.
STALE_AFTER = timedelta(minutes=30)
# The task that runs a queued sync (tenants.tasks imports the roster, so it is named, not imported).
ROSTER_SYNC_TASK = "tenants.tasks.roster_sync_task"


def roster_sync_start(*, link: BmxLink, requested_by=None) -> RosterSync:
    """Queue a roster sync of ``link`` (or return the one already queued or running) after commit.

    The sync itself is :mod:`tenants.roster`; it is queued here, where linking an account starts it.
    """
    with transaction.atomic():
        BmxLink.objects.select_for_update().filter(pk=link.pk).first()  # one starter at a time per link
        pending = (
            RosterSync.objects.filter(link=link, status__in=[RosterSync.Status.QUEUED, RosterSync.Status.RUNNING])
            .filter(created_at__gte=timezone.now() - STALE_AFTER)
            .first()
        )
        if pending is not None:
            return pending
        sync = RosterSync.objects.create(link=link, requested_by=requested_by)
        transaction.on_commit(partial(send_task, ROSTER_SYNC_TASK, sync.pk))
    return sync
