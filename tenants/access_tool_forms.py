"""Forms of the managers' access-tools page: which tools to list, and a new fob for a tenant."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Building, TenantRecord

TYPE_CHOICES = [
    ("", _("Every kind")),
    ("pin", _("PINs")),
    ("rfid_tag", _("Fobs and cards")),
    ("vehicle", _("Vehicle tags")),
]


def _tenant_label(tenant: TenantRecord) -> str:
    return f"{tenant.unit.label} · {tenant}" if tenant.unit is not None else str(tenant)


def _tenants(building: Building):
    return (
        TenantRecord.objects.filter(building=building, is_active=True)
        .select_related("unit")
        .order_by("unit__label", "last_name", "first_name")
    )


class AccessToolFilterForm(forms.Form):
    """``?tenant=<ButterflyMX tenant id>&type=pin``: sent to ButterflyMX as ``q[tenant_id_eq]`` and
    ``q[item_type_eq]``. Only the building's own tenants can be chosen."""

    tenant = forms.TypedChoiceField(label=_("Tenant"), required=False, coerce=int, empty_value=None)
    type = forms.ChoiceField(label=_("Kind"), required=False, choices=TYPE_CHOICES)

    def __init__(self, building: Building, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tenant"].choices = [("", _("Every tenant"))] + [
            (t.bmx_id, _tenant_label(t)) for t in _tenants(building)
        ]


class FobForm(forms.Form):
    tenant = forms.ModelChoiceField(label=_("Tenant"), queryset=TenantRecord.objects.none(), empty_label=None)
    identifier = forms.CharField(
        label=_("Fob or card identifier"),
        max_length=100,
        help_text=_("The hexadecimal code printed on the fob or card, or read by the reader (0-9, a-f)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )

    def __init__(self, building: Building, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["tenant"]
        field.queryset = _tenants(building)
        field.label_from_instance = _tenant_label
