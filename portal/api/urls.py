"""Mounted at ``/api/``: the schema, its docs page, and the caller's personal tokens."""

from django.urls import path

from . import views

app_name = "api"

urlpatterns = [
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.DocsView.as_view(url_name="api:schema"), name="docs"),
    path("me/tokens/", views.TokensView.as_view(), name="tokens"),
    path("me/tokens/<uuid:public_id>/", views.TokenView.as_view(), name="token"),
]
