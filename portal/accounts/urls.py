"""Mounted at ``/profile/api-tokens/`` (not under ``/accounts/``, which the two-factor rule exempts)."""

from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.api_tokens, name="api_tokens"),
    path("<uuid:public_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("revoke-all/", views.api_tokens_revoke_all, name="api_tokens_revoke_all"),
]
