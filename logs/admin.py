"""Admin: operators inspect synced rows, sync cursors and every webhook delivery (rejected ones too)."""

from django.contrib import admin

from .models import AccessLogEntry, CallRecord, SyncCursor, TenantWebhook, WebhookDelivery, WebhookEndpoint


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    list_display = ("logged_at", "building", "release_method", "release_type", "release_status", "unit_label")
    list_filter = ("release_method", "release_type", "release_status")
    raw_id_fields = ("building", "door", "unit")
    exclude = ("snapshot_url",)  # a public S3 link: not shown, not editable
    show_full_result_count = False


@admin.register(CallRecord)
class CallRecordAdmin(admin.ModelAdmin):
    list_display = ("logged_at", "building", "notification_type", "status", "device_name", "unit_label")
    list_filter = ("status", "notification_type")
    raw_id_fields = ("building", "device", "unit")
    exclude = ("snapshot_url",)
    show_full_result_count = False


@admin.register(SyncCursor)
class SyncCursorAdmin(admin.ModelAdmin):
    list_display = ("building", "stream", "link", "high_water", "last_success_at", "rows_synced", "last_error")
    raw_id_fields = ("building", "link")


@admin.register(TenantWebhook)
class TenantWebhookAdmin(admin.ModelAdmin):
    list_display = ("building", "tenant_bmx_id", "link", "registered_at", "last_delivery_at", "failure", "last_error")
    raw_id_fields = ("building", "link")
    exclude = ("secret_hash",)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("building", "registered_at", "base_url", "last_delivery_at", "failure", "last_error")
    exclude = ("secret_hash", "pending_token")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("received_at", "building", "outcome", "status_code", "style", "error")
    list_filter = ("outcome", "status_code")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
