"""A personal token does not walk around two-factor: with ``PORTAL_REQUIRE_MFA_FOR_STAFF`` on, a token of
anyone whose role requires TOTP (staff, managers, operators) is refused on every API operation until they
have enrolled it. The operations are found by walking the URLconf, so a new endpoint is covered as soon
as it exists (its kwargs come from tests/access_matrix.py, where every URL must be listed)."""

from __future__ import annotations

import json

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.views import APIView

from passes.models import Pass
from portal.accounts.models import ApiToken
from portal.accounts.services import api_token_create
from portal.api.authentication import PortalSessionAuthentication, PortalTokenAuthentication
from portal.dashboard.models import DoorRelease
from tests import factories as f
from tests.access_matrix import MATRIX

# Pages for people served under /api/ (Swagger UI): a token is no session, so they send it to log in.
PAGES = {"api:docs"}
UNSAFE = {"post", "put", "patch", "delete"}


def api_views(resolver=None, namespace=None):
    """(url name, view class, HTTP methods) of every DRF view in the URLconf."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from api_views(pattern, ns)
        elif isinstance(pattern, URLPattern):
            cls = getattr(pattern.callback, "cls", None)
            if cls is None or not issubclass(cls, APIView):
                continue
            actions = getattr(pattern.callback, "actions", None)  # a ViewSet's method -> action
            if actions:
                methods = sorted(actions)
            else:
                methods = sorted(m for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m))
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, cls, methods


API_VIEWS = sorted(api_views(), key=lambda item: item[0])
OPERATIONS = [(name, method) for name, _cls, methods in API_VIEWS for method in methods]


def test_the_walk_finds_every_staff_operation_of_the_api():
    found = set(OPERATIONS)

    # the door board's API, the logs API, passes (managers create them for residents), the caller's own
    for operation in [
        ("doors-api:list", "get"),
        ("doors-api:detail", "get"),
        ("doors-api:release", "post"),
        ("logs-api:entry-list", "get"),
        ("logs-api:entry-detail", "get"),
        ("logs-api:call-list", "get"),
        ("passes_api:list", "post"),
        ("passes_api:revoke", "post"),
        ("me_api:pin", "post"),
        ("api:schema", "get"),
        ("api:tokens", "get"),
    ]:
        assert operation in found


@pytest.mark.parametrize("name,cls", [(name, cls) for name, cls, _ in API_VIEWS if name not in PAGES])
def test_every_api_view_authenticates_only_under_the_two_factor_rule(name, cls):
    allowed = (PortalSessionAuthentication, PortalTokenAuthentication)

    classes = list(cls.authentication_classes)

    assert classes, name
    assert all(issubclass(auth, allowed) for auth in classes), f"{name} authenticates with {classes}"


def url_of(name, world):
    return reverse(name, kwargs=MATRIX[name].kwargs(world))


def call(client, method, url):
    if method in UNSAFE:
        return getattr(client, method)(url, data="{}", content_type="application/json")
    return client.get(url)


@pytest.fixture
def superuser(db):
    return f.UserFactory(email="root@example.test", is_staff=True, is_superuser=True)


@pytest.mark.parametrize("persona", ["staff", "manager", "superuser"])
def test_a_token_without_enrolled_totp_is_refused_on_every_api_operation(persona, world, superuser, settings):
    settings.PORTAL_REQUIRE_MFA_FOR_STAFF = True
    user = superuser if persona == "superuser" else getattr(world, persona)
    _, token = api_token_create(user=user, name="script")
    client = Client(headers={"Authorization": f"Token {token}", "Accept": "application/json"})
    urls = {name: url_of(name, world) for name, _ in OPERATIONS}  # may make alice's pass for its kwargs
    before = (DoorRelease.objects.count(), Pass.objects.count(), ApiToken.objects.count())
    answers = {}

    for name, method in OPERATIONS:
        response = call(client, method, urls[name])
        if name in PAGES:
            answers[name, method] = response.status_code
            continue
        body = json.loads(response.content)
        answers[name, method] = (response.status_code, body.get("code"))
        assert "two-factor" in body["detail"].lower() and "set it up in the portal" in body["detail"].lower()

    refused = {op: (403, "mfa_required") for op in OPERATIONS if op[0] not in PAGES}
    assert answers == {**refused, **{op: 302 for op in OPERATIONS if op[0] in PAGES}}
    # and nothing happened: no release, no pass, no token made or revoked
    assert (DoorRelease.objects.count(), Pass.objects.count(), ApiToken.objects.count()) == before


def test_once_totp_is_enrolled_the_same_token_works(world, settings):
    settings.PORTAL_REQUIRE_MFA_FOR_STAFF = True
    _, token = api_token_create(user=world.staff, name="script")
    client = Client(headers={"Authorization": f"Token {token}", "Accept": "application/json"})
    assert client.get("/api/doors/").status_code == 403
    Authenticator.objects.create(user=world.staff, type=Authenticator.Type.TOTP, data={"secret": "unused"})

    codes = {name: call(client, "get", url_of(name, world)) for name, method in OPERATIONS if method == "get"}

    assert codes["doors-api:list"].status_code == 200
    assert "A Front Door" in codes["doors-api:list"].content.decode()
    for name, response in codes.items():
        if name not in PAGES and response.status_code >= 400:
            assert json.loads(response.content)["code"] != "mfa_required", name


def test_a_residents_token_is_not_held_to_the_staff_rule(world, settings):
    settings.PORTAL_REQUIRE_MFA_FOR_STAFF = True
    _, token = api_token_create(user=world.alice, name="script")

    response = Client(headers={"Authorization": f"Token {token}"}).get("/api/doors/")

    assert response.status_code == 200


def test_without_the_setting_staff_tokens_work_as_before(world, settings):
    settings.PORTAL_REQUIRE_MFA_FOR_STAFF = False
    _, token = api_token_create(user=world.staff, name="script")

    assert Client(headers={"Authorization": f"Token {token}"}).get("/api/doors/").status_code == 200


def test_the_api_refuses_a_session_without_totp_even_without_the_page_middleware(client_for, world, settings):
    """The rule lives in the API's own authentication too, not only in the page middleware."""
    settings.PORTAL_REQUIRE_MFA_FOR_STAFF = True
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("RequireMfaForStaffMiddleware")]

    response = client_for(world.staff).get("/api/doors/")

    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"
