"""Local copies of a building's access log (door releases) and call log, and the state of their sync.

ButterflyMX is the source of truth (contract §4.10, §4.11); these tables are a cache the portal can
filter, page, export and chart without calling ButterflyMX. Rows are unique per building and remote
id, so every sync is an idempotent upsert: re-reading a page twice never duplicates anything.

Snapshot URLs are public, unsigned S3 links: whoever holds one sees the picture, so they are
encrypted at rest and removed from the raw record we keep.
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.core.crypto import EncryptedTextField
from tenants.models import AccessPoint, BmxLink, Building, Device, RestrictedQuerySet, Unit


class ReleaseMethod(models.TextChoices):
    """One code set for both forms of ``entry_method`` (display text and object, contract §5)."""

    SWIPE_TO_OPEN = "swipe_to_open", _("Swipe to open")
    APP_CALL = "front_door_view", _("App call")
    API = "api", _("API")
    VISITOR_QR = "qr_code", _("Visitor pass (QR code)")
    VISITOR_PIN = "virtual_key_pin", _("Visitor pass (PIN)")
    DELIVERY_PASS = "delivery_pass", _("Delivery pass")
    REMOTE_DOORMAN = "remote_doorman", _("Remote doorman")
    ACCESS_TOOL = "access_tool", _("Resident PIN or fob")
    KEYCHAIN = "keychain", _("Keychain")
    BLUETOOTH = "bluetooth", _("Bluetooth")
    SCHEDULE = "schedule", _("Open-hours schedule")
    OTHER = "other", _("Other")


class Stream(models.TextChoices):
    ACCESS = "access", _("Access log")
    CALLS = "calls", _("Calls")


class LogQuerySet(RestrictedQuerySet):
    """Entries and calls: ``restrict(grants)`` (tenants.scope's rule), and whether each has a snapshot."""

    def with_has_snapshot(self) -> Self:
        """Annotates ``has_snapshot``, the one definition of "has a snapshot": a snapshot URL was stored.
        Computed by the database, so a list says yes or no without the (public) URL leaving it."""
        return self.annotate(has_snapshot=HAS_SNAPSHOT)


HAS_SNAPSHOT = models.ExpressionWrapper(~models.Q(snapshot_url=""), output_field=models.BooleanField())


class AccessLogEntry(models.Model):
    """One door event at a building (§4.10), as last read from ButterflyMX."""

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="access_log_entries", verbose_name=_("building")
    )
    remote_id = models.BigIntegerField(verbose_name=_("remote ID"))
    logged_at = models.DateTimeField(verbose_name=_("logged at"))
    release_method = models.CharField(max_length=24, choices=ReleaseMethod.choices, verbose_name=_("release method"))
    # The entry method as it came: the display text ("Swipe to open"), or for the object form the
    # kind and id of the key ({"access_tool": 8432576} -> "access_tool", 8432576).
    entry_method_text = models.CharField(max_length=100, blank=True, verbose_name=_("entry method text"))
    entry_method_ref = models.BigIntegerField(null=True, blank=True, verbose_name=_("entry method ref"))
    release_type = models.CharField(
        max_length=16, blank=True, verbose_name=_("release type")
    )  # Tenant | Visitor | Delivery | ""
    release_status = models.CharField(max_length=16, blank=True, verbose_name=_("release status"))  # Unlocked | Locked
    door = models.ForeignKey(
        AccessPoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("door")
    )
    door_bmx_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("door ButterflyMX ID"))
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("unit")
    )
    unit_bmx_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("unit ButterflyMX ID"))
    unit_label = models.CharField(
        max_length=64, blank=True, verbose_name=_("unit label")
    )  # denormalised for the prefix search and CSV
    tenant_bmx_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("tenant ButterflyMX ID"))
    person_name = models.CharField(max_length=200, blank=True, verbose_name=_("person name"))
    snapshot_url = EncryptedTextField(blank=True, verbose_name=_("snapshot URL"))
    raw = models.JSONField(default=dict, verbose_name=_("raw"))  # the record as received, minus the snapshot URL
    synced_at = models.DateTimeField(verbose_name=_("synced at"))

    objects = LogQuerySet.as_manager()

    class Meta:
        verbose_name = _("access-log entry")
        verbose_name_plural = _("access-log entries")
        ordering = ["-logged_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["building", "remote_id"], name="log_unique_remote_id_per_building"),
        ]
        indexes = [
            # Keyset pages: (building, logged_at, id) newest first; the other filters narrow within it.
            models.Index(fields=["building", "-logged_at", "-id"], name="log_bldg_time"),
            models.Index(fields=["building", "release_method", "-logged_at", "-id"], name="log_bldg_method_time"),
            models.Index(fields=["door", "-logged_at", "-id"], name="log_door_time"),
            # Residents browse their unit.
            models.Index(fields=["unit", "-logged_at", "-id"], name="log_unit_time"),
            # A manager of many buildings browses them all at once (``building_id IN (...)``): PostgreSQL
            # cannot merge one index range per building in order, so without this it sorts every row of
            # those buildings (585 ms for 1.2M rows, bench_log_growth); with it, it walks newest first and
            # checks the building in the index (0.05 ms). The retention prune (logs.retention) deletes
            # oldest first through it too. Migration 0004 builds it CONCURRENTLY on PostgreSQL.
            models.Index(fields=["-logged_at", "-id", "building"], name="log_time_bldg"),
        ]

    def __str__(self) -> str:
        return f"{self.building_id} · {self.remote_id} · {self.logged_at:%Y-%m-%d %H:%M}"


