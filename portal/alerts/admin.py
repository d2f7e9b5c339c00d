"""Admin: operators see manager alert incidents and which arrivals were told (read, not edited)."""

from django.contrib import admin

from .models import AlertIncident, ArrivalNotice


@admin.register(AlertIncident)
class AlertIncidentAdmin(admin.ModelAdmin):
    list_display = ("opened_at", "building", "category", "subject", "title", "closed_at")
    list_filter = ("category",)
    raw_id_fields = ("building",)
    readonly_fields = ("opened_at",)


@admin.register(ArrivalNotice)
class ArrivalNoticeAdmin(admin.ModelAdmin):
    list_display = ("created_at", "entry", "pass_ids", "user_ids")
    raw_id_fields = ("entry",)
