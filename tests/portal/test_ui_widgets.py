"""Forms rendered by Jinja2 (portal/core/jinja2env.py, the log filters) write the markup the Django
templates write: the field group of templates/includes/field.html and Django's own widget templates."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.template import engines
from django.utils.safestring import mark_safe

from portal.core import jinja2env
from portal.core.jinja2env import Jinja2FormRenderer
from portal.core.templatetags.ui import bs_widget
from portal.core.widgets import ListedSelect, ListedSelectMultiple
from tenants.models import Building
from tests import factories as f


def normalised(html: str) -> str:
    html = re.sub(r"\s+", " ", html).replace("> <", "><").replace(" >", ">").strip()
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


class ListedEverything(Everything):
    """Everything's fields with portal.core.widgets' selects, as the log filters use them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            listed = ListedSelectMultiple if name == "many" else ListedSelect
            field.widget = listed(choices=field.choices)


class Inputs(forms.Form):
    name = forms.CharField(max_length=20, help_text="As on the buzzer")
    email = forms.EmailField(required=False)
    count = forms.IntegerField(min_value=1, required=False)
    when = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    secret = forms.CharField(widget=forms.PasswordInput, required=False)
    disabled = forms.CharField(disabled=True, required=False, initial='a "quoted" <value>')


class Mixed(forms.Form):
    name = forms.CharField(help_text="As <on> the buzzer")
    agree = forms.BooleanField(required=False, label="I agree & accept", help_text="Needed")
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], required=False)

    def clean_agree(self):
        if not self.cleaned_data["agree"]:
            raise forms.ValidationError(["Please agree.", "Really <please>.", "A \"quoted\" 'one'."])
        return True


def both_renderings(form_class, data, jinja_class=None) -> list[tuple[str, str]]:
    """Each field of the form through templates/includes/field.html (Django's templates, Django's
    widget renderer) and through ``as_field_group`` with the Jinja2 renderer (of ``jinja_class``)."""
    django_form = form_class(data)
    jinja_form = (jinja_class or form_class)(data, renderer=Jinja2FormRenderer())
    if data:
        django_form.is_valid(), jinja_form.is_valid()
    include = engines["django"].from_string('{% include "includes/field.html" %}')
    return [
        (include.render({"field": django_form[name]}), str(jinja_form[name].as_field_group()))
        for name in django_form.fields
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form_class", "data"),
    [
        (Everything, None),
        (Everything, {"one": "a", "many": ["x", "z"], "door": "2"}),
        (Everything, {"one": "zz", "many": ["q"]}),
        (Inputs, None),
        (Inputs, {"name": 'Ada & "Bob" <x>', "email": "a@b.test", "count": "3", "when": "2026-11-20T08:30"}),
        (Inputs, {"name": "", "email": "not-an-email", "count": "zero", "when": "yesterday", "secret": "pw"}),
        (Mixed, None),
        (Mixed, {"name": "", "token": "t<1>", "kind": "zz"}),
        (Mixed, {"name": "x", "agree": "on"}),
    ],
)
def test_the_jinja2_field_group_writes_what_the_field_include_writes(form_class, data):
    f.BuildingFactory(name="Crimson & <Co>")
    f.BuildingFactory(name="Pacific")
    for django_html, jinja_html in both_renderings(form_class, data):
        assert normalised(jinja_html) == normalised(django_html)
    if form_class is Inputs and data:
        assert all("pw" not in jinja for _, jinja in both_renderings(Inputs, data))  # never written back


@pytest.mark.django_db
@pytest.mark.parametrize("data", [None, {"one": "a", "many": ["x", "z"], "door": "2"}, {"one": "zz", "many": ["q"]}])
def test_the_listed_selects_write_what_djangos_selects_write(data):
    f.BuildingFactory(name="Crimson & <Co>")
    f.BuildingFactory(name="Pacific")
    for django_html, jinja_html in both_renderings(Everything, data, jinja_class=ListedEverything):
        assert "<option" in jinja_html
        assert normalised(jinja_html) == normalised(django_html)


def test_a_single_listed_select_marks_only_the_first_match_as_django_does():
    widget = ListedSelect(choices=[("a", "A"), ("a", "A again"), ("b", "B")])
    groups = widget.get_context("x", "a", {})["widget"]["groups"]
    assert [selected for _, options in groups for _, _, selected in options] == [True, False, False]


def test_escaping_is_djangos_own():
    """The same entities as the Django templates (``&quot;``, ``&#x27;``), not markupsafe's; safe HTML as is,
    and text that looks like an entity stays text."""
    engines["jinja2"].from_string("{{ text }}|{{ html }}|{{ entity }}")  # the engine is configured
    context = {"text": "<\"'&>", "html": mark_safe("<b>"), "entity": "&#34; &#39;"}
    with_template = jinja2env.django_entities(
        engines["jinja2"].from_string("{{ text }}|{{ html }}|{{ entity }}").render(context)
    )
    assert with_template == "&lt;&quot;&#x27;&amp;&gt;|<b>|&amp;#34; &amp;#39;"
    django = engines["django"].from_string("{{ text }}|{{ html }}|{{ entity }}").render(context)
    assert with_template == django


@pytest.mark.parametrize("data", [None, {"name": "", "email": "x"}])
def test_bs_widget_adds_the_bootstrap_class_and_aria_links(data):
    form = Inputs(data)
    if data:
        form.is_valid()
    for name in form.fields:
        expected = {"class": "form-control"}
        if form[name].help_text:
            expected["aria-describedby"] = f"id_{name}-help"
        if form[name].errors:
            expected |= {"class": "form-control is-invalid", "aria-invalid": "true"}
            expected["aria-describedby"] = " ".join(
                filter(None, [expected.get("aria-describedby"), f"id_{name}-errors"])
            )
        assert normalised(str(bs_widget(form[name]))) == normalised(str(form[name].as_widget(attrs=expected)))