class RingState(models.TextChoices):
    """Where a call's incoming-call panel stands in the portal ("" = never rang here)."""

    NONE = "", _("Not rung")
    RINGING = "ringing", _("Ringing")
    ENDED = "ended", _("Ended")  # ButterflyMX ended it, or the ring window passed
    ANSWERED = "answered", _("Answered (door opened)")
    DECLINED = "declined", _("Declined")


# ButterflyMX's call statuses (contract §4.11) in the words every page says them: the call lists, the
# CSV, the charts, the home page's "Recent calls", the Outcome filter and the notification that closes a
# call's ring. One mapping, so no two places name one outcome differently.
CALL_STATUS_LABELS = {
    "opened_door": _("Opened the door"),
    "canceled": _("Canceled"),
    "rejected": _("Declined"),
    "timeout_online_signal": _("Not answered"),
    "voip_rollover": _("Rolled over to phone"),
    "initializing": _("Ringing"),
    "connecting_sip": _("Connecting"),
}


def call_status_label(status: str | None) -> str:
    """A call's status in words ("opened_door" -> "Opened the door"); an unknown code stays readable and an
    empty one is ``""`` (the page decides how to show "no status yet")."""
    if not status:
        return ""
    label = CALL_STATUS_LABELS.get(status)
    return str(label) if label is not None else status.replace("_", " ").capitalize()


