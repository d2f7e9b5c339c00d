"""Mounted at ``/profile/notifications/``: the person's own settings, devices and snooze."""

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_settings, name="settings"),
    path("devices/", views.subscribe, name="subscribe"),
    path("devices/<int:pk>/remove/", views.device_remove, name="device_remove"),
    path("snooze/", views.snooze, name="snooze"),
]
