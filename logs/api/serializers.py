from rest_framework import serializers
from rest_framework.reverse import reverse

from ..models import AccessLogEntry, CallRecord


class AccessLogEntrySerializer(serializers.ModelSerializer):
    building = serializers.CharField(source="building.name", read_only=True)
    door = serializers.CharField(source="door.name", default="", read_only=True)
    release_method_label = serializers.CharField(source="get_release_method_display", read_only=True)
    snapshot = serializers.SerializerMethodField(help_text="A scoped redirect to the snapshot, never the S3 link.")

    class Meta:
        model = AccessLogEntry
        fields = [
            "id",
            "building_id",
            "building",
            "remote_id",
            "logged_at",
            "release_method",
            "release_method_label",
            "entry_method_text",
            "release_type",
            "release_status",
            "door_id",
            "door",
            "unit_id",
            "unit_label",
            "person_name",
            "snapshot",
        ]

    def get_snapshot(self, obj) -> str | None:
        if not getattr(obj, "has_snapshot", False):
            return None
        return reverse("logs:snapshot", args=[obj.pk], request=self.context.get("request"))


class CallRecordSerializer(serializers.ModelSerializer):
    building = serializers.CharField(source="building.name", read_only=True)

    class Meta:
        model = CallRecord
        fields = [
            "id",
            "building_id",
            "building",
            "remote_id",
            "logged_at",
            "notification_type",
            "status",
            "recipient_type",
            "unit_id",
            "unit_label",
            "device_id",
            "device_name",
        ]