class CallRecord(models.Model):
    """One intercom call at a building (§4.11)."""

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="call_records", verbose_name=_("building")
    )
    remote_id = models.BigIntegerField(verbose_name=_("remote ID"))
    logged_at = models.DateTimeField(verbose_name=_("logged at"))
    notification_type = models.CharField(
        max_length=16, blank=True, verbose_name=_("notification type")
    )  # visitor | delivery
    status = models.CharField(
        max_length=32, blank=True, verbose_name=_("status")
    )  # initializing, opened_door, canceled, ...
    recipient_type = models.CharField(max_length=16, blank=True, verbose_name=_("recipient type"))
    recipient_bmx_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("recipient ButterflyMX ID"))
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("unit")
    )
    unit_bmx_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("unit ButterflyMX ID"))
    unit_label = models.CharField(max_length=64, blank=True, verbose_name=_("unit label"))
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("device")
    )
    device_bmx_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("device ButterflyMX ID"))
    device_name = models.CharField(max_length=200, blank=True, verbose_name=_("device name"))
    snapshot_url = EncryptedTextField(blank=True, verbose_name=_("snapshot URL"))
    raw = models.JSONField(default=dict, verbose_name=_("raw"))
    synced_at = models.DateTimeField(verbose_name=_("synced at"))
    # The incoming-call panel (logs.calls): whether the portal rang this call on its people's pages and
    # how that ended. Written only by logs.calls' conditional updates (never by the sync's upsert), so a
    # repeated webhook or a second worker cannot ring a call twice.
    # Database defaults: the sync's upsert (raw SQL, logs.upsert) inserts calls without these columns.
    ring_state = models.CharField(
        max_length=16, choices=RingState.choices, blank=True, db_default="", verbose_name=_("ring state")
    )
    ring_started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ring started at"))
    ring_until = models.DateTimeField(
        null=True, blank=True, verbose_name=_("ring until")
    )  # the ring window's end (ButterflyMX's ~40 s)
    ring_ended_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ring ended at"))
    ring_end_reason = models.CharField(
        max_length=32, blank=True, db_default="", verbose_name=_("ring end reason")
    )  # the final status, or "timeout"
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("handled by"),
    )

    objects = LogQuerySet.as_manager()

    class Meta:
        verbose_name = _("call record")
        verbose_name_plural = _("call records")
        ordering = ["-logged_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["building", "remote_id"], name="call_unique_remote_id_per_building"),
        ]
        indexes = [
            models.Index(fields=["building", "-logged_at", "-id"], name="call_bldg_time"),
            models.Index(fields=["building", "status", "-logged_at", "-id"], name="call_bldg_status_time"),
            models.Index(fields=["unit", "-logged_at", "-id"], name="call_unit_time"),
            models.Index(fields=["-logged_at", "-id", "building"], name="call_time_bldg"),  # as log_time_bldg
            # Ringing calls: what a page that opens during a call shows, and the ring pass's expiry.
            models.Index(
                fields=["building", "ring_until"], name="call_ringing", condition=models.Q(ring_state="ringing")
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(building)s · call %(id)s") % {"building": self.building_id, "id": self.remote_id}

    @property
    def status_label(self) -> str:
        return call_status_label(self.status)


class CallWatch(models.Model):
    """A building's incoming-call passes (logs.calls): one pending pass of each kind, never a queue.

    ``ring_claimed_at``: a pass is queued because a call webhook arrived (cleared when it starts, so a
    delivery during a pass queues the next one). ``poll_due_at``: a pass is queued to follow the
    building's ringing calls (their status, their ring window) until none is left ringing.
    """

    building = models.OneToOneField(
        Building, on_delete=models.CASCADE, related_name="call_watch", verbose_name=_("building")
    )
    ring_claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ring claimed at"))
    poll_due_at = models.DateTimeField(null=True, blank=True, verbose_name=_("poll due at"))

    class Meta:
        verbose_name = _("call watch")
        verbose_name_plural = _("call watches")

    def __str__(self) -> str:
        return gettext("Calls of %(building)s") % {"building": self.building}


class SyncCursor(models.Model):
    """Where the sync of one building's stream stands, and whether it is healthy.

    ``high_water`` is the newest ``logged_at`` fully read; the next incremental walk starts an overlap
    window before it (entries can show up late). It only moves when a walk completed, so a killed
    worker re-reads rather than skips. The lease, claim and backoff fields are explained in
    :mod:`logs.sync`.
    """

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="log_sync_cursors", verbose_name=_("building")
    )
    stream = models.CharField(max_length=8, choices=Stream.choices, verbose_name=_("stream"))
    # None: the building's own stream, read with its building-admin link. A resident's tenant link: that
    # resident's own view of the stream (a tenant token lists only its own activity, contract §3.6),
    # walked only while the building has no building-admin link (logs.tenant_streams). Unlinking deletes
    # these cursors; the rows they stored stay (they are the building's rows, unique per remote id).
    link = models.ForeignKey(
        BmxLink,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="log_sync_cursors",
        verbose_name=_("link"),
    )
    high_water = models.DateTimeField(null=True, blank=True, verbose_name=_("high water"))
    last_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last attempt at"))
    last_success_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last success at"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    last_error_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last error at"))
    rows_synced = models.BigIntegerField(default=0, verbose_name=_("rows synced"))
    last_run_rows = models.IntegerField(default=0, verbose_name=_("last run rows"))
    # Backfill of history, newest chunk first: from ``backfill_until`` back to ``backfill_from``, done
    # back to ``backfill_reached``.
    backfill_from = models.DateTimeField(null=True, blank=True, verbose_name=_("backfill from"))
    backfill_until = models.DateTimeField(null=True, blank=True, verbose_name=_("backfill until"))
    backfill_reached = models.DateTimeField(null=True, blank=True, verbose_name=_("backfill reached"))
    backfill_finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("backfill finished at"))
    # The walk's lease: whoever holds an unexpired lease runs the incremental walk; the holder's heartbeat
    # renews it every few seconds, so a killed worker's lease expires within LOGS_SYNC_LEASE_S.
    lease_owner = models.CharField(max_length=64, blank=True, verbose_name=_("lease owner"))
    lease_expires_at = models.DateTimeField(null=True, blank=True, verbose_name=_("lease expires at"))
    # The walk's claim ("queued at"): a walk task is queued, due at this time. Beat, webhook nudges, the
    # watchdog and retries all take it before enqueueing, and the task clears it when it starts, so a
    # building's stream has at most one pending walk (never a growing queue).
    sync_requested_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sync requested at"))
    # Set by a walk task that found the lease held: the holder walks again after its own walk (a nudge
    # that arrives mid-walk is never dropped).
    walk_again = models.BooleanField(default=False, verbose_name=_("walk again"))
    # Set by a beat tick that found this stream's walk still waiting in the queue (the workers are behind:
    # a cycle takes longer than the interval). That walk queues the next one at the back of the queue when
    # it ends, so the building is walked once per cycle instead of waiting for the tick after next.
    tick_missed = models.BooleanField(default=False, verbose_name=_("tick missed"))
    # History work (backfill chunks, late-entry re-scans) has a lease and a claim of its own, so the
    # incremental walk keeps running while the building backfills.
    history_owner = models.CharField(max_length=64, blank=True, verbose_name=_("history owner"))
    history_expires_at = models.DateTimeField(null=True, blank=True, verbose_name=_("history expires at"))
    history_queued_at = models.DateTimeField(null=True, blank=True, verbose_name=_("history queued at"))
    history_chunk_s = models.IntegerField(
        null=True, blank=True, verbose_name=_("history chunk (s)")
    )  # adapted chunk length, kept across slices
    # Rolling re-scan of a longer window for entries that reach ButterflyMX late, newest chunk first
    # from ``rescan_until`` back to ``rescan_from``, done back to ``rescan_reached`` (None: none running).
    rescan_from = models.DateTimeField(null=True, blank=True, verbose_name=_("rescan from"))
    rescan_until = models.DateTimeField(null=True, blank=True, verbose_name=_("rescan until"))
    rescan_reached = models.DateTimeField(null=True, blank=True, verbose_name=_("rescan reached"))
    rescan_planned_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("rescan planned at")
    )  # the last re-scan was planned then
    deep_rescan_planned_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("deep rescan planned at")
    )  # ... and the last deep one
    # Per-building backoff after errors (a broken link, an API answering errors): beat skips the stream
    # until ``next_attempt_at``; the wait doubles with each failure in a row.
    error_streak = models.IntegerField(default=0, verbose_name=_("error streak"))
    next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next attempt at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("sync cursor")
        verbose_name_plural = _("sync cursors")
        constraints = [
            models.UniqueConstraint(
                fields=["building", "stream"],
                condition=models.Q(link__isnull=True),
                name="one_cursor_per_building_stream",
            ),
            models.UniqueConstraint(
                fields=["building", "stream", "link"],
                condition=models.Q(link__isnull=False),
                name="one_cursor_per_tenant_stream",
            ),
        ]

    def __str__(self) -> str:
        words = {"building": self.building, "stream": self.get_stream_display(), "link": self.link_id}
        if self.link_id:
            return gettext("%(building)s · %(stream)s · link %(link)s") % words
        return gettext("%(building)s · %(stream)s") % words

    @property
    def backfill_percent(self) -> int | None:
        """How much of the history backfill is done, 0..100; None when there is none."""
        if not (self.backfill_from and self.backfill_until):
            return None
        if self.backfill_finished_at:
            return 100
        total = (self.backfill_until - self.backfill_from).total_seconds()
        reached = self.backfill_reached or self.backfill_until
        done = (self.backfill_until - reached).total_seconds()
        return max(0, min(100, int(100 * done / total))) if total > 0 else 100


