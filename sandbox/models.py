"""The sandbox's state: one relational source of truth for accounts, the v4 resources and the logs.

Relationships follow §8 of the contract. A few columns exist only for the simulation (``protected``
flags, ``guid`` and ``release_method`` codes, QR tokens); they never leak into v4 payloads unless the
contract shows them.
"""

from django.db import models


class Setting(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    """Small persisted key/value state: the clock offset and run-time config."""

    key = models.CharField(max_length=64, primary_key=True)
    value = models.JSONField()


class User(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    """An accounts.butterflymx.com login. A user may be a building admin and/or hold tenancies."""

    email = models.CharField(max_length=254, unique=True)
    password = models.CharField(max_length=200, blank=True)  # Django hasher string; "" = cannot log in
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    managed_buildings = models.ManyToManyField("Building", related_name="admins", blank=True)


class Building(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64)
    address = models.JSONField(default=dict)
    delivery_pass_enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class Unit(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="units")
    label = models.CharField(max_length=64)
    floor = models.CharField(max_length=32)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class Tenant(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    """A user's tenancy in one unit (the v4 ``tenant``)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tenancies")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="tenants")
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="tenants")
    contact_preference = models.CharField(max_length=20, default="mobile_app")
    registration_status = models.CharField(max_length=20, default="registered")
    invited_at = models.DateTimeField(null=True)
    confirmation_token = models.CharField(max_length=64, blank=True)
    active_at = models.DateTimeField(null=True)
    inactive_at = models.DateTimeField(null=True)
    notification_preference = models.JSONField(null=True)
    flags = models.JSONField(default=dict)  # qr_key_enabled, delivery_pass_enabled, external_id, ...
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class Device(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="devices")
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=40)
    model = models.CharField(max_length=100, null=True)
    serial_number = models.CharField(max_length=100, null=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class AccessPoint(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="access_points")
    name = models.CharField(max_length=200)
    devices = models.ManyToManyField(Device, related_name="access_points", blank=True)
    open_hours = models.JSONField(default=list)  # [{"weekdays": [...], "from": "HH:MM", "to": "HH:MM"}]
    held_open = models.BooleanField(default=False)  # open-hours unlock in force
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class AccessGroup(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="access_groups")
    name = models.CharField(max_length=200)
    tenants = models.ManyToManyField(Tenant, related_name="access_groups", blank=True)
    units = models.ManyToManyField(Unit, related_name="access_groups", blank=True)
    access_points = models.ManyToManyField(AccessPoint, related_name="access_groups", blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class AccessTool(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    """A permanent credential: a resident PIN, an RFID tag or a vehicle tag."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="access_tools")
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="access_tools")
    type = models.CharField(max_length=20)  # pin | rfid_tag | vehicle
    code = models.CharField(max_length=64)
    protected = models.BooleanField(default=False)  # simulation: DELETE answers 422 is_protected
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class Keychain(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="keychains")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="keychains", null=True)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="keychains")
    type = models.CharField(max_length=30)
    name = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    start_date = models.DateField(null=True)
    end_date = models.DateField(null=True)
    time_from = models.CharField(max_length=5, null=True)
    time_to = models.CharField(max_length=5, null=True)
    weekdays = models.JSONField(null=True)
    allow_unit_access = models.BooleanField(default=False)
    access_point_ids = models.JSONField(default=list)
    device_ids = models.JSONField(default=list)
    protected = models.BooleanField(default=False)  # simulation: DELETE answers 422 failed_to_destroy
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class VirtualKey(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    keychain = models.ForeignKey(Keychain, on_delete=models.CASCADE, related_name="virtual_keys")
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="virtual_keys")
    name = models.CharField(max_length=200)
    email = models.CharField(max_length=254, null=True)
    sms_number = models.CharField(max_length=32, null=True)
    pin_code = models.CharField(max_length=6, null=True)
    token = models.CharField(max_length=64, unique=True)  # QR payload and instructions-page secret
    sent_at = models.DateTimeField(null=True)
    first_used_at = models.DateTimeField(null=True)
    last_used_at = models.DateTimeField(null=True)
    usage_count = models.IntegerField(default=0)
    protected = models.BooleanField(default=False)  # simulation: DELETE answers 422
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class DoorReleaseRequest(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    guid = models.CharField(max_length=36)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE)
    access_point = models.ForeignKey(AccessPoint, on_delete=models.CASCADE, null=True)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, null=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class AccessLog(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    """One door event. Plain integer columns (no FKs) so bulk generation and the page query stay cheap."""

    building_id = models.BigIntegerField()
    logged_at = models.DateTimeField()
    access_point_id = models.BigIntegerField(null=True)
    release_status = models.CharField(max_length=16)
    name = models.CharField(max_length=200, null=True)
    release_type = models.CharField(max_length=16, null=True)
    unit_id = models.BigIntegerField(null=True)
    unit_label = models.CharField(max_length=64, null=True)  # denormalised for the prefix search
    tenant_id = models.BigIntegerField(null=True)
    entry_method = models.CharField(max_length=200, null=True)  # JSON text: a string, an object or null
    release_method = models.CharField(max_length=32, null=True)  # the snake_case filter code
    image_path = models.CharField(max_length=200, null=True)

    class Meta:
        indexes = [
            # ``id`` completes the newest-first order (logged_at DESC, id DESC), so a page is an index scan
            # with LIMIT, not a sort of every matching row.
            models.Index(fields=["building_id", "logged_at", "id"], name="sbx_log_bldg_time"),
            models.Index(fields=["building_id", "release_method", "logged_at", "id"], name="sbx_log_bldg_method_time"),
        ]


class Call(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    building_id = models.BigIntegerField()
    logged_at = models.DateTimeField()
    guid = models.CharField(max_length=36)
    notification_type = models.CharField(max_length=16)
    recipient_type = models.CharField(max_length=16)  # Tenant | Attendant
    recipient_id = models.BigIntegerField(null=True)
    recipient_name = models.CharField(max_length=200, null=True)
    unit_id = models.BigIntegerField(null=True)
    unit_label = models.CharField(max_length=64, null=True)
    device_id = models.BigIntegerField()
    device_name = models.CharField(max_length=200)
    status = models.CharField(max_length=32, null=True)
    image_path = models.CharField(max_length=200, null=True)

    class Meta:
        indexes = [
            models.Index(fields=["building_id", "logged_at", "id"], name="sbx_call_bldg_time"),
        ]


class Integration(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    building = models.ForeignKey(Building, on_delete=models.CASCADE, null=True, related_name="integrations")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, related_name="integrations")
    integrator = models.CharField(max_length=40)
    configuration = models.JSONField()
    bindings = models.JSONField()
    payload_style = models.CharField(max_length=16, default="documented")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class WebhookDelivery(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    """One attempt (or a deliberate drop) of one webhook delivery: the delivery log."""

    delivery_id = models.CharField(max_length=36)  # the same for every attempt of one event
    integration_id = models.BigIntegerField()
    url = models.CharField(max_length=500)
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    attempt = models.IntegerField()
    outcome = models.CharField(max_length=16)  # delivered | failed | dropped
    status_code = models.IntegerField(null=True)
    error = models.CharField(max_length=300, blank=True)
    duplicate = models.BooleanField(default=False)
    created_at = models.DateTimeField()


class PanelNotification(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    """v3 ``POST /v3/notifications/open_door`` or ``/call_ended`` (contract §7): an app telling the panel
    that a call was handled. Kept so tests can see the panel was told (what the panel does then is not
    public: the sandbox changes no call status)."""

    kind = models.CharField(max_length=16)  # open_door | call_ended
    call_id = models.BigIntegerField()
    call_guid = models.CharField(max_length=36)
    source_id = models.BigIntegerField()  # the panel
    user_id = models.BigIntegerField()  # whose token told it
    video = models.BooleanField(default=False)
    audio = models.BooleanField(default=False)
    created_at = models.DateTimeField()


class OAuthClient(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    client_id = models.CharField(max_length=100, unique=True)
    client_secret = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=100)
    redirect_uris = models.JSONField(default=list)
    scopes = models.CharField(max_length=200, default="public")


class OAuthGrant(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    """An authorization code: single use, short-lived, bound to client, redirect URI and PKCE challenge."""

    code = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE)
    user = models.ForeignKey(User, on_delete=models.CASCADE)
    redirect_uri = models.CharField(max_length=500)
    scope = models.CharField(max_length=200)
    code_challenge = models.CharField(max_length=200, blank=True)
    code_challenge_method = models.CharField(max_length=10, blank=True)
    nonce = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True)


class OAuthToken(models.Model):  # noqa: DJ008 - rows are shown as JSON, never str()
    access_token = models.CharField(max_length=600, unique=True)
    refresh_token = models.CharField(max_length=100, unique=True, null=True)
    client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE)
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True)  # null for client_credentials
    scope = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True)
