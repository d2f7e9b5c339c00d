from django.urls import include, path

from . import access_tool_views, views

app_name = "tenants"

urlpatterns = [
    path("link/butterflymx/start/", views.link_start, name="link_start"),
    path("link/butterflymx/callback/", views.link_callback, name="link_callback"),
    path("link/butterflymx/unlink/", views.link_remove, name="link_remove"),
    path("link/buildings/", views.buildings, name="buildings"),
    path("link/buildings/<int:pk>/", views.building_detail, name="building"),
    path("link/buildings/<int:pk>/limits/", views.building_limits, name="building_limits"),
    path("link/buildings/<int:pk>/sync/", views.building_sync, name="building_sync"),
    path("link/buildings/<int:pk>/sync/status/", views.building_sync_status, name="building_sync_status"),
    path("link/buildings/<int:pk>/people/", views.building_people, name="building_people"),
    path("link/buildings/<int:pk>/", include("tenants.groups_units.urls")),  # units and access groups
    path("link/buildings/<int:pk>/people/<int:membership_pk>/role/", views.person_role, name="person_role"),
    path("link/buildings/<int:pk>/people/<int:membership_pk>/remove/", views.person_remove, name="person_remove"),
    path(
        "link/buildings/<int:pk>/invitations/<int:invitation_pk>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "link/buildings/<int:pk>/invitations/<int:invitation_pk>/cancel/",
        views.invitation_cancel,
        name="invitation_cancel",
    ),
    path("link/buildings/<int:pk>/tenants/new/", views.tenant_new, name="tenant_new"),
    path("link/buildings/<int:pk>/tenants/<int:tenant_pk>/resend/", views.tenant_resend, name="tenant_resend"),
    path("link/buildings/<int:pk>/tenants/<int:tenant_pk>/move-out/", views.tenant_move_out, name="tenant_move_out"),
    path("link/buildings/<int:pk>/tenants/import/", views.rent_roll, name="rent_roll"),
    path("link/buildings/<int:pk>/tenants/import/apply/", views.rent_roll_apply, name="rent_roll_apply"),
    # Access tools (PINs, fobs): the building's, for its managers (tenants/access_tool_views.py)
    path("link/buildings/<int:pk>/access-tools/", access_tool_views.building_access_tools, name="access_tools"),
    path("link/buildings/<int:pk>/access-tools/fobs/", access_tool_views.fob_add, name="fob_add"),
    path(
        "link/buildings/<int:pk>/access-tools/<int:tool_id>/revoke/",
        access_tool_views.access_tool_revoke,
        name="access_tool_revoke",
    ),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("profile/", views.profile, name="profile"),
    path("profile/tenancy/", views.tenancy_choose, name="tenancy_choose"),
    path("profile/pin/", views.pin, name="pin"),
    path("profile/doors/refresh/", views.doors_refresh, name="doors_refresh"),
    path("profile/access-tools/", access_tool_views.my_access_tools, name="my_access_tools"),
    path(
        "profile/access-tools/<int:tool_id>/revoke/",
        access_tool_views.my_access_tool_revoke,
        name="my_access_tool_revoke",
    ),
]
