"""The ButterflyMX client against the sandbox with injected faults: retries, timeouts, pagination."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest

from portal.butterflymx import BmxClient, BmxError, oauth
from portal.butterflymx.client import ransack


@pytest.fixture
def admin(sandbox):
    """A client for the sandbox's building admin that records its sleeps instead of sleeping."""
    slept: list[float] = []
    client = BmxClient(sandbox.password_token("admin@sandbox.test"), base_url=sandbox.url, sleep=slept.append)
    client.slept = slept
    return client


def test_a_429_is_retried_after_the_retry_after_it_names(sandbox, admin):
    sandbox.fault("/v4/buildings", status=429, retry_after=3, count=2)

    buildings = admin.buildings()

    assert [b["id"] for b in buildings] == [11743, 11744]
    assert admin.slept == [3.0, 3.0]


def test_a_retry_after_longer_than_max_wait_is_raised_not_slept(sandbox, admin):
    sandbox.fault("/v4/buildings", status=429, retry_after=120, count=1)

    with pytest.raises(BmxError) as raised:
        admin.buildings()

    assert raised.value.status == 429 and raised.value.retry_after == 120
    assert "slow down" in raised.value.human_message
    assert admin.slept == []


def test_server_errors_on_a_read_are_retried_with_jittered_backoff(sandbox, admin):
    sandbox.fault("/v4/units", status=503, count=2)

    units = admin.units(11743)

    assert len(units) == 11
    assert len(admin.slept) == 2 and all(0 <= s <= admin.backoff_base * 2 for s in admin.slept)


def test_a_read_that_keeps_failing_gives_up_with_a_clear_error(sandbox, admin):
    sandbox.fault("/v4/units", status=500)

    with pytest.raises(BmxError) as raised:
        admin.units(11743)

    assert raised.value.status == 500 and raised.value.transient
    assert len(admin.slept) == admin.get_retries
    assert "problem on its side" in raised.value.human_message


def test_a_write_is_never_retried(sandbox, sandbox_resident_client):
    sandbox.fault("/v4/access_tools/pins", method="POST", status=503, count=1)

    with pytest.raises(BmxError) as raised:
        sandbox_resident_client.create_pin(129201, "502718")

    assert raised.value.status == 503
    assert sandbox_resident_client.slept == []
    pins = [t for t in sandbox.state()["access_tools"] if t["tenant_id"] == 129201 and t["type"] == "pin"]
    assert [p["code"] for p in pins] == ["483920"]  # nothing was created behind our back


@pytest.fixture
def sandbox_resident_client(sandbox):
    slept: list[float] = []
    client = BmxClient(sandbox.password_token("resident@sandbox.test"), base_url=sandbox.url, sleep=slept.append)
    client.slept = slept
    return client


def test_a_slow_answer_times_out_and_a_read_is_retried(sandbox):
    sandbox.fault("/v4/buildings", latency_ms=1500, count=1)
    slept: list[float] = []
    client = BmxClient(
        sandbox.password_token("admin@sandbox.test"), base_url=sandbox.url, timeout=0.5, sleep=slept.append
    )

    assert len(client.buildings()) == 2
    assert len(slept) == 1


def test_a_write_that_times_out_is_reported_not_resent(sandbox):
    sandbox.fault("/v4/access_tools/pins", method="POST", latency_ms=1500, count=1)
    client = BmxClient(sandbox.password_token("resident@sandbox.test"), base_url=sandbox.url, timeout=0.5)

    with pytest.raises(BmxError) as raised:
        client.create_pin(129201, "502718")

    assert raised.value.timed_out and raised.value.status == 0
    assert "did not answer in time" in raised.value.human_message


def test_an_unreachable_butterflymx_says_so():
    client = BmxClient("token", base_url="http://127.0.0.1:9", get_retries=0)

    with pytest.raises(BmxError) as raised:
        client.buildings()

    assert raised.value.status == 0 and "could not be reached" in raised.value.human_message


OAUTH_CALLS = {
    "/oauth/token": lambda: oauth.refresh("any-refresh-token"),
    "/oauth/revoke": lambda: oauth.revoke("any-token"),
    "/oauth/userinfo": lambda: oauth.userinfo("any-token"),
}


@pytest.mark.parametrize("path", OAUTH_CALLS)
def test_every_oauth_call_reports_no_answer_as_the_client_does(sandbox, settings, path):
    """One conversion (portal.butterflymx.transport.transport_errors) for the client and each OAuth call."""
    settings.BMX_TIMEOUT_S = 0.5
    sandbox.fault(path, latency_ms=1500, count=1)
    with pytest.raises(BmxError) as slow:
        OAUTH_CALLS[path]()

    settings.BMX_ACCOUNTS_BASE = "http://127.0.0.1:9"  # nothing listens there
    with pytest.raises(BmxError) as unreachable:
        OAUTH_CALLS[path]()

    assert (slow.value.status, slow.value.code, slow.value.timed_out) == (0, "timeout", True)
    assert "did not answer in time" in slow.value.human_message and slow.value.transient
    assert (unreachable.value.status, unreachable.value.code) == (0, "unreachable")
    assert "could not be reached" in unreachable.value.human_message and unreachable.value.transient


def test_pagination_walks_every_page_until_next_page_is_null(sandbox, admin):
    pages = list(admin.pages("/v4/units", ransack(building_id_eq=11743), per=3))

    assert [len(items) for items, _ in pages] == [3, 3, 3, 2]
    assert pages[-1][1]["next_page"] is None


def test_a_401_says_relink_and_a_403_says_scope(sandbox):
    with pytest.raises(BmxError) as unauthorized:
        BmxClient("not-a-token", base_url=sandbox.url).buildings()
    resident = BmxClient(sandbox.password_token("resident@sandbox.test"), base_url=sandbox.url)
    with pytest.raises(BmxError) as forbidden:
        resident.create_building_integration(11743, url="http://127.0.0.1:9/hook", resource_type="call")

    assert unauthorized.value.status == 401 and "Re-link" in unauthorized.value.human_message
    assert forbidden.value.status == 403 and "scope" in forbidden.value.human_message


def test_ransack_sends_timestamps_in_utc():
    local = datetime(2026, 3, 8, 1, 30, tzinfo=ZoneInfo("America/New_York"))

    params = ransack(logged_at_gteq=local, release_method_in=["pin", "qr"], tenant_id_eq=None)

    assert params == {"q[logged_at_gteq]": "2026-03-08T06:30:00Z", "q[release_method_in][]": ["pin", "qr"]}


def test_ransack_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        ransack(logged_at_gteq=datetime(2026, 1, 1))


class LoopingPages(BaseHTTPRequestHandler):
    """A broken server whose ``next_page`` never advances (no sandbox can be made to do this)."""

    def do_GET(self):  # the http.server API
        body = json.dumps({"data": [{"id": 1}], "page_info": {"current_page": 1, "next_page": 1}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_next_page_that_does_not_advance_is_an_error_not_a_loop():
    server = ThreadingHTTPServer(("127.0.0.1", 0), LoopingPages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = BmxClient("token", base_url=f"http://127.0.0.1:{server.server_port}")
        with pytest.raises(BmxError) as raised:
            client.buildings()
    finally:
        server.shutdown()

    assert raised.value.code == "pagination_loop"


def test_a_page_size_above_the_documents_bound_is_sent_as_100(sandbox, bmx_requests):
    client = BmxClient(sandbox.password_token("admin@sandbox.test"), base_url=sandbox.url)

    units = client.all("/v4/units", per=500)

    assert units and {dict(s.query)["per"] for s in bmx_requests.find("GET", "/v4/units")} == {"100"}
