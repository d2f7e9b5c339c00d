"""Small template helpers for rendering Django form fields with Bootstrap classes."""

from django import template
from django.forms import BoundField, Select, SelectMultiple
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_CHECK_TYPES = {"checkbox", "radio"}


@register.filter
def bs_widget(field: BoundField) -> str:
    """Render ``field``'s widget with the Bootstrap class its type needs, invalid state and ARIA links."""
    widget = field.field.widget
    input_type = getattr(widget, "input_type", None)
    if input_type in _CHECK_TYPES:
        css = "form-check-input"
    elif widget.__class__.__name__ in ("Select", "SelectMultiple", "NullBooleanSelect"):
        css = "form-select"
    else:
        css = "form-control"
    attrs = {"class": f"{widget.attrs.get('class', '')} {css}".strip()}
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}-help")
    if field.errors:
        attrs["class"] += " is-invalid"
        attrs["aria-invalid"] = "true"
        described.append(f"{field.auto_id}-errors")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if type(widget) in (Select, SelectMultiple):
        fast = select_html(field, attrs)
        if fast is not None:
            return fast
    return field.as_widget(attrs=attrs)


def select_html(field: BoundField, attrs: dict) -> SafeString | None:
    """A plain ``<select>`` built in Python, the same markup as Django's widget templates.

    Django renders every ``<option>`` through a template: a filter form with a building, a door and a
    release-method list cost a log page ~10 ms. ``None`` (use Django's renderer) for grouped choices.
    """
    widget = field.field.widget
    selected = set(widget.format_value(field.value()))  # Django's own reading of the current value
    options = []
    for option_value, label in field.field.choices:
        if isinstance(label, list | tuple):
            return None  # optgroups: leave them to Django
        text = "" if option_value is None else str(option_value)
        options.append((text, mark_safe(" selected") if text in selected else "", label))
    final = widget.build_attrs(widget.attrs, field.build_widget_attrs({**attrs, "id": field.auto_id}, widget))
    if widget.allow_multiple_selected:
        final["multiple"] = True
    return format_html(
        '<select name="{}"{}>{}</select>',
        field.html_name,
        flatatt(final),
        format_html_join("", '<option value="{}"{}>{}</option>', options),
    )


@register.filter
def is_check(field: BoundField) -> bool:
    return getattr(field.field.widget, "input_type", None) == "checkbox"
