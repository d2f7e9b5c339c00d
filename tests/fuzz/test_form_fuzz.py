"""Every form that takes free text, under random input: never a 5xx, and nothing stored half-way.

Runs against the sandbox-connected Crimson Tower (real tokens, the real roster), so input that happens
to be valid really reaches ButterflyMX (the sandbox) and must still leave the portal consistent.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passes.models import Pass
from portal.dashboard.models import DoorRelease
from tests.dashboard.conftest import FRONT_DOOR, crimson  # noqa: F401 - the fixture

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)

# Free text as people (and attackers) type it: unicode, control characters, NUL, markup, very long.
text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(["", " ", "\x00", "<script>alert(1)</script>", "' OR 1=1 --", "9" * 5000, "😀" * 50]),
)
date_like = st.one_of(text, st.dates().map(str), st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")))
time_like = st.one_of(text, st.times().map(lambda t: t.strftime("%H:%M")))


def assert_nothing_half_made():
    """No pass stuck half-created, no active pass without its keys, no release left unanswered."""
    assert not Pass.objects.filter(status=Pass.Status.PENDING).exists()
    assert not Pass.objects.filter(status=Pass.Status.ACTIVE, keys__isnull=True).exists()
    assert not DoorRelease.objects.filter(status=DoorRelease.Status.PENDING).exists()


@pytest.mark.django_db(transaction=True)
def test_the_pass_form_never_fails_and_never_half_makes_a_pass(crimson, client):  # noqa: F811
    client.force_login(crimson.rosa)

    @FUZZ
    @given(
        kind=st.sampled_from([*Pass.Kind.values, "bogus", ""]),
        name=text,
        starts_at=date_like,
        ends_at=date_like,
        day=date_like,
        start_date=date_like,
        end_date=date_like,
        weekdays=st.lists(st.sampled_from(["mon", "tue", "sat", "funday", ""]), max_size=3),
        time_from=time_like,
        time_to=time_like,
        visitors=text,
        recipients=text,
    )
    def submit(**fields):
        data = {**fields, "residency": crimson.rosa_residency.pk}
        response = client.post("/passes/new/", data)
        assert response.status_code < 500
        assert_nothing_half_made()

    submit()


@pytest.mark.django_db(transaction=True)
def test_profile_and_pin_forms_never_fail(crimson, client):  # noqa: F811
    client.force_login(crimson.rosa)

    @FUZZ
    @given(first=text, last=text, push=st.booleans(), code=text)
    def submit(first, last, push, code):
        profile = client.post("/profile/", {"first_name": first, "last_name": last, "push": "on" if push else ""})
        pin = client.post("/profile/pin/", {"code": code})
        assert profile.status_code < 500 and pin.status_code < 500

    submit()


@pytest.mark.django_db(transaction=True)
def test_the_release_reason_never_fails_and_every_release_is_answered(crimson, client, settings):  # noqa: F811
    settings.DOOR_RELEASE_COOLDOWN_S = 0
    client.force_login(crimson.staff)
    url = f"/doors/{crimson.doors[FRONT_DOOR].pk}/release/"

    @settings_few
    @given(reason=text, for_tenant=st.one_of(text, st.integers(-5, 10**12).map(str)))
    def submit(reason, for_tenant):
        response = client.post(url, {"reason": reason, "for_tenant": for_tenant})
        assert response.status_code < 500
        assert_nothing_half_made()

    submit()


settings_few = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@pytest.mark.django_db(transaction=True)
def test_list_filters_and_exports_never_fail_on_any_query_string(crimson, client):  # noqa: F811
    client.force_login(crimson.manager)
    keys = [
        "building",
        "door",
        "unit",
        "q",
        "release_method",
        "release_type",
        "status",
        "since",
        "until",
        "date_from",
        "date_to",
        "person",
        "cursor",
        "page",
        "state",
        "after",
        "before",
    ]

    @FUZZ
    @given(params=st.dictionaries(st.sampled_from(keys) | st.text(max_size=6), text, max_size=5))
    def browse(params):
        for path in (
            "/logs/",
            "/logs/export.csv",
            "/logs/calls/",
            "/logs/charts/data/",
            "/api/logs/entries/",
            "/dashboard/audit/",
            "/dashboard/audit.csv",
            "/passes/",
        ):
            response = client.get(path, params)
            assert response.status_code < 500, (path, params)

    browse()


@pytest.mark.django_db(transaction=True)
def test_sign_up_and_log_in_never_fail(client, settings):
    settings.ACCOUNT_RATE_LIMITS = False  # the limits have their own tests; here we want every example parsed

    @FUZZ
    @given(email=text, password=text)
    def submit(email, password):
        signup = client.post("/accounts/signup/", {"email": email, "password1": password, "password2": password})
        login = client.post("/accounts/login/", {"login": email, "password": password})
        assert signup.status_code < 500 and login.status_code < 500
        client.logout()

    submit()
