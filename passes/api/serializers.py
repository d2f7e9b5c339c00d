"""The API's shapes. Input goes through the same rules as the form (:mod:`passes.rules`)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from tenants.models import AccessPoint, Residency

from .. import rules
from ..models import WEEKDAYS, Pass, VisitorKey
from ..services import PassInput
from ..sharing import share_url


class VisitorKeySerializer(serializers.ModelSerializer):
    share_url = serializers.SerializerMethodField()

    class Meta:
        model = VisitorKey
        fields = [
            "id", "name", "email", "phone", "pin", "usage_count", "first_used_at", "last_used_at", "share_url",
            "removed_at",
        ]  # fmt: skip

    def get_share_url(self, key: VisitorKey) -> str:
        return share_url(key, self.context.get("request"))


class PassSerializer(serializers.ModelSerializer):
    state = serializers.SerializerMethodField()
    doors = serializers.SerializerMethodField()
    keys = VisitorKeySerializer(many=True, read_only=True)
    resident = serializers.SerializerMethodField()
    time_zone = serializers.CharField(source="building.time_zone", read_only=True)

    class Meta:
        model = Pass
        fields = [
            "id", "kind", "name", "state", "status", "building", "unit", "resident", "time_zone",
            "starts_at", "ends_at", "start_date", "end_date", "time_from", "time_to", "weekdays",
            "doors", "recipients", "use_count", "first_used_at", "last_used_at", "revoked_at", "revoked_reason",
            "origin", "failure", "keys", "created_at",
        ]  # fmt: skip

    def get_state(self, obj: Pass) -> str:
        return obj.state()

    def get_doors(self, obj: Pass) -> list[dict]:
        return [{"id": d.pk, "name": d.name} for d in obj.doors.all()]

    def get_resident(self, obj: Pass) -> str | None:
        return obj.residency.user.display_name if obj.residency else None


class PassListSerializer(PassSerializer):
    class Meta(PassSerializer.Meta):
        fields = [f for f in PassSerializer.Meta.fields if f != "keys"]


class PersonSerializer(serializers.Serializer):
    """One person of a pass: a name, and optionally an e-mail address or phone number ButterflyMX sends
    their key to."""

    name = serializers.CharField(max_length=120, trim_whitespace=False)
    contact = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")


class PassCreateSerializer(serializers.Serializer):
    residency = serializers.PrimaryKeyRelatedField(queryset=Residency.objects.none())
    kind = serializers.ChoiceField(choices=Pass.Kind.choices)
    name = serializers.CharField(max_length=120)
    starts_at = serializers.DateTimeField(required=False, allow_null=True, default_timezone=None)
    ends_at = serializers.DateTimeField(required=False, allow_null=True, default_timezone=None)
    day = serializers.DateField(required=False, allow_null=True)
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    time_from = serializers.TimeField(required=False, allow_null=True)
    time_to = serializers.TimeField(required=False, allow_null=True)
    weekdays = serializers.ListField(child=serializers.ChoiceField(choices=WEEKDAYS), required=False)
    all_day = serializers.BooleanField(required=False, default=False)
    doors = serializers.PrimaryKeyRelatedField(queryset=AccessPoint.objects.all(), many=True, required=False)
    recipients = serializers.ListField(child=serializers.CharField(), required=False)
    visitors = serializers.ListField(child=serializers.CharField(max_length=120), required=False)
    people = PersonSerializer(many=True, required=False)  # one list of people (visitors and recipients)
    keep_clock_changes = serializers.BooleanField(
        required=False,
        default=False,
        help_text="A recurring pass whose daily time_from or time_to a daylight-saving change skips or "
        "repeats on one of its days is refused with those days in words, unless this is true.",
    )

    FIELDS = {
        "custom": ("starts_at", "ends_at"),
        "full_day": ("day",),
        "one_time": ("day",),
        "recurring": ("start_date", "end_date", "weekdays", "all_day", "time_from", "time_to"),
        "business_hours": ("start_date", "end_date", "weekdays", "all_day", "time_from", "time_to"),
        "delivery": (),
    }

    def __init__(self, *args, residencies=None, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["residency"].queryset = residencies if residencies is not None else Residency.objects.none()
        self.actor = actor

    def validate_name(self, value: str) -> str:
        try:
            return rules.clean_name(value)
        except rules.PassRuleError as exc:
            raise serializers.ValidationError(exc.errors["name"]) from None

    @staticmethod
    def _people(attrs) -> rules.People:
        """``people``, ``visitors`` (names) and ``recipients`` (contacts) as one list of people."""
        people, visitors = attrs.get("people") or [], attrs.get("visitors") or []
        entries = [
            (_("Person %(number)s") % {"number": n}, p["name"], p.get("contact", "")) for n, p in enumerate(people, 1)
        ]
        entries += [(_("Visitor %(number)s") % {"number": n}, v, "") for n, v in enumerate(visitors, 1) if v.strip()]
        entries += [
            (_("Recipient %(number)s") % {"number": n}, "", r) for n, r in enumerate(attrs.get("recipients") or [], 1)
        ]
        rules.clean_recipients(attrs.get("recipients") or [])  # their errors under "recipients", as before
        return rules.people_from(entries)

    def validate(self, attrs):
        residency: Residency = attrs["residency"]
        kind = attrs["kind"]
        building = residency.unit.building
        doors = [] if kind == "delivery" else list(attrs.get("doors") or [])
        errors: dict = {}
        if any(d.building_id != building.pk for d in doors):
            errors["doors"] = [_("Choose doors of the resident's building only.")]
        elif doors and (self.actor is None or self.actor.pk == residency.user_id):
            allowed = set(residency.doors.values_list("pk", flat=True))
            if any(d.pk not in allowed for d in doors):
                errors["doors"] = [_("Choose doors the resident may use.")]
        try:
            people = rules.People() if kind == "delivery" else self._people(attrs)
            visitors, recipients = people.visitors, people.recipients
            rules.check_visitor_count(visitors, recipients)
            fields = {f: attrs.get(f) for f in self.FIELDS[kind]}
            for name in ("starts_at", "ends_at"):
                # An offset given is honoured; a time without one is building-local, as in the form.
                if fields.get(name) is not None and timezone.is_aware(fields[name]):
                    fields[name] = fields[name].astimezone(building.tz)
            window = rules.window_for(kind, tz=building.tz, now=timezone.now(), **fields)
            if window.clock_notes and not attrs.get("keep_clock_changes"):  # as the form asks
                notes: dict[str | None, list[str]] = {}
                for name, message in window.clock_notes:
                    keep = _("%(note)s (keep_clock_changes: true keeps them.)") % {"note": message}
                    notes.setdefault(name, []).append(keep)
                raise rules.PassRuleError(notes)
        except rules.PassRuleError as exc:
            for name, messages in exc.errors.items():
                errors.setdefault(name or "non_field_errors", []).extend(messages)
        if errors:
            raise serializers.ValidationError(errors)
        attrs["pass_input"] = PassInput(
            kind=kind,
            name=attrs["name"],
            window=window,
            doors=doors,
            recipients=recipients,
            visitors=visitors,
            contact_names=people.contact_names,
        )
        return attrs
