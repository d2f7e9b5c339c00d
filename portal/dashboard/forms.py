"""The release confirmation: an optional reason and, for staff, who the release is for; the front desk."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from tenants.models import Building, TenantRecord

from .services import UNIT_DOOR_REASON_REQUIRED


class TenantChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: TenantRecord) -> str:
        if obj.unit is None:
            return _("no unit · %(tenant)s") % {"tenant": obj}
        return f"{obj.unit.label} · {obj}"


def tenants_of(building: Building):
    """The building's ButterflyMX tenants, as the last roster sync saw them."""
    return (
        TenantRecord.objects.filter(building=building, is_active=True)
        .select_related("unit")
        .order_by("unit__label", "last_name", "first_name")
    )


class ReleaseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (optional)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. courier for 4B"), "autocomplete": "off"}),
    )
    for_tenant = TenantChoiceField(
        label=pgettext_lazy("whom a door was released for", "For"),
        queryset=TenantRecord.objects.none(),
        required=False,
        help_text=gettext_lazy("ButterflyMX logs the release under this resident."),
    )

    def __init__(
        self,
        *args,
        building: Building,
        staff: bool,
        front_desk_label: str | None = None,
        reason_required: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if reason_required:  # staff opening a resident's own door (services.ReleaseTarget.reason_required)
            reason = self.fields["reason"]
            reason.required = True
            reason.label = _("Reason")
            reason.help_text = _("Required: this is a resident's own door. The reason is kept in the release audit.")
            reason.error_messages["required"] = UNIT_DOOR_REASON_REQUIRED
        if not staff:
            del self.fields["for_tenant"]
            return
        field = self.fields["for_tenant"]
        field.queryset = tenants_of(building)
        if front_desk_label:
            field.empty_label = _("%(account)s (nobody in particular)") % {"account": front_desk_label}
        else:
            # Without a front-desk tenant, ButterflyMX needs a resident for every release.
            field.required = True
            field.empty_label = _("Choose a resident…")
            field.help_text = _(
                "ButterflyMX logs every release under a resident. A manager can set a front-desk account."
            )


class FrontDeskForm(forms.Form):
    tenant = TenantChoiceField(
        label=gettext_lazy("Front-desk account"),
        queryset=TenantRecord.objects.none(),
        required=False,
        empty_label=gettext_lazy("None: staff choose a resident for every release"),
        help_text=gettext_lazy("The ButterflyMX tenant that releases for nobody in particular are logged under."),
    )

    def __init__(self, *args, building: Building, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tenant"].queryset = tenants_of(building)


class UnitDoorsForm(forms.Form):
    shown = forms.BooleanField(
        label=gettext_lazy("Show residents' unit doors on this board"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input", "role": "switch"}),
        help_text=gettext_lazy("Off: staff neither see nor can release residents' own apartment doors."),
    )