class WebhookEndpoint(models.Model):
    """The per-building webhook URL's secret (hashed) and the ButterflyMX integrations pointing at it."""

    class Failure(models.TextChoices):
        NONE = "", _("None")
        TRANSIENT = "transient", _("Transient (retried with backoff)")
        PERMANENT = "permanent", _("Refused by ButterflyMX (not retried)")

    building = models.OneToOneField(
        Building, on_delete=models.CASCADE, related_name="log_webhook", verbose_name=_("building")
    )
    secret_hash = models.CharField(max_length=64, verbose_name=_("secret hash"))  # SHA-256 of a 256-bit random secret
    # Our integrations at ButterflyMX, by resource type (``{"call": "17", "access_log": "18"}``): a change
    # of address updates each one in place (PUT) with its own binding.
    integrations = models.JSONField(default=dict, blank=True, verbose_name=_("integrations"))
    # Resource types ButterflyMX refused to bind (``{"access_log": "why"}``): those streams are carried by
    # polling alone, and the sync health page says so.
    refused = models.JSONField(default=dict, blank=True, verbose_name=_("refused"))
    registered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("registered at"))
    # The address (``LOGS_WEBHOOK_BASE_URL``) the integrations point at, or were last tried with: when the
    # portal's address changes (another PORT, a new PORTAL_SITE_URL), beat updates the registrations.
    base_url = models.CharField(max_length=300, blank=True, verbose_name=_("base URL"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    last_delivery_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last delivery at"))
    # Registration retries (logs.registration): what kind of failure the last attempt met, how many
    # transient ones in a row, when the next is due, and the one pending attempt's token (a task whose
    # token is no longer the endpoint's does nothing: never two attempts, never a growing queue).
    failure = models.CharField(
        max_length=16, choices=Failure.choices, blank=True, default="", verbose_name=_("failure")
    )
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    retry_at = models.DateTimeField(null=True, blank=True, verbose_name=_("retry at"))
    pending_token = models.CharField(max_length=32, blank=True, verbose_name=_("pending token"))
    pending_until = models.DateTimeField(null=True, blank=True, verbose_name=_("pending until"))

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return gettext("Webhooks of %(building)s") % {"building": self.building}


class WebhookDelivery(models.Model):
    """A POST to a webhook URL, stored once: accepted nudges, and rejected bodies kept for inspection.

    ``dedupe_key`` names the delivery (its event and id for an accepted one, a hash of the body for a
    rejected one); a repeat of a key stores nothing (unique constraint, ``ON CONFLICT DO NOTHING``).
    Rows older than ``LOGS_WEBHOOK_RETENTION_DAYS`` are pruned by beat (``logs.tasks``).
    """

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted (sync requested)")
        DUPLICATE = "duplicate", _("Duplicate (ignored)")  # rows of earlier versions; no longer written
        REJECTED = "rejected", _("Rejected")

    building = models.ForeignKey(
        Building,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="log_webhook_deliveries",
        verbose_name=_("building"),
    )
    received_at = models.DateTimeField(auto_now_add=True, verbose_name=_("received at"))
    outcome = models.CharField(max_length=16, choices=Outcome.choices, verbose_name=_("outcome"))
    status_code = models.PositiveSmallIntegerField(verbose_name=_("status code"))
    style = models.CharField(
        max_length=32, blank=True, verbose_name=_("style")
    )  # documented.door_release, legacy.call_create, ...
    dedupe_key = models.CharField(max_length=128, null=True, blank=True, verbose_name=_("dedupe key"))
    error = models.CharField(max_length=300, blank=True, verbose_name=_("error"))
    body = models.TextField(blank=True, verbose_name=_("body"))  # truncated, snapshot URLs redacted

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-received_at"]
        constraints = [
            # NULL keys (rows of earlier versions) never conflict.
            models.UniqueConstraint(fields=["building", "dedupe_key"], name="webhook_delivery_once"),
        ]
        indexes = [
            models.Index(fields=["building", "-received_at"], name="webhook_bldg_time"),
            models.Index(fields=["received_at"], name="webhook_received_at"),  # pruning
        ]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M:%S} · {self.outcome}"


class TenantWebhook(models.Model):
    """A resident's own webhook integrations at ButterflyMX (``/v4/tenants/{id}/integrations``) for one
    tenancy in a building that has no building-admin link, and the secret (hashed) of their URL.

    ButterflyMX sends a tenant integration the events of that tenant's unit (contract §6.2); a delivery
    nudges the walk of that resident's own streams (logs.tenant_streams). Registered with the resident's
    own token, removed when they unlink or when the building gets its building-admin link.
    """

    class Failure(models.TextChoices):
        NONE = "", _("None")
        TRANSIENT = "transient", _("Transient (retried by beat)")
        PERMANENT = "permanent", _("Refused by ButterflyMX (not retried)")

    link = models.ForeignKey(
        BmxLink, on_delete=models.CASCADE, related_name="log_tenant_webhooks", verbose_name=_("link")
    )
    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="log_tenant_webhooks", verbose_name=_("building")
    )
    tenant_bmx_id = models.BigIntegerField(verbose_name=_("tenant ButterflyMX ID"))
    secret_hash = models.CharField(
        max_length=64, blank=True, verbose_name=_("secret hash")
    )  # SHA-256 of a 256-bit random secret
    integrations = models.JSONField(
        default=dict, blank=True, verbose_name=_("integrations")
    )  # {"call": "17", "access_log": "18"}
    refused = models.JSONField(
        default=dict, blank=True, verbose_name=_("refused")
    )  # resource types ButterflyMX refused: polled only
    base_url = models.CharField(max_length=300, blank=True, verbose_name=_("base URL"))
    registered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("registered at"))
    failure = models.CharField(
        max_length=16, choices=Failure.choices, blank=True, default="", verbose_name=_("failure")
    )
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    last_delivery_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last delivery at"))

    class Meta:
        verbose_name = _("tenant webhook")
        verbose_name_plural = _("tenant webhooks")
        constraints = [
            models.UniqueConstraint(fields=["link", "tenant_bmx_id"], name="one_tenant_webhook_per_tenancy"),
        ]

    def __str__(self) -> str:
        return gettext("Webhooks of tenant %(tenant)s (%(building)s)") % {
            "tenant": self.tenant_bmx_id,
            "building": self.building,
        }
