"""Included under ``link/buildings/<pk>/`` by ``tenants.urls`` (the ``tenants`` namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("units/", views.units, name="building_units"),
    path("units/<int:unit_pk>/change/", views.unit_change, name="unit_change"),
    path("units/<int:unit_pk>/remove/", views.unit_remove, name="unit_remove"),
    path("access-groups/", views.access_groups, name="access_groups"),
    path("access-groups/<int:group_id>/", views.access_group, name="access_group"),
    path("access-groups/<int:group_id>/members/", views.access_group_members, name="access_group_members"),
]
