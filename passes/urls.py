"""Mounted at the root: the pages under /passes/ and the guest pages under /p/<token>/."""

from django.urls import path

from . import views

app_name = "passes"

urlpatterns = [
    path("passes/", views.pass_list, name="list"),
    path("passes/new/", views.pass_create, name="new"),
    path("passes/new/tenants/", views.tenant_choose, name="tenant_choose"),
    path("passes/new/tenant/<int:tenant_pk>/", views.pass_create_for_tenant, name="new_for_tenant"),
    path("passes/<int:pk>/", views.pass_detail, name="detail"),
    path("passes/<int:pk>/change/", views.pass_change, name="change"),
    path("passes/<int:pk>/arrivals/", views.pass_arrivals, name="arrivals"),
    path("passes/<int:pk>/<slug:action>/", views.pass_action, name="action"),
    path("passes/keys/<int:pk>/share/", views.key_share, name="share"),
    path("passes/keys/<int:pk>/remove/", views.key_remove, name="key_remove"),
    path("p/<str:token>/", views.guest, name="guest"),
    path("p/<str:token>/pass.ics", views.guest_ics, name="guest_ics"),
    path("p/<str:token>/visitor-pass.pkpass", views.guest_apple_wallet, name="guest_apple_wallet"),
    path("p/<str:token>/google-wallet/", views.guest_google_wallet, name="guest_google_wallet"),
]
