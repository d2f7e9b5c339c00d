from django.contrib import admin

from .models import Pass, VisitorKey


class VisitorKeyInline(admin.TabularInline):
    model = VisitorKey
    fields = ["name", "email", "phone", "bmx_virtual_key_id", "usage_count", "first_used_at", "last_used_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Pass)
class PassAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "building", "unit", "status", "starts_at", "ends_at", "use_count"]
    list_filter = ["kind", "status", "building"]
    search_fields = ["name"]
    raw_id_fields = ["residency", "created_by", "link", "revoked_by", "replaces", "unit"]
    inlines = [VisitorKeyInline]
