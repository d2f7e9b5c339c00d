"""Bearer-token authentication and the permission model (§2.5, §3.6).

A token belongs to a user. The user sees the buildings they manage (building admin) and the buildings of
their own tenancies; what a tenant sees inside a building is narrowed per resource by ``Viewer``.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox import clock
from sandbox.api.errors import ApiError, forbidden, not_found, unauthorized
from sandbox.contract.middleware import verdict_for
from sandbox.models import OAuthToken, Tenant, User


@dataclass
class Viewer:
    user: User
    token: OAuthToken
    managed: set[int] = field(default_factory=set)  # building ids this user administers
    tenancies: list[Tenant] = field(default_factory=list)

    @property
    def tenant_ids(self) -> set[int]:
        return {t.id for t in self.tenancies}

    @property
    def unit_ids(self) -> set[int]:
        return {t.unit_id for t in self.tenancies}

    @property
    def building_ids(self) -> set[int]:
        return self.managed | {t.building_id for t in self.tenancies}

    def is_admin_of(self, building_id: int) -> bool:
        return building_id in self.managed

    def require_building(self, building_id: int, admin: bool = False) -> None:
        """404 when the building is invisible; 403 when visible but ``admin`` rights are missing."""
        if building_id not in self.building_ids:
            raise not_found()
        if admin and not self.is_admin_of(building_id):
            raise forbidden()

    def owned(self, tenant_field: str = "tenant_id") -> Q:
        """Rows this viewer may see: everything in managed buildings, else rows of its own tenancies."""
        return Q(building_id__in=self.managed) | Q(**{f"{tenant_field}__in": self.tenant_ids})

    def can_see_tenant(self, tenant: Tenant) -> bool:
        return tenant.building_id in self.managed or tenant.id in self.tenant_ids


def bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def active_token(raw: str | None) -> OAuthToken | None:
    if not raw:
        return None
    token = OAuthToken.objects.select_related("user", "client").filter(access_token=raw).first()
    if token is None or token.revoked_at is not None or token.expires_at <= clock.now():
        return None
    return token


# Who a bearer token is (its token, user, managed buildings and tenancies), remembered per process for
# a moment: three queries per request were most of the sandbox's work for a log walk, and a portfolio's
# walks all come with one building admin's token. Anything that could change the answer goes through a
# request that is not a read of the API (OAuth, the control surface, a write of the API): each of those
# forgets everything (ViewerCacheMiddleware). Writers in another process (``python -m sandbox`` while a
# server runs) are seen within VIEWER_TTL_S. Expiry is checked at every use, against the sandbox's clock.
VIEWER_TTL_S = 1.0
_viewers: dict[str, tuple[float, OAuthToken, frozenset[int], tuple[Tenant, ...]]] = {}
_viewers_lock = threading.Lock()


def forget_viewers() -> None:
    with _viewers_lock:
        _viewers.clear()


def _who(raw: str | None) -> tuple[OAuthToken, frozenset[int], tuple[Tenant, ...]] | None:
    if not raw:
        return None
    now = time.monotonic()
    with _viewers_lock:
        known = _viewers.get(raw)
    if known is not None and now - known[0] < VIEWER_TTL_S:
        return known[1:]
    token = active_token(raw)
    if token is None or token.user is None:
        return None
    managed = frozenset(token.user.managed_buildings.values_list("id", flat=True))
    tenancies = tuple(Tenant.objects.filter(user=token.user))
    with _viewers_lock:
        if len(_viewers) > 10_000:  # a bound, not an eviction policy: tests mint many tokens
            _viewers.clear()
        _viewers[raw] = (now, token, managed, tenancies)
    return token, managed, tenancies


def authenticate(request: HttpRequest) -> Viewer:
    who = _who(bearer_token(request))
    token = who[0] if who is not None else None
    if token is None or token.revoked_at is not None or token.expires_at <= clock.now():
        raise unauthorized()  # client-credentials tokens carry no user: refused too (§3.5)
    _, managed, tenancies = who
    return Viewer(user=token.user, token=token, managed=set(managed), tenancies=list(tenancies))


READS = frozenset({"GET", "HEAD"})


class ViewerCacheMiddleware:
    """Forgets the remembered viewers on every request that may change who a token is: anything but a
    GET or HEAD of the API (``/v4/``, ``/v3/``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api_read = request.method in READS and request.path.startswith(("/v4/", "/v3/"))
        if not api_read:
            forget_viewers()
        response = self.get_response(request)
        if not api_read:
            forget_viewers()  # and after it: a read racing the write must not keep the old answer
        return response


Handler = Callable[..., HttpResponse]


def api_route(**handlers: Handler) -> Callable[..., HttpResponse]:
    """One URL, several methods (``GET=...``, ``POST=...``): check, authenticate, dispatch, render ApiErrors.

    In Rails' order: a method the document does not give this path is a 405 before authentication; then
    401; then the contract's refusal of the request (404, 400 or 422, see ``sandbox.contract.validation``);
    only a request the document allows reaches its handler.
    """

    @csrf_exempt
    def view(request: HttpRequest, **kwargs) -> HttpResponse:
        verdict = verdict_for(request)
        if verdict.before_auth:
            return verdict.response()
        try:
            viewer = authenticate(request)
            if not verdict.conformant:
                return verdict.response()
            method = request.method or "GET"
            handler = handlers.get(method) or (handlers.get("GET") if method == "HEAD" else None)
            if handler is None:
                raise not_found()
            return handler(request, viewer, **kwargs)
        except ApiError as error:
            return error.response()

    return view
