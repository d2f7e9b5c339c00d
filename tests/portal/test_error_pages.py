"""Branded 404, 429 and 500 pages with a way back; the API answers its JSON error shape instead."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from portal.core.errors import too_many_requests

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth's and DRF's rate-limit counters live in the cache; every test starts with none."""
    cache.clear()
    yield
    cache.clear()


def assert_branded(body: str, code: str) -> None:
    assert 'data-testid="error-page"' in body
    assert f">{code}</p>" in body
    assert "Building Portal" in body  # the portal's header and title
    assert 'href="/"' in body and "Go to the home page" in body  # a way back
    assert "data-history-back" in body


def test_an_unknown_page_is_the_branded_404_with_the_portal_navigation(client_for, world):
    response = client_for(world.alice).get("/no-such-page/")

    body = response.content.decode()
    assert response.status_code == 404
    assert_branded(body, "404")
    assert "<title>Page not found · Building Portal</title>" in body
    assert 'id="main-nav"' in body  # the signed-in person keeps the navigation


def test_an_unknown_api_url_answers_the_api_error_shape(client):
    response = client.get("/api/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found", "errors": {}}


def test_a_browser_under_api_gets_the_page_and_a_script_anywhere_gets_json(client):
    browser = client.get("/api/no-such-page/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    script = client.get("/no-such-page/", HTTP_ACCEPT="application/json")

    assert browser.status_code == 404 and 'data-testid="error-page"' in browser.content.decode()
    assert script.status_code == 404 and script.json()["code"] == "not_found"


def test_500_renders_through_djangos_server_error_view_without_a_request_context():
    # Django's documented handler renders 500.html with an empty Context: no request, no user.
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert_branded(response.content.decode(), "500")


@pytest.mark.urls("tests.portal.failing_urls")
def test_a_failing_page_answers_the_branded_500_and_a_failing_api_call_json(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.alice)

    page, api = client.get("/boom/"), client.get("/api/boom/")

    assert page.status_code == 500 and api.status_code == 500
    assert_branded(page.content.decode(), "500")
    assert api.json()["code"] == "server_error"


def test_allauths_rate_limits_answer_the_branded_429_page(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "reset_password": "2/m/ip"}

    answers = [client.post("/accounts/password/reset/", {"email": "someone@example.test"}) for _ in range(3)]

    assert [a.status_code for a in answers] == [302, 302, 429]
    assert_branded(answers[2].content.decode(), "429")
    assert "<title>Too many requests · Building Portal</title>" in answers[2].content.decode()


def test_the_429_handler_answers_json_with_retry_after_to_the_api_and_scripts():
    factory = RequestFactory()

    api = too_many_requests(factory.get("/api/passes/"), retry_after=12.2)
    script = too_many_requests(factory.get("/p/x/", HTTP_ACCEPT="application/json"), retry_after=3)

    assert api.status_code == 429 and api["Retry-After"] == "13"
    assert api["Content-Type"] == "application/json"
    assert script["Content-Type"] == "application/json" and script["Retry-After"] == "3"


def test_the_429_page_says_when_to_try_again(rf):
    response = too_many_requests(rf.get("/p/x/"), retry_after=41)

    body = response.content.decode()
    assert response.status_code == 429 and response["Retry-After"] == "41"
    assert_branded(body, "429")
    assert "Try again in 41 seconds." in body


def test_drf_throttles_answer_the_api_json_with_retry_after(client_for, world, monkeypatch):
    from rest_framework.throttling import UserRateThrottle

    from portal.api.throttling import UserRateThrottle as PortalUserRateThrottle

    # DRF reads the rates into the class once; the portal's throttle shares DRF's dict.
    assert PortalUserRateThrottle.THROTTLE_RATES is UserRateThrottle.THROTTLE_RATES
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "2/min")
    client = client_for(world.bob)

    answers = [client.get("/api/passes/", HTTP_ACCEPT="application/json") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "throttled" and int(answers[2]["Retry-After"]) >= 1
