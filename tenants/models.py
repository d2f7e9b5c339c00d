"""Buildings, their units and doors, and who may do what in each building.

Rows mirror ButterflyMX records where ``bmx_id`` is set; a building synced from ButterflyMX keeps its
history when something disappears there (``is_active`` goes false, nothing is deleted).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portal.core.crypto import EncryptedTextField


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    STAFF = "staff", _("Front-desk staff")
    MANAGER = "manager", _("Manager")


class ScopeRule(Protocol):
    """What :meth:`RestrictedQuerySet.restrict` needs of the grants it is given: the one rule, as a filter.
    :class:`tenants.scope.Grants` is it; the models do not import scope, which is built on them."""

    def visible_q(
        self, *, building: str, unit: str | None, door: str | None, roles: Iterable[str], action: str
    ) -> models.Q: ...


class RestrictedQuerySet(models.QuerySet):
    """Rows of a scoped model, restricted to what one person may see: ``restrict(grants)`` (in the
    spirit of NetBox's ``RestrictedQuerySet.restrict(user, action)``) applies the one rule,
    :meth:`tenants.scope.Grants.visible_q`, with this model's lookups. Pass the request's
    ``tenants.scope.request_grants`` (outside a request, ``grants_of(user)``).

    The defaults fit activity rows (entries, calls, releases, passes): a building and a unit.
    """

    building_path = "building"  # the lookup to the row's building: staff and managers match on it
    unit_path: str | None = "unit"  # the lookup to its unit (residents' rows); None: not a unit's
    door_path: str | None = None  # for doors, the lookup to the door's id (residents' assigned doors)

    def restrict(self, grants: ScopeRule, *roles: str, action: str = "view") -> Self:
        """What the person holding ``grants`` may see (``action`` "view") or release (doors,
        "release"), in any of ``roles`` (every role when none given)."""
        q = grants.visible_q(
            building=self.building_path, unit=self.unit_path, door=self.door_path, roles=roles, action=action
        )
        return self.filter(q)


class BuildingQuerySet(RestrictedQuerySet):
    building_path = "id"
    unit_path = None  # residents see the buildings they live in


class UnitQuerySet(RestrictedQuerySet):
    unit_path = "id"


class AccessPointQuerySet(RestrictedQuerySet):
    unit_path = None
    door_path = "pk"


class DeviceQuerySet(RestrictedQuerySet):
    unit_path = None  # residents see the panels of the buildings they live in


class BmxLink(models.Model):
    """A person's link to a ButterflyMX account: a tenant account (residents) or a building-admin
    account (managers). Tokens are encrypted at rest; the refresh token rotates on every refresh."""

    class Kind(models.TextChoices):
        TENANT = "tenant", _("ButterflyMX tenant account")
        BUILDING_ADMIN = "building_admin", _("ButterflyMX building-admin account")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Linked")
        NEEDS_RELINK = "needs_relink", _("Needs re-linking")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bmx_links", verbose_name=_("user")
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, verbose_name=_("kind"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE, verbose_name=_("status"))
    bmx_user_id = models.CharField(max_length=64, blank=True, verbose_name=_("ButterflyMX user ID"))
    bmx_email = models.EmailField(blank=True, verbose_name=_("ButterflyMX email"))
    access_token = EncryptedTextField(verbose_name=_("access token"))
    refresh_token = EncryptedTextField(blank=True, verbose_name=_("refresh token"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    scope = models.CharField(max_length=200, blank=True, verbose_name=_("scope"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    refreshed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("refreshed at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("ButterflyMX link")
        verbose_name_plural = _("ButterflyMX links")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_link_per_kind")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()} · {self.get_status_display()}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class TokenRevocation(models.Model):
    """A ButterflyMX token the portal no longer uses and must revoke: the previous grant of a re-linked
    account, or the tokens of a refused link. Kept (encrypted) until ButterflyMX confirms the revocation,
    so an outage there does not leave a live grant behind: beat retries (``tenants.tasks``)."""

    token = EncryptedTextField(verbose_name=_("token"))
    reason = models.CharField(max_length=32, verbose_name=_("reason"))  # "relinked", "refused"
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    last_error = models.CharField(max_length=300, blank=True, verbose_name=_("last error"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    last_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last attempt at"))

    class Meta:
        verbose_name = _("token revocation")
        verbose_name_plural = _("token revocations")

    def __str__(self) -> str:
        return ngettext(
            "revocation %(id)s (%(reason)s, %(n)s attempt)",
            "revocation %(id)s (%(reason)s, %(n)s attempts)",
            self.attempts,
        ) % {"id": self.pk, "reason": self.reason, "n": self.attempts}


class Building(models.Model):
    """A building as ButterflyMX knows it. Times at a building are shown in its own zone."""

    bmx_id = models.BigIntegerField(null=True, blank=True, unique=True, verbose_name=_("ButterflyMX ID"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone], verbose_name=_("time zone")
    )
    address = models.CharField(max_length=300, blank=True, verbose_name=_("address"))
    capabilities = models.JSONField(default=dict, blank=True, verbose_name=_("capabilities"))
    # The building-admin link used for building-wide calls (roster, logs, door releases, webhooks).
    admin_link = models.ForeignKey(
        BmxLink,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="buildings",
        verbose_name=_("admin link"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    # Residents' own apartment doors stay off the staff door board (and out of staff's reach) unless a
    # manager of the building chooses to show them.
    unit_doors_on_board = models.BooleanField(
        default=False,
        help_text=_("Show residents' unit doors on the staff door board."),
        verbose_name=_("unit doors on board"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = BuildingQuerySet.as_manager()

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Unit(models.Model):
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="units", verbose_name=_("building"))
    bmx_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("ButterflyMX ID"))
    label = models.CharField(max_length=64, verbose_name=_("label"))
    floor = models.CharField(max_length=32, blank=True, verbose_name=_("floor"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["building", "label"]
        constraints = [
            models.UniqueConstraint(fields=["building", "bmx_id"], name="unit_unique_bmx_id_per_building"),
        ]

    def __str__(self) -> str:
        return f"{self.building.name} · {self.label}"


class AccessPoint(models.Model):
    """A door (ButterflyMX "access point"). One door may be controlled by several devices."""

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="access_points", verbose_name=_("building")
    )
    bmx_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("ButterflyMX ID"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    kind = models.CharField(max_length=64, blank=True, verbose_name=_("kind"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    # The door's open hours (unlocked for everyone), the ``open_hours`` ButterflyMX lists with the door, as
    # schedule items in the building's wall time (tenants.door_hours); mirrored by the roster sync and a
    # resident's door refresh, so no page asks ButterflyMX. Empty: no open hours (locked, credentials only).
    open_hours = models.JSONField(default=list, blank=True, verbose_name=_("open hours"))

    objects = AccessPointQuerySet.as_manager()

    class Meta:
        verbose_name = _("access point")
        verbose_name_plural = _("access points")
        ordering = ["building", "name"]
        constraints = [
            models.UniqueConstraint(fields=["building", "bmx_id"], name="door_unique_bmx_id_per_building"),
        ]

    def __str__(self) -> str:
        return self.name


class Device(models.Model):
    """A panel, keypad or reader. Releasing a device releases all its access points."""

    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="devices", verbose_name=_("building"))
    bmx_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("ButterflyMX ID"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    kind = models.CharField(max_length=64, blank=True, verbose_name=_("kind"))
    access_points = models.ManyToManyField(
        AccessPoint, related_name="devices", blank=True, verbose_name=_("access points")
    )
    is_active = models.BooleanField(default=True, verbose_name=_("active"))

    objects = DeviceQuerySet.as_manager()

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["building", "name"]
        constraints = [
            models.UniqueConstraint(fields=["building", "bmx_id"], name="device_unique_bmx_id_per_building"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A staff or manager role at one building. Residents are people with a :class:`Residency`."""

    STAFF_ROLES = (Role.STAFF, Role.MANAGER)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("building")
    )
    role = models.CharField(max_length=16, choices=[(r.value, r.label) for r in STAFF_ROLES], verbose_name=_("role"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "building"], name="one_membership_per_building"),
            models.CheckConstraint(condition=models.Q(role__in=["staff", "manager"]), name="membership_role_staff"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.building}"


