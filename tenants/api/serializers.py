"""Serializers of the ``/api/me/...`` endpoints."""

from __future__ import annotations

from rest_framework import serializers

from ..models import BmxLink, Residency


class TenancySerializer(serializers.ModelSerializer):
    building = serializers.CharField(source="unit.building.name")
    building_id = serializers.IntegerField(source="unit.building_id")
    unit = serializers.CharField(source="unit.label")
    time_zone = serializers.CharField(source="unit.building.time_zone")

    class Meta:
        model = Residency
        fields = ["id", "building", "building_id", "unit", "time_zone", "is_primary", "bmx_tenant_id"]


class LinkSerializer(serializers.ModelSerializer):
    """Status only: tokens never leave the server."""

    class Meta:
        model = BmxLink
        fields = ["kind", "status", "bmx_email", "expires_at", "refreshed_at", "last_error", "created_at"]


class ProfileSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150, allow_blank=True, required=False, default="")
    phone = serializers.RegexField(r"^\+?[0-9 ().-]{7,20}$", allow_blank=True, required=False, default="")
    email = serializers.EmailField(read_only=True)
    push = serializers.BooleanField(write_only=True, required=False, default=True)


class PinSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=6, required=False, allow_blank=True, write_only=True)
    generate = serializers.BooleanField(required=False, default=False, write_only=True)

    def validate(self, attrs):
        if not attrs.get("generate") and not attrs.get("code"):
            raise serializers.ValidationError({"code": "Give a PIN, or generate: true."})
        return attrs


class LinkStatusSerializer(serializers.Serializer):
    links = LinkSerializer(many=True)
    tenancies = TenancySerializer(many=True)
