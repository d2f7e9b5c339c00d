"""Each log FilterSet works on its own filters and form fields (django-filter's and Django's own copies):
nothing one request sets on them (querysets, preloaded choices, bound methods) reaches another's."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from logs.filters import AccessLogFilter, CallFilter
from logs.models import AccessLogEntry, CallRecord


def _request(user, query: str = ""):
    request = RequestFactory().get("/logs/" + query)
    request.user = user
    return request


@pytest.mark.parametrize(("filterset_class", "model"), [(AccessLogFilter, AccessLogEntry), (CallFilter, CallRecord)])
def test_two_filtersets_share_no_filter_field_or_widget(world, filterset_class, model):
    one = filterset_class({"q": "1"}, queryset=model.objects.all(), request=_request(world.manager))
    two = filterset_class({"q": "5"}, queryset=model.objects.all(), request=_request(world.charlie))
    for name, filter_ in one.filters.items():
        other = two.filters[name]
        assert filter_ is not other and filter_ is not filterset_class.base_filters[name]
        assert filter_.extra is not other.extra
        assert filter_.parent is one and other.parent is two
        if filter_.method:  # the method filters call their own FilterSet's method
            assert filter_.filter.f is filter_ and other.filter.f is other
        assert one.form.fields[name] is not two.form.fields[name]
        assert one.form.fields[name].widget is not two.form.fields[name].widget
    # each person's own choices, from their own grants
    assert [b.name for b in one.form.fields["building"].objects()] == ["Building A"]
    assert [b.name for b in two.form.fields["building"].objects()] == ["Building B"]


def test_a_filtered_query_still_uses_its_own_method(world):
    manager = AccessLogFilter({"q": "Ali"}, queryset=AccessLogEntry.objects.all(), request=_request(world.manager))
    resident = AccessLogFilter({"q": "Bo"}, queryset=AccessLogEntry.objects.all(), request=_request(world.alice))
    assert "Ali" in str(manager.qs.query) and "Bo" not in str(manager.qs.query)
    assert "Bo" in str(resident.qs.query) and "Ali" not in str(resident.qs.query)
