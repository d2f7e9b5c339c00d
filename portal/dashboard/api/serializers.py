"""API shapes of doors, their state, and releases."""

from __future__ import annotations

from rest_framework import serializers

from portal.api.schema import ErrorSerializer

from ..models import DoorRelease


class DoorReleaseSerializer(serializers.ModelSerializer):
    door = serializers.IntegerField(source="door_id")
    building = serializers.IntegerField(source="building_id")
    requested_by = serializers.EmailField(source="requested_by.email", default=None, allow_null=True)

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
    state = serializers.CharField(source="kind")
    state_label = serializers.CharField(source="label")
    last_event_at = serializers.DateTimeField(source="last_entry.logged_at", default=None, allow_null=True)
    last_event_method = serializers.CharField(
        source="last_entry.get_release_method_display", default=None, allow_null=True
    )
    last_event_person = serializers.CharField(source="last_entry.person_name", default=None, allow_null=True)
    last_release = DoorReleaseSerializer(default=None, allow_null=True)

    def get_devices(self, state) -> list[str]:
        return [device.name for device in state.door.devices.all()]


class ReleaseRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    for_tenant = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="A TenantRecord id of the door's building"
    )


class ReleaseFailedSerializer(ErrorSerializer):
    """502/504: the error shape plus the release as recorded (its ``error`` and ``status``)."""

    release = DoorReleaseSerializer()
