"""The one pass form: a kind chooser and fields that adapt to it (static/passes/pass_form.js shows only
the kind's fields; without JavaScript every field shows and only the kind's are read)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from portal.core.language import supported
from portal.core.wallclock import wall_clock_issue
from tenants.models import AccessPoint, Building, Residency, TenantRecord

from . import doors as door_groups
from . import rules
from .models import WEEKDAYS, Pass, weekday_name_lazy
from .services import SMS_OFF, PassInput

# Django's own weekday names, in the language being rendered ("Monday", "lunes", "lundi").
WEEKDAY_CHOICES = [(code, weekday_name_lazy(code, full=True)) for code in WEEKDAYS]


# What each kind of pass does. The times are part of the text: each language writes them its own way.
KIND_HELP = {
    Pass.Kind.CUSTOM: gettext_lazy("From a start to an end you choose (at most one year ahead)."),
    Pass.Kind.RECURRING: gettext_lazy("On chosen days of the week, in a daily window, between two dates."),
    Pass.Kind.BUSINESS_HOURS: gettext_lazy("Monday to Friday, 9:00 to 17:00 (adjustable)."),
    Pass.Kind.FULL_DAY: gettext_lazy("All of one day, until 23:59."),
    Pass.Kind.ONE_TIME: gettext_lazy("Once on one day; usable again for 15 minutes after the first use."),
    # What ButterflyMX makes of a delivery pass (docs/butterflymx.md, "Delivery Pass"): one key, single
    # use with a 5-minute grace, 30 days until first use, and every door of the resident (not chosen).
    Pass.Kind.DELIVERY: gettext_lazy(
        "One key for one delivery: single use, then usable for 5 more minutes; unused, it expires after 30 "
        "days. ButterflyMX opens every door the resident may use with it: to open only the entrance, use a "
        "one-time pass."
    ),
}


FOLD_CHOICES = [
    ("0", pgettext_lazy("occurrence of a time", "first")),
    ("1", pgettext_lazy("occurrence of a time", "second")),
]


def time_zone_note(buildings) -> str:
    """Which zone the form's times are read in: the building's, named with its abbreviation now."""
    now = timezone.now()
    zones = sorted({(b.name, b.time_zone, b.tz) for b in buildings}, key=lambda z: z[0])
    if not zones:
        return ""
    if len({zone for _name, zone, _tz in zones}) == 1:
        _name, zone, tz = zones[0]
        return _("Times are in the building's time zone, %(zone)s (%(abbreviation)s).") % {
            "zone": zone,
            "abbreviation": now.astimezone(tz).tzname(),
        }
    each = "; ".join(f"{name}: {zone} ({now.astimezone(tz).tzname()})" for name, zone, tz in zones)
    return _("Times are in the resident's building's time zone (%(zones)s).") % {"zones": each}


class ResidencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Residency) -> str:
        return _("%(person)s · %(building)s · unit %(unit)s") % {
            "person": obj.user.display_name,
            "building": obj.unit.building.name,
            "unit": obj.unit.label,
        }


class DoorChoiceField(forms.ModelMultipleChoiceField):
    show_building = False

    def label_from_instance(self, obj: AccessPoint) -> str:
        group = door_groups.GROUP_LABELS[door_groups.group_of(obj)]
        # Names and a translated label, no sentence: nothing another language would word differently.
        return f"{obj.name} ({obj.building.name}; {group})" if self.show_building else f"{obj.name} ({group})"


class PassForm(forms.Form):
    residency = ResidencyChoiceField(
        queryset=Residency.objects.none(), label=pgettext_lazy("whom a pass is for", "For"), empty_label=None
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of pass"),
        choices=Pass.Kind.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        initial=Pass.Kind.CUSTOM,
    )
    name = forms.CharField(
        label=gettext_lazy("Name"), max_length=120, help_text=gettext_lazy("Who or what it is for, e.g. “Dog walker”.")
    )
    starts_at = forms.DateTimeField(
        required=False,
        label=gettext_lazy("Starts"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        required=False,
        label=gettext_lazy("Ends"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    day = forms.DateField(
        required=False, label=gettext_lazy("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    start_date = forms.DateField(
        required=False,
        label=gettext_lazy("First day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end_date = forms.DateField(
        required=False,
        label=gettext_lazy("Last day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    weekdays = forms.MultipleChoiceField(
        required=False,
        choices=WEEKDAY_CHOICES,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        label=gettext_lazy("Days of the week"),
    )
    all_day = forms.BooleanField(required=False, label=gettext_lazy("All day"))
    time_from = forms.TimeField(
        required=False, label=gettext_lazy("Daily from"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    time_to = forms.TimeField(
        required=False,
        label=gettext_lazy("Daily until"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=rules.OVERNIGHT_HELP,
    )
    # Which occurrence of a time the autumn change repeats (zoneinfo's fold: 0 the first, 1 the second).
    # Shown, with the two times in words, only when the time typed is in that repeated hour.
    starts_at_fold = forms.TypedChoiceField(
        required=False, choices=FOLD_CHOICES, coerce=int, empty_value=None, widget=forms.RadioSelect
    )
    ends_at_fold = forms.TypedChoiceField(
        required=False, choices=FOLD_CHOICES, coerce=int, empty_value=None, widget=forms.RadioSelect
    )
    # Ticked to keep daily times that a clock change moves on some day of a recurring pass (shown, with
    # those days in words, only when there are such days: rules.clock_notes).
    clock_ok = forms.BooleanField(
        required=False, label=gettext_lazy("Keep these times: I know they move on those days")
    )
    doors = DoorChoiceField(
        label=gettext_lazy("Doors"),
        queryset=AccessPoint.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=gettext_lazy(
            "Entrances are ticked for a new pass. The resident's own door and amenity doors (package room, "
            "rooftop, garage, ...) open only if you tick them. None ticked: the entrances."
        ),
    )
    # One list of people (issue 16): each line a name, optionally with a contact ButterflyMX sends the
    # key to (rules.clean_people). Named "visitors" so links and scripts made before keep working.
    visitors = forms.CharField(
        label=gettext_lazy("Visitors"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "One person per line, each with their own QR code and PIN. Add a comma and an e-mail address or "
            "phone number to have ButterflyMX send them their key, e.g. “Sam Lee, sam@example.com”. "
            "Empty: one key."
        ),
    )

    # "Tell me when a visitor uses this pass" (portal.alerts.arrivals); the view starts them at the
    # person's channels for "Guest arrivals" (category ``arrival``) on their Notifications page.
    arrival_push = forms.BooleanField(
        required=False,
        label=gettext_lazy("By push: on this browser and my other devices"),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    arrival_email = forms.BooleanField(
        required=False, label=gettext_lazy("By e-mail"), widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )

    # Fields each kind reads (the rest are ignored for that kind).
    KIND_FIELDS = {
        Pass.Kind.CUSTOM: ("starts_at", "ends_at"),
        Pass.Kind.FULL_DAY: ("day",),
        Pass.Kind.ONE_TIME: ("day",),
        Pass.Kind.RECURRING: ("start_date", "end_date", "weekdays", "all_day", "time_from", "time_to"),
        Pass.Kind.BUSINESS_HOURS: ("start_date", "end_date", "weekdays", "all_day", "time_from", "time_to"),
        Pass.Kind.DELIVERY: (),
    }

    def __init__(self, *args, residencies, actor=None, fixed_residency: Residency | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["residency"].queryset = residencies
        self.fixed_residency = fixed_residency
        if fixed_residency is not None:
            self.fields["residency"].queryset = residencies.filter(pk=fixed_residency.pk)
            self.fields["residency"].initial = fixed_residency.pk
        buildings = {r.unit.building_id for r in residencies}
        self.fields["doors"].queryset = door_groups.with_groups(
            AccessPoint.objects.filter(building_id__in=buildings, is_active=True).select_related("building")
        )
        if not self.is_bound and "doors" not in self.initial:
            self.initial["doors"] = self._default_doors(residencies)
        self.kind_help = KIND_HELP
        self.time_zone_note = time_zone_note(Building.objects.filter(pk__in=buildings).only("name", "time_zone"))
        self.fold_choices: dict[str, tuple[tuple[int, str], ...]] = {}
        self.clock_notes: list[tuple[str, str]] = []

    def _default_doors(self, residencies) -> list[int]:
        """The entrances of the resident the form starts with (passes/doors.py), ticked."""
        wanted = str(self.initial.get("residency") or "")
        # isascii: "²" and other Unicode digits pass isdigit() but are no primary key.
        chosen = self.fixed_residency or (
            residencies.filter(pk=wanted).first() if wanted.isascii() and wanted.isdigit() else None
        )
        chosen = chosen or residencies.first()
        return [d.pk for d in door_groups.default_doors(chosen.doors.all())] if chosen else []

    def clean(self):
        cleaned = super().clean()
        residency = self._target(cleaned)
        kind = cleaned.get("kind")
        if residency is None or not kind:
            return cleaned
        building = residency.unit.building
        tz = building.tz
        doors = list(cleaned.get("doors") or [])
        if kind == Pass.Kind.DELIVERY:
            doors = []  # ButterflyMX opens every door of the resident for a delivery
        wrong = [d for d in doors if d.building_id != building.pk]
        if wrong:
            self.add_error("doors", _("Choose doors of the resident's building only."))
        elif doors and not self._staff_acting(residency):
            allowed = set(residency.doors.values_list("pk", flat=True))
            if any(d.pk not in allowed for d in doors):
                self.add_error("doors", _("Choose doors the resident may use."))
        try:
            people = (
                rules.People()
                if kind == Pass.Kind.DELIVERY
                else rules.clean_people((cleaned.get("visitors") or "").splitlines())
            )
            visitors, recipients = people.visitors, people.recipients
            rules.check_visitor_count(visitors, recipients)
            fields = {f: cleaned.get(f) for f in self.KIND_FIELDS[kind]}
            for name in ("starts_at", "ends_at"):
                if fields.get(name) is not None and timezone.is_aware(fields[name]):
                    # Django read the input in the server's zone; what was typed is building-local.
                    fields[name] = timezone.make_naive(fields[name])
                if fields.get(name) is not None:
                    fields[name] = self._with_fold(name, fields[name], tz, cleaned.get(f"{name}_fold"))
            if "weekdays" in fields:
                fields["weekdays"] = list(fields["weekdays"] or [])
            window = rules.window_for(kind, tz=tz, now=timezone.now(), **fields)
        except rules.PassRuleError as exc:
            for name, messages in exc.errors.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
            return cleaned
        if window.clock_notes and not cleaned.get("clock_ok"):
            # Daily times a clock change moves: asked about, never passed over (the box keeps them).
            self.clock_notes = window.clock_notes
            for name, message in window.clock_notes:
                self.add_error(name, message)
        if self._errors or "name" not in cleaned:
            # A field already failed (a name with a NUL, too long, ...): say so; build nothing half-valid.
            return cleaned
        self.pass_input = PassInput(
            kind=kind,
            name=cleaned["name"],
            window=window,
            doors=doors,
            recipients=recipients,
            visitors=visitors,
            contact_names=people.contact_names,
            arrival_push=bool(cleaned.get("arrival_push")),
            arrival_email=bool(cleaned.get("arrival_email")),
        )
        return cleaned

    def clean_name(self):
        try:
            return rules.clean_name(self.cleaned_data["name"])
        except rules.PassRuleError as exc:
            raise forms.ValidationError(exc.errors["name"]) from None

    def _with_fold(self, name: str, value: dt.datetime, tz, fold: int | None) -> dt.datetime:
        """A time in the autumn's repeated hour, read as the occurrence the person chose (aware, so the
        rules honour it); without a choice it stays naive and the rules ask for one. The choices are
        offered whenever the time is in that hour."""
        issue = wall_clock_issue(value, tz)
        if issue is None or issue.kind != "overlap":
            return value
        self.fold_choices[name] = issue.choices
        return value if fold is None else value.replace(tzinfo=tz, fold=fold)

    def initial_clock_issues(self) -> list[tuple[str, str]]:
        """(field label, words) for the start and end a preset or the pass being changed filled in that a
        clock change skips or repeats: said when the form opens, not only after "Create"."""
        if self.is_bound:
            return []
        tz = self._initial_zone()
        out = []
        for name in ("starts_at", "ends_at"):
            value = self.initial.get(name)
            if tz is None or not isinstance(value, dt.datetime) or value.tzinfo is not None:
                continue
            issue = wall_clock_issue(value, tz)
            if issue is not None:
                out.append((self.fields[name].label, issue.message))
        return out

    def _initial_zone(self):
        residency = self.fixed_residency
        if residency is None:
            wanted = str(self.initial.get("residency") or "")
            queryset = self.fields["residency"].queryset
            residency = queryset.filter(pk=wanted).first() if wanted.isascii() and wanted.isdigit() else None
        return residency.unit.building.tz if residency is not None else None

    def fold_fields(self):
        """(time field, its fold field, the choices) for the times that need a choice, for the template."""
        return [(self[name], self[f"{name}_fold"], choices) for name, choices in self.fold_choices.items()]

    def _target(self, cleaned) -> Residency | None:
        """Whom the pass is for: the chosen tenancy (a roster tenant in :class:`TenantPassForm`)."""
        return cleaned.get("residency")

    def _staff_acting(self, residency: Residency) -> bool:
        return getattr(self, "actor", None) is not None and self.actor.pk != residency.user_id

    def add_service_errors(self, errors: dict[str | None, list[str]]) -> None:
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class TenantPassForm(PassForm):
    """:class:`PassForm` for a ButterflyMX tenant of the roster who has no portal account (staff and
    managers only): the tenant is fixed, the doors are the building's (entrances ticked)."""

    def __init__(self, *args, tenant: TenantRecord, **kwargs):
        self.tenant = tenant  # before PassForm's __init__, which asks _default_doors
        super().__init__(*args, residencies=Residency.objects.none(), **kwargs)
        del self.fields["residency"]
        # Nobody in the portal to tell: the tenant has no account.
        del self.fields["arrival_push"], self.fields["arrival_email"]
        building = tenant.building
        self.fields["doors"].queryset = door_groups.with_groups(
            AccessPoint.objects.filter(building=building, is_active=True).select_related("building")
        )
        self.time_zone_note = time_zone_note([building])

    def _default_doors(self, residencies) -> list[int]:
        building_doors = AccessPoint.objects.filter(building=self.tenant.building, is_active=True)
        return [d.pk for d in door_groups.default_doors(building_doors)]

    def _target(self, cleaned) -> TenantRecord:
        return self.tenant

    def _initial_zone(self):
        return self.tenant.building.tz

    def _staff_acting(self, residency) -> bool:
        return True  # only staff and managers reach this form


