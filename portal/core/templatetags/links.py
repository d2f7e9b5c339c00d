"""``{% page_url "name" %}``: ``{% url "name" %}`` for URLs without arguments, reversed once per process
(portal/core/links.py). Supports ``as var`` like any simple tag."""

from django import template

from portal.core.links import fixed_url

register = template.Library()


@register.simple_tag
def page_url(name: str) -> str:
    return fixed_url(name)
