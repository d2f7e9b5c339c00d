"""The webhook receiver, mounted at ``/webhooks/bmx/``: ButterflyMX posts here with no session."""

from django.urls import path

from . import views

app_name = "logs_webhooks"

urlpatterns = [
    path("<int:building_id>/<str:secret>/", views.webhook, name="receive"),
    # A resident's own integrations in a building without a building-admin link (logs.tenant_streams).
    path("tenant/<int:hook_id>/<str:secret>/", views.tenant_webhook, name="tenant_receive"),
]
