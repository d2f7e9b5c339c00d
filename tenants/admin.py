from django.contrib import admin

from .models import AccessPoint, Building, Device, Membership, Residency, Unit


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
