"""FilterSets shared by the pages, the CSV exports, the charts and the API: one filter, one meaning.

Dates and times are entered in the building's own zone. With no building chosen, a person who sees
buildings in several zones gets each building's rows filtered in that building's zone.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable
from datetime import datetime
from itertools import groupby

import django_filters as df
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django_filters.fields import ModelChoiceField, ModelChoiceIterator

from portal.core.jinja2env import Jinja2FormRenderer
from portal.core.wallclock import local_moment
from portal.core.widgets import ListedSelect, ListedSelectMultiple
from tenants.models import AccessPoint, Building, Device
from tenants.scope import GRANT_BUILDING_FIELDS, NO_GRANTS, Grants, request_grants

from .models import CALL_STATUS_LABELS, AccessLogEntry, CallRecord, ReleaseMethod, call_status_label

# ButterflyMX's raw values and the words people read for them: one mapping for the filters, the
# tables, the detail pages, the CSV exports and the charts, so a filter and its column agree. The
# database keeps the raw value; the label is translated when shown (:func:`labels`).
RELEASE_TYPES = [
    ("Tenant", pgettext_lazy("who opened a door", "Tenant")),
    ("Visitor", pgettext_lazy("who opened a door", "Visitor")),
    ("Delivery", pgettext_lazy("who opened a door", "Delivery")),
]
RELEASE_STATUSES = [
    ("Unlocked", pgettext_lazy("a door entry's result", "Unlocked")),
    ("Locked", pgettext_lazy("a door entry's result", "Locked")),
]
CALL_STATUSES = list(CALL_STATUS_LABELS.items())  # logs.models: one mapping for every page
CALL_OUTCOMES = CALL_STATUS_LABELS  # the calls table and detail page say the outcome in these words
CALL_TYPES = [
    ("visitor", pgettext_lazy("who calls", "Visitor")),
    ("delivery", pgettext_lazy("who calls", "Delivery")),
]
JINJA2_FORMS = Jinja2FormRenderer()
LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class _ListedChoices(ModelChoiceIterator):
    """django-filter's choices, from the field's one read of its queryset (see :class:`_ChoiceField`)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        objects = self.field.objects()
        group = self.field.group_by
        if group and len({getattr(obj, group, None) for obj in objects} - {None}) > 1:
            # Several buildings' doors: "Front Door" twice means nothing without its building.
            # The objects come ordered by that group (:func:`door_choices`).
            for name, members in groupby(objects, key=lambda obj: getattr(obj, group, None)):
                yield (name, [self.choice(obj) for obj in members])
            return
        for obj in objects:
            yield self.choice(obj)

    def __len__(self):
        return len(self.field.objects()) + (self.field.empty_label is not None) + (self.field.null_label is not None)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.field.objects())


class _ChoiceField(ModelChoiceField):
    """A model choice whose queryset is read once per form, with one plain SELECT.

    Django reads it twice (``get()`` to validate, then again to render the options) and through
    ``QuerySet.iterator()``, which on PostgreSQL opens a server-side cursor (DECLARE, FETCH, CLOSE):
    for the few buildings or doors of a filter form that was ~10 ms of a log page under load.
    """

    iterator = _ListedChoices
    group_by: str | None = None  # an attribute of the objects to group the choices by (<optgroup>)

    def preload(self, load: Callable[[], Iterable]) -> None:
        """Choices from ``load()`` instead of the queryset (they must be what it would read), loaded
        when first needed: a CSV export that filters by no door asks for no door."""
        self._loader = (self.queryset, load)

    def objects(self) -> list:
        listed = getattr(self, "_listed", None)
        if listed is None or listed[0] is not self.queryset:  # a new queryset (or a deep copy): read again
            loader = getattr(self, "_loader", None)
            load = loader[1] if loader is not None and loader[0] is self.queryset else self.queryset.all
            listed = (self.queryset, list(load()))
            self._listed = listed
        return listed[1]

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result._listed = None
        return result

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, self.queryset.model):
            value = getattr(value, self.to_field_name or "pk")
        key = self.to_field_name or "pk"
        for obj in self.objects():
            if str(getattr(obj, key)) == str(value):
                return obj
        raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})


class _ModelChoiceFilter(df.ModelChoiceFilter):
    field_class = _ChoiceField


