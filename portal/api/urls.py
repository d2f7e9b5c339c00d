"""Mounted at ``/api/``: the schema, its docs page, and the caller's token."""

from django.urls import path

from . import views

app_name = "api"

urlpatterns = [
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.DocsView.as_view(url_name="api:schema"), name="docs"),
    path("me/token/", views.TokenView.as_view(), name="token"),
]
