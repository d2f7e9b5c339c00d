"""The release confirmation: an optional reason and, for staff, who the release is for."""

from __future__ import annotations

from django import forms

from tenants.models import Building, Residency


class ResidencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Residency) -> str:
        return f"{obj.unit.label} · {obj.user.display_name}"


class ReleaseForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "e.g. courier for 4B", "autocomplete": "off"}),
    )
    for_residency = ResidencyChoiceField(
        label="For (optional)",
        queryset=Residency.objects.none(),
        required=False,
        empty_label="Front desk (nobody in particular)",
        help_text="ButterflyMX logs the release under this resident.",
    )

    def __init__(self, *args, building: Building, staff: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if staff:
            self.fields["for_residency"].queryset = (
                Residency.objects.filter(unit__building=building, is_active=True)
                .exclude(bmx_tenant_id=None)
                .select_related("unit", "user")
                .order_by("unit__label", "user__last_name")
            )
        else:
            del self.fields["for_residency"]
