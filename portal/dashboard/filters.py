"""Filters of the audit trail (page and CSV share them)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.models import AccessPoint, Building

from .models import DoorRelease


class DoorReleaseFilter(django_filters.FilterSet):
    building = django_filters.ModelChoiceFilter(
        queryset=Building.objects.none(), label=_("Building"), empty_label=_("All buildings")
    )
    door = django_filters.ModelChoiceFilter(
        queryset=AccessPoint.objects.none(), label=_("Door"), empty_label=_("All doors")
    )
    status = django_filters.ChoiceFilter(
        choices=DoorRelease.Status.choices, label=_("Status"), empty_label=_("Any result")
    )
    person = django_filters.CharFilter(method="filter_person", label=_("Released by"))
    date_from = django_filters.DateFilter(method="filter_date_from", label=_("From (local date)"))
    date_to = django_filters.DateFilter(method="filter_date_to", label=_("To (local date)"))

    class Meta:
        model = DoorRelease
        fields = ["building", "door", "status"]

    def __init__(self, *args, buildings, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["building"].queryset = buildings
        self.filters["door"].queryset = AccessPoint.objects.filter(building__in=buildings).order_by("name")

    def _zone(self) -> zoneinfo.ZoneInfo:
        """Dates are the chosen building's local dates (UTC when several buildings are shown)."""
        building = self.form.cleaned_data.get("building")
        return building.tz if building else zoneinfo.ZoneInfo("UTC")

    def filter_person(self, queryset, name, value):
        return queryset.filter(
            Q(requested_by__email__icontains=value)
            | Q(requested_by__first_name__icontains=value)
            | Q(requested_by__last_name__icontains=value)
        )

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(requested_at__gte=datetime.combine(value, time.min, tzinfo=self._zone()))

    def filter_date_to(self, queryset, name, value):
        end = datetime.combine(value + timedelta(days=1), time.min, tzinfo=self._zone())
        return queryset.filter(requested_at__lt=end)