class RangeForm(forms.Form):
    """The filter form of the log pages: a range that ends before it starts is an error, not an empty list.

    From and Until are wall-clock times in each building's zone (the chosen building's, else those of
    every building the person may filter by). A time a clock change skips there is an error that says
    which times to use; a time it repeats is read so that the list keeps both occurrences (From: the
    first, Until: the second, :func:`zone_moment`) and ``clock_notes`` says so on the page.
    """

    clock_notes: list[str] | tuple = ()  # filled by clean()
    # Its widgets and field groups through Jinja2: the selects of the log pages' filters cost more
    # than the rest of the page in Django's template language (portal/core/jinja2env.py).
    default_renderer = JINJA2_FORMS

    def fields_html(self):
        """Every field in its column, in one Jinja2 render (logs/jinja2/logs/_filter_fields.html,
        ``Form.render`` with that template) rather than one render per field group."""
        return self.render(template_name="logs/_filter_fields.html", context={"form": self})

    def clean(self):
        cleaned = super().clean()
        self.clock_notes = []
        start, end = cleaned.get("start"), cleaned.get("end")
        for name, repeated in (("start", "first"), ("end", "second")):
            if cleaned.get(name) is not None:
                self._check_clock(name, cleaned[name], repeated, cleaned.get("building"))
        if start and end and end <= start and not self.has_error("end"):
            self.add_error("end", _("“Until” must be later than “From”."))
        return cleaned

    def _check_clock(self, name: str, value: datetime, repeated: str, building) -> None:
        label = self.fields[name].label
        buildings = [building] if building else self.fields["building"].objects()
        for zone_name in sorted({b.time_zone for b in buildings}):
            _moment, issue = zone_moment(value, zoneinfo.ZoneInfo(zone_name), repeated=repeated)
            if issue is None:
                continue
            if issue.kind == "gap":
                self.add_error(name, _("“%(field)s”: %(problem)s") % {"field": label, "problem": issue.message})
                return
            words = {
                "field": label,
                "summary": issue.summary,
                "time": formats.time_format(_naive(value), "TIME_FORMAT"),
            }
            if repeated == "first":
                note = _("“%(field)s”: %(summary)s The list starts at the first %(time)s, so it includes both.")
            else:
                note = _("“%(field)s”: %(summary)s The list runs to the second %(time)s, so it includes both.")
            self.clock_notes.append(note % words)


def call_outcome(status: str) -> str:
    """A call's outcome in words, in the active language (logs.models.call_status_label)."""
    return call_status_label(status)


def labels(choices) -> dict[str, str]:
    """``{raw value: label}`` as plain strings in the active language: computed once per request (a
    lazy label is translated again each time it is shown, 50 rows a page)."""
    return {code: str(label) for code, label in choices}


def label_of(choices, value: str) -> str:
    """One raw value's label (the value itself when ButterflyMX sends one the portal does not know)."""
    return str(dict(choices).get(value, value))


class _Zoned:
    """The start/end filters, applied in each building's own zone."""

    def _zones(self) -> dict[str, list[int]]:
        building = self.form.cleaned_data.get("building") if hasattr(self.form, "cleaned_data") else None
        buildings = [building] if building else self.visible_buildings()
        zones: dict[str, list[int]] = {}
        for b in buildings:
            zones.setdefault(b.time_zone, []).append(b.pk)
        return zones

    def visible_buildings(self) -> list[Building]:
        """The building choices: every building the person holds a role in (read once per request)."""
        return self.form.fields["building"].objects()

    def filter_range(self, queryset, name, value):
        return queryset  # applied together in filter_queryset, which knows both ends

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        start = self.form.cleaned_data.get("start")
        end = self.form.cleaned_data.get("end")
        if not (start or end):
            return queryset
        zones = self._zones()
        q = Q()
        for zone_name, ids in zones.items():
            zone = zoneinfo.ZoneInfo(zone_name)
            part = Q(building_id__in=ids) if len(zones) > 1 else Q()
            if start:
                part &= Q(logged_at__gte=zone_moment(start, zone, repeated="first")[0])
            if end:
                part &= Q(logged_at__lt=zone_moment(end, zone, repeated="second")[0])
            q |= part
        return queryset.filter(q)


def _grants(request) -> Grants:
    return request_grants(request) if request is not None else NO_GRANTS


def _buildings_of(request) -> QuerySet[Building]:
    """Buildings where the person making ``request`` holds any role."""
    return Building.objects.restrict(_grants(request)).only(*GRANT_BUILDING_FIELDS)


def door_choices(grants: Grants) -> list[AccessPoint]:
    """The doors a person may see, as a door filter lists them: id, name and ``building_name``, by
    building, then name (one query)."""
    doors = AccessPoint.objects.restrict(grants).order_by("building__name", "name", "id")
    return list(doors.annotate(building_name=F("building__name")).only("id", "name"))