class Residency(models.Model):
    """A person living in a unit: the portal-side view of a ButterflyMX tenant record."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="residencies", verbose_name=_("user")
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="residencies", verbose_name=_("unit"))
    bmx_tenant_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("ButterflyMX tenant ID"))
    # The resident's own tenant link this tenancy came from (None for tenancies made by a roster sync).
    link = models.ForeignKey(
        BmxLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="residencies", verbose_name=_("link")
    )
    is_primary = models.BooleanField(
        default=False, help_text=_("The tenancy the person acts as by default."), verbose_name=_("primary")
    )
    doors = models.ManyToManyField(AccessPoint, related_name="residencies", blank=True, verbose_name=_("doors"))
    # When this tenant may use each door: ``GET /v4/access_points/{id}/schedules`` read with the resident's
    # own token ("times during which this access point can be used by current user"), keyed by the door's
    # ButterflyMX id as a string. Read with the doors (residency_doors_refresh), never by a page.
    door_schedules = models.JSONField(default=dict, blank=True, verbose_name=_("door schedules"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("residency")
        verbose_name_plural = _("residencies")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit"], name="one_residency_per_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit}"

    @property
    def building(self) -> Building:
        return self.unit.building


class TenantRecord(models.Model):
    """A ButterflyMX tenant of a building as the last roster sync saw it, portal user or not.

    Kept (inactive) when the tenant disappears from ButterflyMX, so history keeps its names.
    """

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="tenant_records", verbose_name=_("building")
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="tenant_records", verbose_name=_("unit")
    )
    bmx_id = models.BigIntegerField(verbose_name=_("ButterflyMX ID"))
    first_name = models.CharField(max_length=150, blank=True, verbose_name=_("first name"))
    last_name = models.CharField(max_length=150, blank=True, verbose_name=_("last name"))
    email = models.EmailField(blank=True, verbose_name=_("email"))
    registration_status = models.CharField(max_length=32, blank=True, verbose_name=_("registration status"))
    # ButterflyMX's "Do not disturb" (notification_preference.do_not_disturb), set in the ButterflyMX app:
    # the portal does not push visitor calls to a resident who asked ButterflyMX for quiet.
    do_not_disturb = models.BooleanField(default=False, verbose_name=_("do not disturb"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))

    objects = RestrictedQuerySet.as_manager()  # restrict(grants): tenants.scope's rule

    class Meta:
        verbose_name = _("tenant record")
        verbose_name_plural = _("tenant records")
        ordering = ["building", "last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(fields=["building", "bmx_id"], name="tenant_record_unique_bmx_id_per_building"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email or str(self.bmx_id)


class RosterSync(models.Model):
    """One run of the roster sync of a building-admin link: its progress, counters and outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    link = models.ForeignKey(BmxLink, on_delete=models.CASCADE, related_name="roster_syncs", verbose_name=_("link"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("requested by")
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, verbose_name=_("status"))
    step = models.CharField(max_length=200, blank=True, verbose_name=_("step"))
    progress = models.PositiveSmallIntegerField(
        default=0, help_text=_("Percent done, 0 to 100."), verbose_name=_("progress")
    )
    counters = models.JSONField(default=dict, blank=True, verbose_name=_("counters"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("roster sync")
        verbose_name_plural = _("roster syncs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return gettext("roster sync %(id)s · %(status)s") % {"id": self.pk, "status": self.get_status_display()}

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def counter_items(self) -> list[tuple[str, int]]:
        """Counters for people: ``("units created", 10)``; zeros are left out."""
        return [(key.replace("_", " "), value) for key, value in sorted(self.counters.items()) if value]


class BuildingLimits(models.Model):
    """A manager's hourly abuse limits for one building; an empty field means the portal's default
    (``PORTAL_LIMIT_*`` settings). Read and claimed through :mod:`tenants.limits`."""

    building = models.OneToOneField(
        Building, on_delete=models.CASCADE, related_name="limits", verbose_name=_("building")
    )
    messages_per_person = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("messages per person"))
    messages_per_building = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("messages per building"))
    passes_per_person = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("passes per person"))
    passes_per_building = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("passes per building"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("updated by")
    )

    class Meta:
        verbose_name = _("building limits")
        verbose_name_plural = _("building limits")

    def __str__(self) -> str:
        return gettext("limits of %(building)s") % {"building": self.building}


# How long an invitation link works: long enough for a holiday, short enough that an old e-mail found
# in someone's inbox does not give a role out of the blue.
INVITATION_DAYS = 14


class Invitation(models.Model):
    """A manager's invitation to join a building as staff or manager, sent by e-mail.

    Only a hash of the one-time token is stored: the link in the e-mail is the only copy. Accepting
    marks it used, so the link works once; cancelling or re-sending it ends the old link too
    (``tenants.people``).
    """

    STAFF_ROLES = Membership.STAFF_ROLES

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("building")
    )
    email = models.EmailField(verbose_name=_("email"))
    role = models.CharField(max_length=16, choices=[(r.value, r.label) for r in STAFF_ROLES], verbose_name=_("role"))
    token_hash = models.CharField(max_length=64, unique=True, verbose_name=_("token hash"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    accepted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("accepted at"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    # Cancelled by a manager, or replaced by a re-sent invitation (``replaced_by``): the row stays, so who
    # invited whom, and who took it back, remains on record.
    cancelled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("cancelled at"))
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces", verbose_name=_("replaced by")
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return gettext("invitation of %(email)s as %(role)s at %(building)s") % {
            "email": self.email,
            "role": self.get_role_display(),
            "building": self.building,
        }

    @property
    def expires_at(self) -> datetime:
        return self.created_at + timedelta(days=INVITATION_DAYS)


class TenantMove(models.Model):
    """The audit of the tenant lifecycle: who moved whom in or out of a building, who re-sent whose
    ButterflyMX invitation, and what a rent-roll import did (``tenants.lifecycle``). One row per act;
    names and the unit are copied, so the row reads the same after the tenant and the unit are gone."""

    class Action(models.TextChoices):
        MOVED_IN = "moved_in", _("Moved in")
        MOVED_OUT = "moved_out", _("Moved out")
        INVITATION_RESENT = "invitation_resent", _("Invitation re-sent")
        MOVE_IN_UNDONE = "move_in_undone", _("Move-in undone")

    class Source(models.TextChoices):
        FORM = "form", _("Move-in form")
        RENT_ROLL = "rent_roll", _("Rent-roll import")

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="tenant_moves", verbose_name=_("building")
    )
    tenant = models.ForeignKey(
        TenantRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="moves", verbose_name=_("tenant")
    )
    bmx_tenant_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("ButterflyMX tenant ID"))
    action = models.CharField(max_length=24, choices=Action.choices, verbose_name=_("action"))
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.FORM, verbose_name=_("source"))
    name = models.CharField(max_length=300, blank=True, verbose_name=_("name"))
    email = models.EmailField(blank=True, verbose_name=_("email"))
    unit_label = models.CharField(max_length=64, blank=True, verbose_name=_("unit label"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    detail = models.CharField(max_length=500, blank=True, verbose_name=_("detail"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("tenant move")
        verbose_name_plural = _("tenant moves")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["building", "-created_at"], name="tenant_move_building_time")]

    def __str__(self) -> str:
        return gettext("%(action)s: %(who)s (%(unit)s) at %(building)s") % {
            "action": self.get_action_display(),
            "who": self.name or self.email,
            "unit": self.unit_label,
            "building": self.building,
        }


class RentRollImport(models.Model):
    """One applied rent-roll import of a building (``tenants.rent_roll``): who ran it, what it did. A
    running import is also the building's claim: one at a time (a partial unique constraint), so a double
    click or a second manager cannot move the same people in twice."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        UNDONE = "undone", _("Refused and undone")
        INCOMPLETE = "incomplete", _("Refused, undo incomplete")

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="rent_roll_imports", verbose_name=_("building")
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("started by")
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING, verbose_name=_("status"))
    rows = models.PositiveIntegerField(default=0, verbose_name=_("rows"))
    moved_in = models.PositiveIntegerField(default=0, verbose_name=_("moved in"))
    summary = models.TextField(blank=True, verbose_name=_("summary"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("rent-roll import")
        verbose_name_plural = _("rent-roll imports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["building"], condition=models.Q(status="running"), name="one_running_rent_roll_per_building"
            ),
        ]

    def __str__(self) -> str:
        return gettext("rent roll %(id)s · %(building)s · %(status)s") % {
            "id": self.pk,
            "building": self.building,
            "status": self.get_status_display(),
        }


class AccessToolChange(models.Model):
    """One change to a tenant's permanent credentials at ButterflyMX (a PIN or fob revoked, a fob added),
    by a manager or by the resident themselves: who, when, which tool, which tenant, and what ButterflyMX
    answered. Written before ButterflyMX is called (``pending``) and completed after, so even a crash
    between the two leaves a row saying the attempt was made (``tenants.access_tools``).

    Never a PIN's code; for a fob or vehicle tag only its last characters (``code_hint``), enough to tell
    two fobs apart on the manager's list, not enough to copy one.
    """

    class Action(models.TextChoices):
        REVOKED = "revoked", _("Revoked")
        ADDED = "added", _("Added")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused by ButterflyMX")
        FAILED = "failed", _("Failed")

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="access_tool_changes", verbose_name=_("building")
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("unit")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_role = models.CharField(max_length=16, verbose_name=_("actor role"))  # "manager" or "resident", at the time
    action = models.CharField(max_length=16, choices=Action.choices, verbose_name=_("action"))
    tool_type = models.CharField(
        max_length=16, verbose_name=_("tool type")
    )  # ButterflyMX's type: pin, rfid_tag, vehicle
    bmx_tool_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("ButterflyMX tool ID"))
    bmx_tenant_id = models.BigIntegerField(verbose_name=_("ButterflyMX tenant ID"))
    tenant_label = models.CharField(
        max_length=200, blank=True, verbose_name=_("tenant label")
    )  # "Rosa Resident (4B)" as it was then
    code_hint = models.CharField(max_length=16, blank=True, verbose_name=_("code hint"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, verbose_name=_("status"))
    message = models.TextField(blank=True, verbose_name=_("message"))  # ButterflyMX's refusal, in words for people
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))

    class Meta:
        verbose_name = _("PIN or fob change")
        verbose_name_plural = _("PIN and fob changes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["building", "-created_at"], name="tool_change_building_time")]

    def __str__(self) -> str:
        return gettext("%(action)s: %(tool)s %(id)s of tenant %(tenant)s") % {
            "action": self.get_action_display(),
            "tool": self.tool_type,
            "id": self.bmx_tool_id,
            "tenant": self.bmx_tenant_id,
        }