def preset_initial(preset: str, tz, now: dt.datetime | None = None) -> dict:
    """Quick presets, computed in the building's zone: an hour from now, tonight, this weekend."""
    now = (now or timezone.now()).astimezone(tz)
    start = now.replace(second=0, microsecond=0, tzinfo=None)  # naive local: what the inputs show
    if preset == "hour":
        return {"kind": Pass.Kind.CUSTOM, "starts_at": start, "ends_at": start + dt.timedelta(hours=1)}
    if preset == "tonight":
        evening = start.replace(hour=18, minute=0)
        end = (start + dt.timedelta(days=1)).replace(hour=2, minute=0)
        return {"kind": Pass.Kind.CUSTOM, "starts_at": max(evening, start), "ends_at": end}
    if preset == "weekend":
        saturday = start.date() + dt.timedelta(days=(5 - start.weekday()) % 7)
        if start.weekday() == 6:  # Sunday: this weekend is today
            saturday = start.date() - dt.timedelta(days=1)
        begin = max(start, dt.datetime.combine(saturday, dt.time(0, 0)))
        end = dt.datetime.combine(saturday + dt.timedelta(days=1), dt.time(23, 59))
        return {"kind": Pass.Kind.CUSTOM, "starts_at": begin, "ends_at": end}
    if preset == "business_hours" or preset == Pass.Kind.BUSINESS_HOURS:
        return business_hours_initial(now)
    return {}


