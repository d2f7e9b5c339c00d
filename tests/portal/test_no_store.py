"""Every page and API answer that shows a PIN, a QR payload or a guest link says ``Cache-Control: no-store``.

Run against Crimson Tower connected to the sandbox: Rosa's PIN and a real pass with real PINs.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from passes.models import Pass
from tests.dashboard.conftest import crimson  # noqa: F401 - the fixture

# Each URL (by name) whose answers carry a door secret, how to ask for it, and what secret it shows.
SECRET_ANSWERS = [
    ("passes:detail", "get", "the visitors' PINs and guest links"),
    ("passes:share", "post", "sends a guest link"),
    ("passes:guest", "get", "the visitor's QR code, PIN and link"),
    ("passes:guest_ics", "get", "a calendar file holding the guest link"),
    ("tenants:pin", "get", "the resident's PIN (masked)"),
    ("tenants:pin?reveal", "get", "the resident's PIN"),
    ("me_api:pin", "get", "the resident's PIN (masked)"),
    ("me_api:pin?reveal", "get", "the resident's PIN"),
    ("passes_api:list", "post", "a created pass with PINs and guest links"),
    ("passes_api:detail", "get", "a pass with PINs and guest links"),
    ("passes_api:revoke", "post", "the revoked pass with its keys"),
]


@pytest.fixture
def rosas_pass(crimson, client):  # noqa: F811
    """A pass Rosa creates through the API (the answer of the create call is checked too)."""
    client.force_login(crimson.rosa)
    now = dt.datetime.now(crimson.building.tz)
    response = client.post(
        reverse("passes_api:list"),
        {
            "residency": crimson.rosa_residency.pk,
            "kind": "custom",
            "name": "Cleaner",
            "starts_at": now.isoformat(),
            "ends_at": (now + dt.timedelta(hours=3)).isoformat(),
            "visitors": ["Cleo"],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    pass_obj = Pass.objects.get(pk=response.json()["id"])
    return pass_obj, response


def assert_no_store(response, what):
    cache_control = response.get("Cache-Control", "")
    assert "no-store" in cache_control, (what, response.status_code, cache_control)


@pytest.mark.django_db
def test_every_answer_carrying_a_pin_a_qr_or_a_guest_link_is_no_store(crimson, client, rosas_pass):  # noqa: F811
    pass_obj, create_answer = rosas_pass
    key = pass_obj.keys.get()
    token = key.share_token
    assert key.pin and token  # the pass really holds a PIN and a link
    urls = {
        "passes:detail": reverse("passes:detail", kwargs={"pk": pass_obj.pk}),
        "passes:share": reverse("passes:share", kwargs={"pk": key.pk}),
        "passes:guest": reverse("passes:guest", kwargs={"token": token}),
        "passes:guest_ics": reverse("passes:guest_ics", kwargs={"token": token}),
        "tenants:pin": reverse("tenants:pin"),
        "tenants:pin?reveal": reverse("tenants:pin") + "?reveal=1",
        "me_api:pin": reverse("me_api:pin"),
        "me_api:pin?reveal": reverse("me_api:pin") + "?reveal=1",
        "passes_api:detail": reverse("passes_api:detail", kwargs={"pk": pass_obj.pk}),
        "passes_api:revoke": reverse("passes_api:revoke", kwargs={"pk": pass_obj.pk}),
    }
    client.force_login(crimson.rosa)
    answers = {"passes_api:list": create_answer}
    for name, method, _what in SECRET_ANSWERS:
        if name in answers:
            continue
        data = {"to": "cleo@example.test"} if name == "passes:share" else None
        answers[name] = getattr(client, method)(urls[name], data) if data else getattr(client, method)(urls[name])

    assert {name: answer.status_code for name, answer in answers.items()} == {
        "passes:detail": 200,
        "passes:share": 302,
        "passes:guest": 200,
        "passes:guest_ics": 200,
        "tenants:pin": 200,
        "tenants:pin?reveal": 200,
        "me_api:pin": 200,
        "me_api:pin?reveal": 200,
        "passes_api:list": 201,
        "passes_api:detail": 200,
        "passes_api:revoke": 200,
    }
    assert key.pin in answers["passes:detail"].content.decode()
    assert token in answers["passes:guest_ics"].content.decode()
    for name, _method, what in SECRET_ANSWERS:
        assert_no_store(answers[name], f"{name}: {what}")


@pytest.mark.django_db
def test_the_guest_page_is_no_store_even_when_rate_limited(crimson, client, rosas_pass, settings):  # noqa: F811
    settings.PASSES_GUEST_RATE_PER_MINUTE = 0
    token = rosas_pass[0].keys.get().share_token

    response = client.get(reverse("passes:guest", kwargs={"token": token}))

    assert response.status_code == 429
    assert_no_store(response, "a refused guest page")
