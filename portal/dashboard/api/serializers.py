"""API shapes of doors, their state, and releases."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.api.schema import ErrorSerializer

from ..models import DoorRelease
from ..services import UNIT_DOOR_REASON_REQUIRED

WITHHELD = (
    " Null when the caller may not see it: residents see who released, why and for whom only for their own releases."
)


class DoorReleaseSerializer(serializers.ModelSerializer):
    door = serializers.IntegerField(source="door_id")
    building = serializers.IntegerField(source="building_id")
    requested_by = serializers.EmailField(
        source="requested_by.email", default=None, allow_null=True, help_text="Who released the door." + WITHHELD
    )
    reason = serializers.CharField(allow_null=True, help_text="Why, as they typed it." + WITHHELD)
    for_label = serializers.CharField(allow_null=True, help_text="Whom the release was for." + WITHHELD)
    device = serializers.CharField(
        source="device.name",
        default=None,
        allow_null=True,
        help_text="The device the release went through (a unit's smart lock, by ButterflyMX's device_id); null: "
        "the door was released by itself.",
    )

    class Meta:
        model = DoorRelease
        fields = [
            "id",
            "building",
            "door",
            "requested_by",
            "requested_by_role",
            "reason",
            "for_label",
            "device",
            "status",
            "error",
            "requested_at",
            "completed_at",
        ]
        read_only_fields = fields


class DoorStateSerializer(serializers.Serializer):
    """A door on the board: what it is, what happened last, and its release state."""

    id = serializers.IntegerField(source="door.pk")
    name = serializers.CharField(source="door.name")
    building = serializers.IntegerField(source="door.building_id")
    devices = serializers.SerializerMethodField()
    state = serializers.CharField(
        source="kind",
        help_text="The last release's state, for as long as it is the door's last release: idle (never "
        "released through the portal), sending, released (pending confirmation), unknown (no answer, waiting "
        "for the log), confirmed, not_confirmed or failed (portal.dashboard.confirmation).",
    )
    state_label = serializers.CharField(source="label")
    confirmed_at = serializers.DateTimeField(
        source="confirmed_entry.logged_at",
        default=None,
        allow_null=True,
        help_text="When ButterflyMX logged the entry that confirms the last release (state `confirmed`).",
    )
    last_event_at = serializers.DateTimeField(source="last_entry.logged_at", default=None, allow_null=True)
    last_event_method = serializers.CharField(
        source="last_entry.get_release_method_display", default=None, allow_null=True
    )
    last_event_person = serializers.CharField(source="last_entry.person_name", default=None, allow_null=True)
    last_release = serializers.SerializerMethodField(
        help_text="The last release the caller may see: residents see only their own units' releases."
    )
    open_hours = serializers.ListField(
        source="door.open_hours",
        child=serializers.DictField(),
        help_text="The door's open hours (unlocked for everyone) as ButterflyMX schedule items "
        '`{"weekdays": ["mon", ...], "from": "HH:MM", "to": "HH:MM"}` in the building\'s wall time; empty: none.',
    )
    open_hours_now = serializers.CharField(
        source="hours_text",
        help_text='What the open hours say now, in the building\'s zone: "Unlocked until 18:00", '
        '"Locked · unlocks 08:00 Mon"; empty without open hours.',
    )
    release_device = serializers.CharField(
        source="release_device.name",
        default=None,
        allow_null=True,
        help_text="A unit's smart lock is released through this device (ButterflyMX's device_id), which opens "
        "every door of the device; null: the door is released by itself.",
    )

    def get_devices(self, state) -> list[str]:
        return [device.name for device in state.door.devices.all()]

    @extend_schema_field(DoorReleaseSerializer(allow_null=True))
    def get_last_release(self, state) -> dict | None:
        if state.last_release is None:
            return None
        data = DoorReleaseSerializer(state.last_release).data
        if not state.release_detail:  # staff e-mails, reasons and for-whom labels are for staff and managers
            data.update(requested_by=None, reason=None, for_label=None)
        return data


class ReleaseRequestSerializer(serializers.Serializer):
    """``context["reason_required"]``: staff releasing a resident's unit door must give a reason."""

    reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why. Required from staff and managers for a resident's unit door.",
    )
    for_tenant = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="A TenantRecord id of the door's building"
    )

    def validate_reason(self, value: str) -> str:
        if self.context.get("reason_required") and not value.strip():
            raise serializers.ValidationError(UNIT_DOOR_REASON_REQUIRED, code="reason_required")
        return value


class ReleaseFailedSerializer(ErrorSerializer):
    """502/504: the error shape plus the release as recorded (its ``error`` and ``status``)."""

    release = DoorReleaseSerializer()
