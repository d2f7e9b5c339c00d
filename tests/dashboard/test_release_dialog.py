"""The release dialog's answers (htmx): every refusal and failure comes back as a fragment marked for
portal.js to show in place (htmx itself swaps only 2xx), with an alert that takes focus."""

from __future__ import annotations

import pytest

from .conftest import FRONT_DOOR, GARAGE

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(door) -> str:
    return f"/doors/{door.pk}/release/"


def assert_dialog_alert(response, status: int, text: str) -> None:
    body = response.content.decode()
    assert response.status_code == status
    assert response["X-Portal-Fragment"] == "1"
    assert 'role="alert" tabindex="-1" autofocus' in body and text in body
    assert "<html" not in body  # a fragment for the dialog, not a page


def test_success_and_the_cooldown_refusal_are_dialog_fragments(crimson, sandbox, client):
    client.force_login(crimson.staff)

    assert_dialog_alert(client.post(url(crimson.doors[FRONT_DOOR]), **HTMX), 200, "Front door released.")
    assert_dialog_alert(client.post(url(crimson.doors[FRONT_DOOR]), **HTMX), 409, "was just released")


def test_a_butterflymx_failure_is_a_dialog_fragment(crimson, sandbox, client):
    sandbox.fault("/v4/door_release_requests", "POST", status=503, count=1)
    client.force_login(crimson.staff)

    assert_dialog_alert(client.post(url(crimson.doors[GARAGE]), **HTMX), 502, "Garage was not released")


def test_a_rate_limit_is_a_dialog_fragment_with_retry_after(crimson, sandbox, client, settings):
    settings.DOOR_RELEASE_USER_LIMIT = 0
    client.force_login(crimson.staff)

    response = client.post(url(crimson.doors[GARAGE]), **HTMX)

    assert_dialog_alert(response, 429, "released doors too often")
    assert response["Retry-After"] == "60"


@pytest.mark.parametrize("reason", ["x" * 201])
def test_a_form_error_comes_back_as_the_form_with_a_focused_summary(crimson, sandbox, client, reason):
    client.force_login(crimson.staff)

    response = client.post(url(crimson.doors[GARAGE]), {"reason": reason}, **HTMX)

    assert_dialog_alert(response, 400, "Check the form: Reason (optional): Ensure this value has at most 200")
    assert "Release now" in response.content.decode()


def test_without_htmx_the_answers_stay_pages_and_messages(crimson, sandbox, client):
    client.force_login(crimson.staff)
    client.post(url(crimson.doors[FRONT_DOOR]))

    response = client.post(url(crimson.doors[FRONT_DOOR]), follow=True)

    assert "was just released" in response.content.decode() and "X-Portal-Fragment" not in response
