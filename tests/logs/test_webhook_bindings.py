"""Webhook registration speaks the document: the guide's resource types, one integration each, and a
refusal of any of them tolerated (that stream is polled, and the sync health page says so).

The requests are the portal's own, recorded by ``tests.plugins.contract`` on their way to the sandbox.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from logs import services
from logs.health import polled_without_webhooks
from logs.models import WebhookEndpoint
from portal.butterflymx import BmxError
from portal.core.health import check_log_sync

from .conftest import CRIMSON

pytestmark = pytest.mark.django_db
INTEGRATIONS = f"/v4/buildings/{CRIMSON}/integrations"


def integrations_at(sandbox) -> list[dict]:
    return [i for i in sandbox.state()["integrations"] if i["building_id"] == CRIMSON]


def test_each_documented_resource_type_is_registered_with_the_documented_body(crimson, sandbox, bmx_requests):
    endpoint = services.webhooks_register(building=crimson.building)

    sent = bmx_requests.find("POST", INTEGRATIONS)
    url = sent[0].body["data"]["attributes"]["configuration"]["url"]
    assert [s.body for s in sent] == [
        {
            "data": {
                "type": "integrations",
                "attributes": {
                    "integrator": "webhook",
                    "configuration": {"url": url, "method": "post"},
                    # no resource_id: typed string by the document, null in its example; absent is valid
                    "bindings": [{"actions": ["create"], "resource_type": kind}],
                },
            }
        }
        for kind in ("call", "access_log")
    ]
    ids = [str(i["id"]) for i in integrations_at(sandbox)]
    assert endpoint.integrations == dict(zip(("call", "access_log"), ids, strict=True)) and endpoint.refused == {}


def test_a_refused_resource_type_leaves_the_other_registered_and_its_stream_polled(crimson, sandbox, client, settings):
    settings.LOGS_SYNC_CALLS_INTERVAL_S = 30
    sandbox.fault(INTEGRATIONS, "POST", status=422, count=1)  # ButterflyMX refuses the first, call

    endpoint = services.webhooks_register(building=crimson.building)

    assert list(endpoint.refused) == ["call"] and "refused" in endpoint.refused["call"]
    [registered] = integrations_at(sandbox)
    assert [b["resource_type"] for b in registered["attributes"]["bindings"]] == ["access_log"]
    assert endpoint.integrations == {"access_log": str(registered["id"])} and endpoint.last_error == ""
    # the sync health page and /healthz say the calls are polled, and how often
    client.force_login(crimson.manager)
    page = client.get(reverse("logs:health")).content.decode()
    assert "Polled only" in page and "refused the webhook for the calls" in page and "every 30 s" in page
    assert polled_without_webhooks() == [("Crimson Tower", "calls: webhook refused, polled every 30 s")]
    assert "polled only: Crimson Tower (calls: webhook refused" in check_log_sync().detail


def test_registering_again_through_the_health_page_says_which_stream_stays_polled(crimson, sandbox, client):
    sandbox.fault(INTEGRATIONS, "POST", status=403, count=1)
    client.force_login(crimson.manager)

    response = client.post(
        reverse("logs:health_action", args=[crimson.building.pk]), {"action": "webhooks"}, follow=True
    )

    page = response.content.decode()
    assert "are registered, except for the calls, which ButterflyMX refused" in page
    assert WebhookEndpoint.objects.get(building=crimson.building).refused.keys() == {"call"}


def test_when_every_resource_type_is_refused_registration_fails_and_nothing_points_at_us(crimson, sandbox):
    sandbox.fault(INTEGRATIONS, "POST", status=422)

    with pytest.raises(BmxError):
        services.webhooks_register(building=crimson.building)

    endpoint = WebhookEndpoint.objects.get(building=crimson.building)
    assert endpoint.refused.keys() == {"call", "access_log"} and endpoint.integrations == {}
    assert endpoint.secret_hash == "" and endpoint.last_error
    assert integrations_at(sandbox) == []


def test_a_later_registration_that_succeeds_clears_the_refusals(crimson, sandbox):
    sandbox.fault(INTEGRATIONS, "POST", status=422, count=1)
    services.webhooks_register(building=crimson.building)

    endpoint = services.webhooks_register(building=crimson.building)

    assert endpoint.refused == {} and len(integrations_at(sandbox)) == 2
    assert polled_without_webhooks() == []
