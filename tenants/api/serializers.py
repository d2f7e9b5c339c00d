"""Serializers of the ``/api/me/...`` endpoints."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import BmxLink, Residency
from ..pin_rules import REFUSED


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
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        allow_blank=True,
        required=False,
        default="",
        help_text="Pages, e-mails and text messages in this language; empty: the browser's.",
    )
    email = serializers.EmailField(read_only=True)
    push = serializers.BooleanField(write_only=True, required=False, default=True)


class PinSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=6, required=False, allow_blank=True, write_only=True, error_messages={"max_length": REFUSED}
    )
    generate = serializers.BooleanField(required=False, default=False, write_only=True)

    def validate(self, attrs):
        if not attrs.get("generate") and not attrs.get("code"):
            raise serializers.ValidationError({"code": _("Give a PIN, or generate: true.")})
        return attrs


class LinkStatusSerializer(serializers.Serializer):
    links = LinkSerializer(many=True)
    tenancies = TenancySerializer(many=True)


class BmxProfileSerializer(serializers.Serializer):
    """The resident's profile as ButterflyMX has it (read-only here)."""

    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    unit = serializers.CharField(allow_blank=True)
    building = serializers.CharField(allow_blank=True)


class ProfileAnswerSerializer(serializers.Serializer):
    portal = ProfileSerializer()
    butterflymx = BmxProfileSerializer(allow_null=True)
    butterflymx_error = serializers.CharField(allow_null=True)


class ProfileUpdatedSerializer(serializers.Serializer):
    portal = ProfileSerializer()
    butterflymx_updated = serializers.BooleanField()
    butterflymx_message = serializers.CharField(allow_blank=True)
    butterflymx_errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class PinStateSerializer(serializers.Serializer):
    has_pin = serializers.BooleanField()
    pin = serializers.CharField(allow_null=True, help_text="Masked unless revealed.")
    revealed = serializers.BooleanField()
