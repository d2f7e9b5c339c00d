"""Small template helpers for rendering Django form fields with Bootstrap classes."""

from django import template
from django.forms import BoundField, Select

register = template.Library()


_CHECK_TYPES = {"checkbox", "radio"}


@register.filter
def bs_widget(field: BoundField) -> str:
    """Render ``field``'s widget with the Bootstrap class its type needs, invalid state and ARIA links."""
    widget = field.field.widget
    input_type = getattr(widget, "input_type", None)
    if input_type in _CHECK_TYPES:
        css = "form-check-input"
    elif isinstance(widget, Select):  # SelectMultiple, NullBooleanSelect, portal.core.widgets' too
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
    return field.as_widget(attrs=attrs)


@register.filter
def is_check(field: BoundField) -> bool:
    return getattr(field.field.widget, "input_type", None) == "checkbox"


@register.simple_tag
def active_filter_count(form) -> int:
    """How many fields of a bound filter form hold a value: the count on a collapsed "Filters" toggle."""
    if not form.is_bound:
        return 0
    return sum(1 for field in form if not field.is_hidden and field.value() not in (None, "", [], ()))
