"""The client's address behind trusted proxies, and failed logins limited per account and address.

In-process (the test client sets REMOTE_ADDR and headers); the same behaviour through a real nginx is
tests/portal/test_proxy_rate_limits.py.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from portal.api.throttling import AnonRateThrottle
from portal.core.clientip import client_ip
from tests.factories import PASSWORD, UserFactory

TOO_MANY = "Too many failed login attempts"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def proxies(settings):
    def trust(count: int) -> None:
        settings.PORTAL_TRUSTED_PROXY_COUNT = count
        settings.ALLAUTH_TRUSTED_PROXY_COUNT = count

    return trust


def request_from(remote_addr: str, xff: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": xff} if xff is not None else {}
    return RequestFactory().post("/accounts/login/", REMOTE_ADDR=remote_addr, **extra)


def test_with_no_trusted_proxy_the_header_is_ignored(proxies):
    proxies(0)

    assert client_ip(request_from("203.0.113.9", xff="198.51.100.1")) == "203.0.113.9"


def test_behind_one_proxy_the_right_most_entry_is_the_client(proxies):
    proxies(1)

    # the client wrote 198.51.100.1 itself; nginx appended the address it saw, 203.0.113.9
    assert client_ip(request_from("10.0.0.1", xff="198.51.100.1, 203.0.113.9")) == "203.0.113.9"
    assert client_ip(request_from("10.0.0.1", xff="203.0.113.9")) == "203.0.113.9"
    assert client_ip(request_from("10.0.0.1")) == "10.0.0.1"  # no proxy in the way: the peer


@pytest.mark.parametrize("xff", ["203.0.113.9", "not-an-address, 203.0.113.9", " , "])
def test_a_header_too_short_or_malformed_for_the_hop_count_falls_back_to_the_peer(proxies, xff, caplog):
    proxies(2)  # allauth alone raises ImproperlyConfigured (a 500) or PermissionDenied (a 403) here

    assert client_ip(request_from("10.0.0.1", xff=xff)) == "10.0.0.1"
    assert "PORTAL_TRUSTED_PROXY_COUNT" in caplog.text


def test_a_login_with_a_header_too_short_for_the_hop_count_is_no_500(client, proxies, db):
    proxies(2)
    user = UserFactory()

    response = client.post(
        "/accounts/login/", {"login": user.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.1"
    )

    assert response.status_code == 302


def test_drf_throttles_key_on_the_same_address(proxies):
    proxies(1)
    throttle = AnonRateThrottle()

    # DRF's own get_ident would key on the whole header, which the client chooses
    assert throttle.get_ident(request_from("10.0.0.1", xff="1.1.1.1, 203.0.113.9")) == "203.0.113.9"
    assert throttle.get_ident(request_from("10.0.0.1", xff="2.2.2.2, 203.0.113.9")) == "203.0.113.9"


def login(client, email: str, password: str, address: str) -> str:
    return client.post("/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=address).content


def test_failed_logins_lock_the_account_only_for_the_address_they_came_from(client, db):
    desk = UserFactory()

    from_attacker = [TOO_MANY in login(client, desk.email, "wrong", "198.51.100.7").decode() for _ in range(6)]
    desk_logs_in = client.post(
        "/accounts/login/", {"login": desk.email, "password": PASSWORD}, REMOTE_ADDR="203.0.113.20"
    )

    assert from_attacker == [False] * 5 + [True]  # login_failed_pair: 5 per 5 minutes
    assert desk_logs_in.status_code == 302


def test_the_account_has_a_ceiling_over_all_addresses(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "10/m/ip,8/h/key"}
    desk = UserFactory()

    refused = [
        TOO_MANY in login(client, desk.email, "wrong", f"198.51.100.{n}").decode()
        for n in range(1, 5)
        for _ in range(3)
    ]

    # 3 failures from each of 4 addresses: no pair is locked, but the 9th failure is over the ceiling
    assert refused == [False] * 8 + [True] * 4


def test_a_successful_login_clears_its_own_pair(client, db):
    desk = UserFactory()
    address = "198.51.100.8"

    before = [TOO_MANY in login(client, desk.email, "typo", address).decode() for _ in range(4)]
    signed_in = client.post("/accounts/login/", {"login": desk.email, "password": PASSWORD}, REMOTE_ADDR=address)
    client.logout()
    after = [TOO_MANY in login(client, desk.email, "typo", address).decode() for _ in range(6)]

    assert before == [False] * 4 and signed_in.status_code == 302
    assert after == [False] * 5 + [True]  # a fresh count of 5, not 5 minus the earlier typos


def test_a_locked_pair_spends_nothing_of_the_accounts_ceiling(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "100/m/ip,8/h/key"}
    desk = UserFactory()

    for _ in range(20):  # 5 failures count, the 15 refused by the locked pair do not
        login(client, desk.email, "wrong", "198.51.100.9")
    elsewhere = [TOO_MANY in login(client, desk.email, "wrong", "203.0.113.30").decode() for _ in range(4)]

    assert elsewhere == [False, False, False, True]  # 5 + 3 = the ceiling of 8


@pytest.mark.parametrize(
    ("action", "path", "form"),
    [
        ("signup", "/accounts/signup/", {"email": "new@example.test", "password1": "x", "password2": "y"}),
        ("reset_password", "/accounts/password/reset/", {"email": "someone@example.test"}),
    ],
)
def test_sign_up_and_password_reset_limits_key_on_the_address_behind_the_proxy(
    client, db, settings, proxies, action, path, form
):
    proxies(1)
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, action: "2/m/ip"}

    def post(address: str) -> int:
        # every request reaches the server from the proxy, 10.0.0.1; the client is the header's last entry
        return client.post(path, form, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.1, {address}").status_code

    first = [post("203.0.113.40") for _ in range(3)]
    other = post("203.0.113.41")

    assert first[2] == 429 and 429 not in first[:2]
    assert other != 429
