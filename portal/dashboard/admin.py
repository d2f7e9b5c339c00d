from django.contrib import admin

from .models import DoorRelease, FrontDesk


@admin.register(DoorRelease)
class DoorReleaseAdmin(admin.ModelAdmin):
    list_display = ["requested_at", "building", "door", "requested_by", "status", "reason"]
    list_filter = ["status", "building"]
    search_fields = ["door__name", "requested_by__email", "reason"]
    readonly_fields = [f.name for f in DoorRelease._meta.fields]

    def has_add_permission(self, request):
        return False  # the audit trail is written by the release service only


@admin.register(FrontDesk)
class FrontDeskAdmin(admin.ModelAdmin):
    list_display = ["building", "label", "bmx_tenant_id"]