def business_hours_initial(now: dt.datetime) -> dict:
    return {
        "kind": Pass.Kind.BUSINESS_HOURS,
        "weekdays": list(WEEKDAYS[:5]),
        "time_from": dt.time(9, 0),
        "time_to": dt.time(17, 0),
        "start_date": now.date(),
        "end_date": now.date() + dt.timedelta(days=30),
    }


class ArrivalsForm(forms.Form):
    """The pass page's switch: how its host is told when a visitor uses it."""

    arrival_push = PassForm.base_fields["arrival_push"]
    arrival_email = PassForm.base_fields["arrival_email"]


class ShareForm(forms.Form):
    """Where to send a guest link: an e-mail address, or a phone number while text messages are on
    (``PASSES_SMS_ENABLED``). With them off the form asks for an e-mail address only and says why, so
    nobody types a number that is then refused. ``language``: the language the message is written in,
    the guest's (the resident picks it; it starts at the resident's own)."""

    to = forms.CharField(label=gettext_lazy("E-mail address or phone number"), max_length=254)
    # Not required: a form posted without it (a script, an older page) writes in the resident's language.
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the message"), choices=settings.LANGUAGES, required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.sms = settings.PASSES_SMS_ENABLED
        if not self.sms:
            self.fields["to"].label = gettext_lazy("E-mail address")
        # The resident's own language: their choice, else the one this page is in.
        self.fields["language"].initial = supported(getattr(user, "language", "")) or supported(get_language())

    def clean_language(self) -> str:
        return self.cleaned_data.get("language") or self.fields["language"].initial or settings.LANGUAGE_CODE

    def clean_to(self):
        value = self.cleaned_data["to"]
        if not self.sms and "@" not in value:
            raise forms.ValidationError(SMS_OFF)
        try:
            return rules.normalise_recipient(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
