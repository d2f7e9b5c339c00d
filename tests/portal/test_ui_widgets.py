"""The fast <select> renderer produces the same markup as Django's own widget templates."""

from __future__ import annotations

import re

import pytest
from django import forms

from portal.core.templatetags.ui import select_html
from tenants.models import Building
from tests import factories as f


def normalised(html: str) -> str:
    html = re.sub(r"\s+", " ", html).replace("> <", "><").replace(" >", ">")
    # attribute order differs between the two renderers; compare sorted attribute sets per tag
    return re.sub(r"<(\w+)([^>]*)>", lambda m: f"<{m[1]} {' '.join(sorted(m[2].split()))}>", html)


class Everything(forms.Form):
    one = forms.ChoiceField(choices=[("", "---"), ("a", "Apple & <pear>"), ("b", "Banana")])
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y"), ("z", "Z")], required=False)
    building = forms.ModelChoiceField(queryset=Building.objects.order_by("name"), required=False)


@pytest.mark.django_db
@pytest.mark.parametrize("data", [None, {"one": "a", "many": ["x", "z"]}, {"one": "zz", "many": ["q"]}])
def test_the_fast_select_matches_djangos_rendering(data):
    building = f.BuildingFactory(name="Crimson")
    f.BuildingFactory(name="Pacific")
    form = Everything({**(data or {}), "building": str(building.pk)} if data else None)
    for name in ("one", "many", "building"):
        attrs = {"class": "form-select", "aria-describedby": f"id_{name}-help"}
        django_html = form[name].as_widget(attrs=attrs)

        assert normalised(str(select_html(form[name], attrs))) == normalised(str(django_html)), name
