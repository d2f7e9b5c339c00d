"""The front desk's records: every door release (the audit trail) and the per-door cooldown.

A release is written down *before* ButterflyMX is called and completed with its answer, so a crash in
between leaves a visible "pending" row rather than an unrecorded door opening.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.models import AccessPoint, Building, Device, RestrictedQuerySet, Unit


class DoorRelease(models.Model):
    """One press of a release button, whoever pressed it and whatever ButterflyMX answered."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Sending")
        SUCCEEDED = "succeeded", _("Released")
        FAILED = "failed", _("Failed")
        # No answer came (a timeout): ButterflyMX may or may not have opened the door. Never re-sent.
        UNKNOWN = "unknown", _("Unknown: check the log")

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="door_releases", verbose_name=_("building")
    )
    door = models.ForeignKey(AccessPoint, on_delete=models.CASCADE, related_name="releases", verbose_name=_("door"))
    # Set when the release went by ``device_id`` (a unit's smart lock, tenants.door_kinds.release_device):
    # ButterflyMX then opened every access point of that device, which ``device_doors`` names as they were.
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="releases", verbose_name=_("device")
    )
    device_doors = models.CharField(max_length=300, blank=True, verbose_name=_("device doors"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="door_releases",
        verbose_name=_("requested by"),
    )
    requested_by_role = models.CharField(max_length=16, verbose_name=_("requested by role"))
    reason = models.CharField(max_length=200, blank=True, verbose_name=_("reason"))
    for_label = models.CharField(
        max_length=200, blank=True, verbose_name=_("for label")
    )  # who it was for, as shown then
    bmx_tenant_id = models.BigIntegerField(
        null=True, blank=True, verbose_name=_("ButterflyMX tenant ID")
    )  # the tenant ButterflyMX logs it under
    # That tenant's unit, as ButterflyMX files the access-log entry of the release: the residents of this
    # unit see the release (as they see the entry), nobody else but the building's staff and managers.
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="door_releases", verbose_name=_("unit")
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, verbose_name=_("status"))
    error = models.CharField(max_length=500, blank=True, verbose_name=_("error"))
    bmx_release_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("ButterflyMX release ID"))
    requested_at = models.DateTimeField(verbose_name=_("requested at"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))
    bmx_ms = models.FloatField(
        null=True, blank=True, verbose_name=_("ButterflyMX (ms)")
    )  # time spent waiting for ButterflyMX

    objects = RestrictedQuerySet.as_manager()  # restrict(grants): tenants.scope's rule

    class Meta:
        verbose_name = _("door release")
        verbose_name_plural = _("door releases")
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["building", "-requested_at"], name="release_bldg_time"),
            models.Index(fields=["door", "-requested_at"], name="release_door_time"),
            models.Index(fields=["requested_by", "-requested_at"], name="release_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.door} · {self.requested_at:%Y-%m-%d %H:%M:%S} · {self.get_status_display()}"


class DoorCooldown(models.Model):
    """When a door was last released through the portal: a conditional UPDATE on this row is the
    atomic per-door cooldown that stops a double click from opening a door twice."""

    door = models.OneToOneField(
        AccessPoint, on_delete=models.CASCADE, primary_key=True, related_name="cooldown", verbose_name=_("door")
    )
    last_release_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last release at"))

    class Meta:
        verbose_name = _("door cooldown")
        verbose_name_plural = _("door cooldowns")

    def __str__(self) -> str:
        return f"{self.door} @ {self.last_release_at}"


class FrontDesk(models.Model):
    """Per building: the ButterflyMX tenant record that front-desk releases are logged under when the
    release is for nobody in particular (ButterflyMX requires a tenant on every release)."""

    building = models.OneToOneField(
        Building, on_delete=models.CASCADE, related_name="front_desk", verbose_name=_("building")
    )
    bmx_tenant_id = models.BigIntegerField(verbose_name=_("ButterflyMX tenant ID"))
    label = models.CharField(max_length=100, default="Front desk", verbose_name=_("label"))

    class Meta:
        verbose_name = _("front desk")
        verbose_name_plural = _("front desks")

    def __str__(self) -> str:
        return f"{self.building}: {self.label}"
