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
    door = forms.ChoiceField(
        choices=[("", "---"), ("Crimson & Co", [("1", "Front"), ("2", "Garage")]), ("Pacific", [("3", "Front")])],
        required=False,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("data", [None, {"one": "a", "many": ["x", "z"]}, {"one": "zz", "many": ["q"]}])
def test_the_fast_select_matches_djangos_rendering(data):
    building = f.BuildingFactory(name="Crimson")
    f.BuildingFactory(name="Pacific")
    form = Everything({**(data or {}), "building": str(building.pk), "door": "2"} if data else None)
    for name in ("one", "many", "building", "door"):
        attrs = {"class": "form-select", "aria-describedby": f"id_{name}-help"}
        django_html = form[name].as_widget(attrs=attrs)

        assert normalised(str(select_html(form[name], attrs))) == normalised(str(django_html)), name


class Inputs(forms.Form):
    name = forms.CharField(max_length=20, help_text="As on the buzzer")
    email = forms.EmailField(required=False)
    count = forms.IntegerField(min_value=1, required=False)
    when = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    secret = forms.CharField(widget=forms.PasswordInput, required=False)
    disabled = forms.CharField(disabled=True, required=False, initial='a "quoted" <value>')


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"name": 'Ada & "Bob" <x>', "email": "a@b.test", "count": "3", "when": "2026-11-20T08:30", "secret": "pw"},
        {"name": "", "email": "not-an-email", "count": "zero", "when": "yesterday", "secret": "pw"},
    ],
)
def test_the_fast_input_matches_djangos_rendering(data):
    from portal.core.templatetags.ui import bs_widget, input_html

    form = Inputs(data)
    if data:
        form.is_valid()
    for name in form.fields:
        attrs = {"class": "form-control", "aria-describedby": f"id_{name}-help"}
        assert normalised(str(input_html(form[name], attrs))) == normalised(str(form[name].as_widget(attrs=attrs)))
        # and bs_widget takes that path for these widgets, with the same result as Django's widget
        expected_attrs = {"class": "form-control"}
        if form[name].help_text:
            expected_attrs["aria-describedby"] = f"id_{name}-help"
        if form[name].errors:
            expected_attrs |= {"class": "form-control is-invalid", "aria-invalid": "true"}
            expected_attrs["aria-describedby"] = " ".join(
                filter(None, [expected_attrs.get("aria-describedby"), f"id_{name}-errors"])
            )
        assert normalised(str(bs_widget(form[name]))) == normalised(str(form[name].as_widget(attrs=expected_attrs)))
    assert "pw" not in str(input_html(form["secret"], {}))  # a password is never written back


class Mixed(forms.Form):
    name = forms.CharField(help_text="As <on> the buzzer")
    agree = forms.BooleanField(required=False, label="I agree & accept", help_text="Needed")
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], required=False)

    def clean_agree(self):
        if not self.cleaned_data["agree"]:
            raise forms.ValidationError(["Please agree.", "Really <please>."])
        return True


@pytest.mark.parametrize("data", [None, {"name": "", "token": "t<1>", "kind": "zz"}, {"name": "x", "agree": "on"}])
def test_form_field_renders_what_the_field_include_renders(data):
    from django.template import engines

    form = Mixed(data)
    template = engines["django"].from_string(
        '{% load ui %}{% for field in form %}{% include "includes/field.html" %}|{% form_field field %}#{% endfor %}'
    )
    pairs = [part.split("|") for part in template.render({"form": form}).split("#") if part.strip()]
    assert len(pairs) == len(form.fields)
    for included, ours in pairs:
        assert normalised(ours).strip() == normalised(included).strip()
