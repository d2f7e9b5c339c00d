from django.contrib import admin

from .models import (
    AccessPoint,
    BmxLink,
    Building,
    BuildingLimits,
    Device,
    Membership,
    Residency,
    RosterSync,
    TenantRecord,
    TokenRevocation,
    Unit,
)


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["name", "bmx_id", "time_zone", "is_active"]
    search_fields = ["name", "address"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["label", "building", "floor", "bmx_id", "is_active"]
    list_filter = ["building"]
    search_fields = ["label"]


@admin.register(AccessPoint)
class AccessPointAdmin(admin.ModelAdmin):
    list_display = ["name", "building", "bmx_id", "is_active"]
    list_filter = ["building"]


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["name", "building", "kind", "bmx_id", "is_active"]
    list_filter = ["building"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "building", "role", "created_at"]
    list_filter = ["role", "building"]
    search_fields = ["user__email"]
    autocomplete_fields = ["user"]


@admin.register(Residency)
class ResidencyAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "bmx_tenant_id", "is_active"]
    list_filter = ["unit__building"]
    search_fields = ["user__email", "unit__label"]


@admin.register(BmxLink)
class BmxLinkAdmin(admin.ModelAdmin):
    """Status only: the token columns are excluded, so an operator's screen never shows one."""

    list_display = ["user", "kind", "status", "bmx_email", "expires_at", "refreshed_at"]
    list_filter = ["kind", "status"]
    search_fields = ["user__email", "bmx_email"]
    exclude = ["access_token", "refresh_token"]
    readonly_fields = ["user", "kind", "bmx_user_id", "bmx_email", "expires_at", "scope", "refreshed_at"]


@admin.register(RosterSync)
class RosterSyncAdmin(admin.ModelAdmin):
    list_display = ["link", "status", "progress", "created_at", "finished_at"]
    list_filter = ["status"]


@admin.register(TenantRecord)
class TenantRecordAdmin(admin.ModelAdmin):
    list_display = ["__str__", "building", "unit", "registration_status", "is_active"]
    list_filter = ["building", "is_active"]
    search_fields = ["first_name", "last_name", "email"]


@admin.register(BuildingLimits)
class BuildingLimitsAdmin(admin.ModelAdmin):
    """Managers set these on the building page; operators may look (empty: the portal default)."""

    list_display = [
        "building",
        "messages_per_person",
        "messages_per_building",
        "passes_per_person",
        "passes_per_building",
        "updated_at",
    ]
    readonly_fields = ["updated_at", "updated_by"]


@admin.register(TokenRevocation)
class TokenRevocationAdmin(admin.ModelAdmin):
    """Revocations ButterflyMX has not confirmed yet (the token itself is never shown)."""

    list_display = ("id", "reason", "attempts", "last_error", "created_at", "last_attempt_at")
    fields = ("reason", "attempts", "last_error", "created_at", "last_attempt_at")
    readonly_fields = fields
