"""``fixed_url``/``{% page_url %}``: the same URL as ``reverse()``/``{% url %}``, under any script prefix."""

from __future__ import annotations

import pytest
from django.template import engines
from django.urls import NoReverseMatch, reverse, set_script_prefix

from portal.core.links import fixed_url


@pytest.mark.parametrize("name", ["home", "logs:list", "logs:export", "tenants:profile", "account_logout"])
def test_a_fixed_url_is_what_reverse_gives(name):
    assert fixed_url(name) == reverse(name)
    template = engines["django"].from_string("{% load links %}{% page_url name %}|{% url name %}")
    ours, djangos = template.render({"name": name}).split("|")
    assert ours == djangos


def test_the_script_prefix_is_part_of_the_key():
    try:
        set_script_prefix("/portal/")
        assert fixed_url("logs:list") == "/portal/logs/"
    finally:
        set_script_prefix("/")
    assert fixed_url("logs:list") == "/logs/"


def test_a_url_name_that_does_not_exist_still_fails_loudly():
    with pytest.raises(NoReverseMatch):
        fixed_url("no-such-page")
