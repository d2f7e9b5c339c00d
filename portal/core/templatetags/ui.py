"""Small template helpers for rendering Django form fields with Bootstrap classes."""

from django import template

from portal.core.fields import bs_widget, is_check

register = template.Library()


register.filter("bs_widget", bs_widget)
register.filter("is_check", is_check)


@register.simple_tag
def active_filter_count(form) -> int:
    """How many fields of a bound filter form hold a value: the count on a collapsed "Filters" toggle."""
    if not form.is_bound:
        return 0
    return sum(1 for field in form if not field.is_hidden and field.value() not in (None, "", [], ()))