def _preload_buildings(filterset, request) -> None:
    """The building choices from the request's grants, which carry them: no query of their own."""
    if request is not None:
        filterset.form.fields["building"].preload(request_grants(request).buildings)


def _naive(value: datetime) -> datetime:
    """What the person typed: the form gives it aware, in the default zone."""
    return timezone.make_naive(value) if timezone.is_aware(value) else value


def zone_moment(value: datetime, zone, *, repeated: str):
    """A wall-clock time typed by a person, read in ``zone`` (:func:`portal.core.wallclock.local_moment`),
    and its daylight-saving issue there, if any."""
    return local_moment(_naive(value), zone, repeated=repeated)


class AccessLogFilter(_Zoned, df.FilterSet):
    start = df.DateTimeFilter(label=gettext_lazy("From"), method="filter_range", widget=LOCAL)
    end = df.DateTimeFilter(label=gettext_lazy("Until"), method="filter_range", widget=LOCAL)
    building = _ModelChoiceFilter(queryset=None, label=gettext_lazy("Building"), widget=ListedSelect)
    door = _ModelChoiceFilter(queryset=None, label=gettext_lazy("Door"), widget=ListedSelect)
    unit = df.CharFilter(field_name="unit_label", lookup_expr="iexact", label=gettext_lazy("Unit"))
    q = df.CharFilter(method="filter_contains", label=gettext_lazy("Person or unit contains"))
    # Labelled as the table's columns ("Method", "Type"), so a filter names what it narrows.
    release_method = df.MultipleChoiceFilter(
        choices=ReleaseMethod.choices, label=gettext_lazy("Method"), distinct=False, widget=ListedSelectMultiple
    )
    release_type = df.ChoiceFilter(
        choices=RELEASE_TYPES, label=pgettext_lazy("what kind of entry or call", "Type"), widget=ListedSelect
    )
    status = df.ChoiceFilter(
        field_name="release_status", choices=RELEASE_STATUSES, label=gettext_lazy("Status"), widget=ListedSelect
    )

    class Meta:
        model = AccessLogEntry
        fields: list[str] = []
        form = RangeForm

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        grants = _grants(request)
        self.filters["building"].queryset = _buildings_of(request)
        self.filters["door"].queryset = AccessPoint.objects.restrict(grants).only("id", "name")
        _preload_buildings(self, request)
        if request is not None:  # the same doors, by building: read only when the form needs them
            self.form.fields["door"].preload(lambda: door_choices(grants))
            self.form.fields["door"].group_by = "building_name"

    def filter_contains(self, queryset, name, value):
        # Any part of a name or unit. On PostgreSQL, migration 0007's trigram indexes on UPPER(column)
        # serve exactly the ``UPPER(col::text) LIKE UPPER('%value%')`` Django writes for icontains;
        # SQLite scans (its LIKE is already case-insensitive for ASCII).
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(person_name__icontains=value) | Q(unit_label__icontains=value))


class CallFilter(_Zoned, df.FilterSet):
    start = df.DateTimeFilter(label=gettext_lazy("From"), method="filter_range", widget=LOCAL)
    end = df.DateTimeFilter(label=gettext_lazy("Until"), method="filter_range", widget=LOCAL)
    building = _ModelChoiceFilter(queryset=None, label=gettext_lazy("Building"), widget=ListedSelect)
    door = _ModelChoiceFilter(field_name="device", queryset=None, label=gettext_lazy("Panel"), widget=ListedSelect)
    status = df.ChoiceFilter(choices=CALL_STATUSES, label=gettext_lazy("Outcome"), widget=ListedSelect)
    type = df.ChoiceFilter(
        field_name="notification_type",
        choices=CALL_TYPES,
        label=pgettext_lazy("what kind of entry or call", "Type"),
        widget=ListedSelect,
    )
    q = df.CharFilter(method="filter_contains", label=gettext_lazy("Unit contains"))

    class Meta:
        model = CallRecord
        fields: list[str] = []
        form = RangeForm

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        self.filters["building"].queryset = _buildings_of(request)
        self.filters["door"].queryset = Device.objects.restrict(_grants(request)).only("id", "name")
        _preload_buildings(self, request)

    def filter_contains(self, queryset, name, value):
        value = value.strip()  # as AccessLogFilter.filter_contains (a trigram index on PostgreSQL)
        return queryset.filter(unit_label__icontains=value) if value else queryset
