"""One server at its root: accounts (``/.well-known``, ``/oauth``, ``/login``), API v4, public pages, and
the control surface under ``/_sandbox/``."""

from django.http import JsonResponse
from django.urls import path, re_path

from sandbox import control, public
from sandbox.api import access_groups, access_tools, buildings, doors, integrations, keychains, logs, tenants, v3
from sandbox.contract.middleware import verdict_for
from sandbox.oauth import views as oauth


def v4_not_found(request, rest=""):
    """A path no view serves: the contract's verdict (404, or 405 for a documented path) or a plain 404."""
    verdict = verdict_for(request)
    if not verdict.conformant and verdict.before_auth:
        return verdict.response()
    return JsonResponse(
        {"errors": [{"field": "base", "code": "not_found", "message": "Resource not found"}]}, status=404
    )


urlpatterns = [
    # accounts.butterflymx.com
    path(".well-known/oauth-authorization-server", oauth.discovery),
    path(".well-known/openid-configuration", oauth.discovery),
    path("oauth/discovery/keys", oauth.jwks),
    path("oauth/authorize", oauth.authorize),
    path("oauth/authorize/native", oauth.native),
    path("login", oauth.login),
    path("oauth/token", oauth.token),
    path("oauth/revoke", oauth.revoke),
    path("oauth/introspect", oauth.introspect),
    path("oauth/userinfo", oauth.userinfo),
    # api.butterflymx.com/v4
    path("v4/buildings", buildings.buildings),
    path("v4/buildings/<int:id>", buildings.building),
    path("v4/buildings/<int:id>/capabilities", buildings.building_capabilities),
    path("v4/buildings/<int:building_id>/units", buildings.building_units),
    path("v4/buildings/<int:building_id>/units/<int:id>", buildings.building_unit),
    path("v4/buildings/<int:building_id>/access_logs", logs.access_logs),
    path("v4/buildings/<int:building_id>/access_logs/<int:id>", logs.access_log),
    path("v4/buildings/<int:building_id>/calls", logs.calls),
    path("v4/buildings/<int:building_id>/calls/<int:id>", logs.call),
    path("v4/buildings/<int:building_id>/integrations", integrations.building_integrations),
    path("v4/buildings/<int:building_id>/integrations/<int:id>", integrations.building_integration),
    path("v4/units", buildings.units),
    path("v4/units/<int:id>", buildings.unit),
    path("v4/tenants", tenants.tenants),
    path("v4/tenants/<int:id>", tenants.tenant),
    path("v4/tenants/<int:tenant_id>/resend_confirmation", tenants.tenant_resend),
    path("v4/tenants/<int:tenant_id>/integrations", integrations.tenant_integrations),
    path("v4/tenants/<int:tenant_id>/integrations/<int:id>", integrations.tenant_integration),
    path("v4/access_points", doors.access_points),
    path("v4/access_points/<int:id>", doors.access_point),
    path("v4/access_points/<int:id>/schedules", doors.access_point_schedules),
    path("v4/devices", doors.devices),
    path("v4/devices/<int:id>", doors.device),
    path("v4/door_release_requests", doors.door_release_requests),
    path("v4/access_tools", access_tools.access_tools),
    path("v4/access_tools/pins", access_tools.access_tool_pins),
    path("v4/access_tools/pins/<int:id>", access_tools.access_tool_pin),
    path("v4/access_tools/rfid_tags", access_tools.access_tool_rfid_tags),
    path("v4/access_tools/<int:id>", access_tools.access_tool),
    path("v4/keychains", keychains.keychains),
    path("v4/keychains/<int:id>", keychains.keychain),
    *[path(f"v4/keychains/{kind}", view) for kind, view in keychains.keychain_create.items()],
    path("v4/virtual_keys", keychains.virtual_keys),
    path("v4/virtual_keys/<int:id>", keychains.virtual_key),
    path("v4/access_groups", access_groups.access_groups),
    path("v4/access_groups/<str:id>", access_groups.access_group),
    path("v4/access_groups/<str:id>/tenants", access_groups.group_tenants),
    path("v4/access_groups/<str:id>/tenants/bulk_destroy", access_groups.group_tenants_bulk_destroy),
    path("v4/access_groups/<str:id>/units", access_groups.group_units),
    path("v4/access_groups/<str:id>/units/bulk_destroy", access_groups.group_units_bulk_destroy),
    re_path(r"^v4/(?P<rest>.*)$", v4_not_found),
    # api.butterflymx.com/v3: only the call-handled notification and the calls it needs (contract §7)
    path("v3/me/calls", v3.me_calls),
    path("v3/notifications/open_door", v3.open_door),
    path("v3/notifications/call_ended", v3.call_ended),
    # public pages (user host and S3 in real life)
    path("public/virtual_keys/<int:id>/<str:token>", public.instructions),
    path("qr/<str:token>.png", public.qr_image),
    path("uploads/store/<str:name>.png", public.snapshot),
    # control surface
    path("_sandbox/health", control.health_view),
    path("_sandbox/reset", control.reset_view),
    path("_sandbox/demo", control.demo_view),
    path("_sandbox/state", control.state_view),
    path("_sandbox/clock", control.clock_view),
    path("_sandbox/config", control.config_view),
    path("_sandbox/faults", control.faults_view),
    path("_sandbox/calls", control.calls_view),
    path("_sandbox/calls/<int:id>/status", control.call_status_view),
    path("_sandbox/keys/use", control.keys_use_view),
    path("_sandbox/swipe", control.swipe_view),
    path("_sandbox/pin_rules", control.pin_rules_view),
    path("_sandbox/open_hours", control.open_hours_view),
    path("_sandbox/access_group_schedules", control.access_group_schedules_view),
    path("_sandbox/generate", control.generate_view),
    path("_sandbox/portfolio", control.portfolio_view),
    path("_sandbox/logs/late", control.late_view),
    path("_sandbox/traffic", control.traffic_view),
    path("_sandbox/webhooks/faults", control.webhook_faults_view),
    path("_sandbox/webhooks/deliveries", control.deliveries_view),
    path("_sandbox/contract/stats", control.contract_stats_view),
]
