"""Every URL of the portal, for every persona, answers the status written in tests/access_matrix.py."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portal.core.services import heartbeat_record
from tests.access_matrix import COVERED_NAMESPACES, MATRIX, PERSONAS


def named_urls(resolver=None, namespace: str | None = None):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from named_urls(pattern, ns)
        elif isinstance(pattern, URLPattern):
            if namespace and namespace.split(":")[0] in COVERED_NAMESPACES:
                continue
            if pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name


ALL_NAMES = sorted(set(named_urls()))


def test_every_url_of_the_portal_is_in_the_access_matrix():
    missing = [name for name in ALL_NAMES if name not in MATRIX]

    assert not missing, f"add these URLs to tests/access_matrix.py: {missing}"


def test_the_matrix_lists_no_url_that_does_not_exist():
    known = set(ALL_NAMES) | set(COVERED_NAMESPACES.values())

    assert not [name for name in MATRIX if name not in known]


@pytest.mark.parametrize("url_name", sorted(MATRIX))
def test_each_persona_gets_the_status_the_matrix_says(url_name, world, client_for):
    heartbeat_record(name="beat")  # /healthz is about the server, not the persona
    entry = MATRIX[url_name]
    url = reverse(url_name, kwargs=entry.kwargs(world)) + entry.query
    got = {}
    for persona in PERSONAS:
        client = client_for(world.persona(persona))
        got[persona] = client.get(url).status_code

    assert got == entry.expect
