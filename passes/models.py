"""Visitor passes: a ButterflyMX keychain (the grant) and its virtual keys (one per visitor).

Times are stored in UTC. Recurring passes also keep their building-local dates and wall-clock window,
because that is what they mean (9-to-5 local in January and in July) and what ButterflyMX is sent.
What a person sees as the pass's state (upcoming, active, used, expired, revoked) is derived from the
times and the use counters in :mod:`passes.selectors`; only the lifecycle of the ButterflyMX record
(pending, active, failed, revoked) is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import formats, timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from portal.core.crypto import EncryptedTextField
from tenants.models import AccessPoint, BmxLink, Building, Residency, RestrictedQuerySet, TenantRecord, Unit

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# After the first use, ButterflyMX lets a one-time key be used again for 15 minutes, a delivery pass for 5.
GRACE = {"one_time": dt.timedelta(minutes=15), "delivery": dt.timedelta(minutes=5)}
_A_MONDAY = dt.date(2024, 1, 1)


def weekday_name(code: str, *, full: bool = False) -> str:
    """A weekday code ("mon") in the language being rendered: "Mon"/"Monday", "lun"/"lunes", "lun."/"lundi"
    (Django's own names through the named date formats: "D" short, "l" full)."""
    day = _A_MONDAY + dt.timedelta(days=WEEKDAYS.index(code))
    return formats.date_format(day, "l" if full else "D")


weekday_name_lazy = lazy(weekday_name, str)  # for choices built at import time


def new_share_token() -> str:
    """An unguessable link token (256 bits)."""
    return secrets.token_urlsafe(32)


def hash_share_token(token: str) -> str:
    """Guest pages look a key up by this hash, so a timing difference reveals nothing about a real token."""
    return hashlib.sha256(token.encode()).hexdigest()


class Pass(models.Model):
    class Kind(models.TextChoices):
        CUSTOM = "custom", _("Custom duration")
        RECURRING = "recurring", _("Recurring")
        BUSINESS_HOURS = "business_hours", _("Business hours")
        FULL_DAY = "full_day", _("Full day")
        ONE_TIME = "one_time", _("One-time")
        DELIVERY = "delivery", _("Delivery")

    class Origin(models.TextChoices):
        PORTAL = "portal", _("Created in the portal")
        BMX_APP = "bmx_app", _("Created in the ButterflyMX app")

    class RevokedReason(models.TextChoices):
        NONE = "", _("revoked in the portal")
        REMOVED_IN_APP = "removed_in_app", _("removed in the ButterflyMX app")

    class Status(models.TextChoices):
        PENDING = "pending", _("Being created")
        ACTIVE = "active", _("Created")
        FAILED = "failed", _("Failed")
        REVOKED = "revoked", _("Revoked")

    # The ButterflyMX keychain type each kind is created as.
    BMX_KIND: dict[str, str] = {  # by kind (a Kind is a str)
        Kind.CUSTOM: "custom",
        Kind.FULL_DAY: "custom",
        Kind.RECURRING: "recurring",
        Kind.BUSINESS_HOURS: "recurring",
        Kind.ONE_TIME: "one_time",
        Kind.DELIVERY: "delivery_pass",
    }

    kind = models.CharField(max_length=16, choices=Kind.choices, verbose_name=_("kind"))
    name = models.CharField(max_length=120, verbose_name=_("name"))
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="passes", verbose_name=_("building"))
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="passes", verbose_name=_("unit"))
    residency = models.ForeignKey(
        Residency, null=True, blank=True, on_delete=models.SET_NULL, related_name="passes", verbose_name=_("residency")
    )
    # The ButterflyMX tenant a pass was made for by staff when that tenant has no portal account (no
    # residency): the pass's pages name them.
    tenant = models.ForeignKey(
        TenantRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="passes", verbose_name=_("tenant")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="passes_created",
        verbose_name=_("created by"),
    )
    # The ButterflyMX account the keychain was made with (revocation and refreshes use it first).
    link = models.ForeignKey(
        BmxLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="passes", verbose_name=_("link")
    )
    starts_at = models.DateTimeField(verbose_name=_("starts at"))
    ends_at = models.DateTimeField(verbose_name=_("ends at"))
    # Recurring passes: building-local dates and daily window.
    start_date = models.DateField(null=True, blank=True, verbose_name=_("start date"))
    end_date = models.DateField(null=True, blank=True, verbose_name=_("end date"))
    time_from = models.TimeField(null=True, blank=True, verbose_name=_("time from"))
    time_to = models.TimeField(null=True, blank=True, verbose_name=_("time to"))
    weekdays = models.JSONField(default=list, blank=True, verbose_name=_("weekdays"))
    doors = models.ManyToManyField(AccessPoint, related_name="passes", blank=True, verbose_name=_("doors"))
    recipients = models.JSONField(default=list, blank=True, verbose_name=_("recipients"))
    bmx_keychain_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("ButterflyMX keychain ID"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, verbose_name=_("status"))
    failure = models.TextField(
        blank=True, help_text=_("Why the pass is marked failed, in words for its owner."), verbose_name=_("failure")
    )
    # Use counters summed over the keys, refreshed from ButterflyMX; they make the list filterable.
    use_count = models.PositiveIntegerField(default=0, verbose_name=_("use count"))
    first_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("first used at"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))
    usage_refreshed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("usage refreshed at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    # Why a pass is revoked when nobody revoked it in the portal: the reconcile found its keychain gone.
    revoked_reason = models.CharField(
        max_length=32, choices=RevokedReason.choices, default="", blank=True, verbose_name=_("revoked reason")
    )
    # Where the keychain was made: the portal, or the ButterflyMX app (then found by the reconcile).
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.PORTAL, verbose_name=_("origin"))
    # "Tell me when a visitor uses this pass" (portal.alerts.arrivals): the host's choice of ways, beyond
    # their open pages, to be told. Neither ticked: no arrival notice at all.
    arrival_push = models.BooleanField(
        default=False, help_text=_("Tell the host by push when a visitor uses it."), verbose_name=_("arrival push")
    )
    arrival_email = models.BooleanField(
        default=False, help_text=_("Tell the host by e-mail when a visitor uses it."), verbose_name=_("arrival email")
    )
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by", verbose_name=_("replaces")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = RestrictedQuerySet.as_manager()  # restrict(grants): tenants.scope's rule

    class Meta:
        verbose_name = _("pass")
        verbose_name_plural = _("passes")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "status", "ends_at"], name="pass_unit_status_ends"),
            models.Index(fields=["building", "status", "ends_at"], name="pass_building_status_ends"),
            models.Index(fields=["status", "usage_refreshed_at"], name="pass_status_refreshed"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["bmx_keychain_id"],
                condition=models.Q(bmx_keychain_id__isnull=False),
                name="one_pass_per_keychain",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def from_bmx_app(self) -> bool:
        return self.origin == self.Origin.BMX_APP

    @property
    def tells_arrivals(self) -> bool:
        return self.arrival_push or self.arrival_email

    @property
    def is_recurring(self) -> bool:
        return self.kind in (self.Kind.RECURRING, self.Kind.BUSINESS_HOURS)

    @property
    def tz(self):
        return self.building.tz

    def failure_words(self) -> str:
        """Why the pass is failed, in the reader's language, from what is left of it at ButterflyMX (the
        stored ``failure`` is the record, in English, with ButterflyMX's own words)."""
        if self.bmx_keychain_id is None:
            return gettext("The pass could not be completed; nothing is left at ButterflyMX. Retry or remove it.")
        return gettext(
            "The pass could not be completed and ButterflyMX did not let us remove it yet. It may still open "
            "doors: choose Retry or Remove."
        )

    def state(self, now: dt.datetime | None = None) -> str:
        """What a person sees: failed, pending, revoked, upcoming, active, used or expired."""
        now = now or timezone.now()
        if self.status != self.Status.ACTIVE:
            return self.status
        grace = GRACE.get(self.kind)
        if grace and self.first_used_at is not None:
            return "active" if now <= self.first_used_at + grace else "used"
        if now < self.starts_at:
            return "upcoming"
        if now >= self.ends_at:
            return "expired"
        return "active"

    @property
    def is_all_day(self) -> bool:
        """A recurring pass whose daily window is the whole day (00:00 to 23:59)."""
        return (self.time_from, self.time_to) == (dt.time(0, 0), dt.time(23, 59))

    @property
    def every_day(self) -> bool:
        return all(d in (self.weekdays or []) for d in WEEKDAYS)

    @property
    def weekday_labels(self) -> str:
        """The pass's days in the language being rendered: "Every day", "Mon–Fri", or "Mon, Wed"."""
        days = [d for d in WEEKDAYS if d in (self.weekdays or [])]
        if len(days) == 7:
            return gettext("Every day")
        if days == list(WEEKDAYS[:5]):
            return pgettext("weekdays", "Mon–Fri")
        return ", ".join(weekday_name(d) for d in days)


class VisitorKey(models.Model):
    """One visitor's credential (a ButterflyMX virtual key): their own QR code, PIN and guest link."""

    pass_obj = models.ForeignKey(
        Pass, on_delete=models.CASCADE, related_name="keys", db_column="pass_id", verbose_name=_("pass")
    )
    name = models.CharField(max_length=120, verbose_name=_("name"))
    email = models.EmailField(blank=True, verbose_name=_("email"))
    phone = models.CharField(max_length=32, blank=True, verbose_name=_("phone"))
    bmx_virtual_key_id = models.BigIntegerField(
        null=True, blank=True, unique=True, verbose_name=_("ButterflyMX virtual key ID")
    )
    # Secrets as ButterflyMX returns them: whoever holds them can open a door.
    pin = EncryptedTextField(blank=True, verbose_name=_("PIN"))
    qr_code_url = EncryptedTextField(blank=True, verbose_name=_("QR code URL"))
    instructions_url = EncryptedTextField(blank=True, verbose_name=_("instructions URL"))
    share_token = EncryptedTextField(blank=True, verbose_name=_("share token"))
    share_token_hash = models.CharField(max_length=64, unique=True, verbose_name=_("share token hash"))
    usage_count = models.PositiveIntegerField(default=0, verbose_name=_("usage count"))
    first_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("first used at"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    # The host removed this one visitor (``DELETE /v4/virtual_keys/{id}``) while the pass's other keys
    # go on working: the row stays for history, without the secrets (passes/key_removal.py).
    removed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("removed at"))
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("removed by"),
    )

    class Meta:
        verbose_name = _("visitor key")
        verbose_name_plural = _("visitor keys")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    def set_share_token(self) -> str:
        token = new_share_token()
        self.share_token = token
        self.share_token_hash = hash_share_token(token)
        return token

    @property
    def contact(self) -> str:
        return self.email or self.phone

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None

    @property
    def contact_note(self) -> str:
        """What the pass page says after the visitor's name: the contact, unless it is the name itself (a
        visitor given only as a phone number or an e-mail address), and whether ButterflyMX sent the pass."""
        parts = [self.contact] if self.contact and self.contact != self.name else []
        if self.sent_at:
            parts.append(gettext("notified by ButterflyMX"))
        return ", ".join(parts)
