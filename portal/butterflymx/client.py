"""The ButterflyMX API v4 client: typed methods per endpoint over one retrying HTTP core.

Rules (see docs/architecture.md and the contract, ../shared/butterflymx-api.md):

- every call has a timeout; redirects are not followed; all calls share one pooled keep-alive session
  per process (:mod:`.transport`), and a client holds no per-call state, so threads may share one;
- every request, retries included, goes through the portal's shared request budget (:mod:`.budget`):
  a ``background=True`` client (syncs) waits for its slot and for an account-wide 429 pause; an
  interactive one (a person is waiting) is never delayed but is counted, so background traffic yields;
- GETs are retried on 429, 5xx and no-answer inside the call (so a page walk goes on), with exponential
  backoff and full jitter, honouring ``Retry-After``; background clients try more often
  (``BMX_BACKGROUND_GET_RETRIES``). A 429's ``Retry-After`` pauses every process's background traffic;
  a wait longer than ``max_wait`` is not slept but raised, so a Celery task can schedule its retry
  instead of holding a worker;
- writes are never retried (a door release, a keychain or a PIN is not idempotent), with one
  exception: after a 401 the token is refreshed once and the write re-sent, because ButterflyMX did
  nothing with a request it refused as unauthorized;
- lists are walked with ``page``/``per`` until ``next_page`` is null; a ``next_page`` that does not
  advance is an error, never a loop;
- Ransack filters (``q[...]``) send timestamps as UTC with a ``Z``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

import requests
from django.conf import settings

from . import transport
from .budget import Budget, shared_budget
from .errors import RELEASE_404, BmxError, TokenRefused, parse_error_body

logger = logging.getLogger(__name__)

TokenProvider = Callable[[bool], str]
"""``provider(force_refresh)`` returns a bearer token; ``True`` asks for a fresh one after a 401."""

RETRY_STATUSES = {429, 500, 502, 503, 504}
KEYCHAIN_KINDS = ("custom", "one_time", "recurring", "delivery_pass")
NOT_ADMIN_STATUSES = (401, 403, 404)
MAX_PER = 100  # the document bounds ``per`` to 1..100 on every list


def utc_timestamp(value: datetime) -> str:
    """ButterflyMX's timestamp form: ISO-8601 in UTC with ``Z`` and no fraction."""
    if value.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(value: str | None) -> datetime | None:
    """Parse a ButterflyMX timestamp (``Z`` or offset); None for empty values."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def ransack(**filters: Any) -> dict[str, Any]:
    """``ransack(logged_at_gteq=dt, release_method_in=["pin"])`` -> ``{"q[logged_at_gteq]": "...Z", ...}``.

    None values are left out; lists become repeated ``q[key][]`` parameters.
    """
    params: dict[str, Any] = {}
    for key, value in filters.items():
        if value is None:
            continue
        if isinstance(value, list | tuple | set):
            params[f"q[{key}][]"] = [_ransack_value(v) for v in value]
        else:
            params[f"q[{key}]"] = _ransack_value(value)
    return params


def _ransack_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class BmxClient:
    """A client bound to one ButterflyMX account's token (tenant or building admin).

    Thread-safe: it keeps no state between calls (the session's pool is shared and thread-safe), so a
    sync's fetch threads may share one. ``background=True`` marks traffic no person waits for (syncs,
    rescans): it waits for the shared budget and retries more; the default is interactive.
    """

    def __init__(
        self,
        token: str | TokenProvider,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        background: bool = False,
        get_retries: int | None = None,
        backoff_base: float | None = None,
        max_wait: float = 30.0,
        session: requests.Session | None = None,
        budget: Budget | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._token: TokenProvider = (lambda force: token) if isinstance(token, str) else token
        self.base_url = (base_url or settings.BMX_API_BASE).rstrip("/")
        self.timeout = timeout if timeout is not None else settings.BMX_TIMEOUT_S
        # Background traffic (syncs, rescans) waits for the budget and retries more; nobody waits on it.
        self.background = background
        if get_retries is None:
            get_retries = settings.BMX_BACKGROUND_GET_RETRIES if background else 3
        self.get_retries = get_retries
        if backoff_base is None:
            backoff_base = settings.BMX_BACKGROUND_BACKOFF_S if background else 0.5
        self.backoff_base = backoff_base
        self.max_wait = max_wait
        self._session = session
        self._budget = budget
        self.sleep = sleep

    @property
    def session(self) -> requests.Session:
        return self._session or transport.session()

    @property
    def budget(self) -> Budget:
        return self._budget or shared_budget()

    # --- HTTP core ------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """One API call; returns the decoded JSON body (None for 204). Raises :class:`BmxError`."""
        idempotent = method.upper() == "GET"
        attempt = 0  # transient failures so far: they set the backoff and are bounded by get_retries
        limited_s = 0.0  # what a background call waited on short 429s (bounded by max_wait * get_retries)
        refreshed = False
        while True:
            self._take_slot()
            try:
                response = self._send(method, path, params=params, json=json, force_refresh=refreshed)
            except BmxError as exc:  # no answer at all
                if idempotent and attempt < self.get_retries:
                    self._wait(attempt, None)
                    attempt += 1
                    continue
                raise exc
            if response.status_code == 401 and not refreshed:
                refreshed = True  # refresh once, then give up: never a loop
                continue
            retry_after = _retry_after(response)
            if response.status_code == 429 and retry_after:
                # A rate limit: every process's background traffic holds off until it lifts.
                self.budget.pause(retry_after)
                if idempotent and self.background and retry_after <= self.max_wait:
                    # Waited out in _take_slot (the shared pause), and not a failure of this request: a
                    # background walk goes on through periodic bursts, up to a bounded total wait.
                    limited_s += retry_after
                    if limited_s <= self.max_wait * self.get_retries:
                        continue
            if idempotent and response.status_code in RETRY_STATUSES and attempt < self.get_retries:
                if retry_after is not None and retry_after > self.max_wait:
                    raise self._error(response, retry_after)
                self._wait(attempt, retry_after)
                attempt += 1
                continue
            if response.status_code >= 400:
                if idempotent and response.status_code in RETRY_STATUSES:
                    logger.info("GET %s: gave up after %d attempts (HTTP %s)", path, attempt + 1, response.status_code)
                raise self._error(response, retry_after)
            if response.status_code == 204 or not response.content:
                return None
            try:
                return response.json()
            except ValueError as exc:
                raise BmxError(
                    status=response.status_code,
                    code="invalid_json",
                    message="ButterflyMX answered with something that is not JSON.",
                ) from exc

    def _take_slot(self) -> None:
        """Wait for this request's place in the shared budget (background), or just count it."""
        decision = self.budget.acquire(background=self.background, max_wait=self.max_wait)
        if not decision.granted:  # paused for longer than we may wait: the caller reschedules
            logger.info(
                "background traffic paused for %.1f s more (longer than %.1f s): not sent",
                decision.delay,
                self.max_wait,
            )
            raise BmxError(
                status=429,
                code="paused",
                message="ButterflyMX asked the portal to slow down; background traffic is paused.",
                retry_after=decision.delay,
            )
        if decision.delay > 0:
            self.sleep(decision.delay)

    def _send(self, method, path, *, params, json, force_refresh: bool) -> requests.Response:
        headers = {"Authorization": f"Bearer {self._token(force_refresh)}", "Accept": "application/json"}
        url = f"{self.base_url}{path}"
        with transport.transport_errors():
            return self.session.request(
                method, url, params=params, json=json, headers=headers, timeout=self.timeout, allow_redirects=False
            )

    def _wait(self, attempt: int, retry_after: float | None) -> None:
        if retry_after is not None:
            delay = retry_after
        else:  # full jitter: spreads many workers' retries apart
            delay = random.uniform(0, min(self.max_wait, self.backoff_base * 2**attempt))
        self.sleep(delay)

    @staticmethod
    def _error(response: requests.Response, retry_after: float | None) -> BmxError:
        try:
            body = response.json()
        except ValueError:
            body = None
        return parse_error_body(response.status_code, body, retry_after)

    def token(self, force_refresh: bool = False) -> str:
        """The bearer token this client sends (from its provider), e.g. for parallel reads in threads."""
        return self._token(force_refresh)

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    def data(self, method: str, path: str, **kwargs: Any) -> Any:
        """A call whose answer is ``{"data": ...}``: returns the ``data`` part."""
        body = self.request(method, path, **kwargs)
        return None if body is None else body.get("data")

    def pages(
        self, path: str, params: Mapping[str, Any] | None = None, *, per: int = 100, start_page: int = 1
    ) -> Iterator[tuple[list[dict], dict]]:
        """Yield ``(items, page_info)`` page by page until ``next_page`` is null."""
        per = max(1, min(per, MAX_PER))
        page = start_page
        while True:
            body = self.request("GET", path, params={**(params or {}), "page": page, "per": per}) or {}
            info = body.get("page_info") or {}
            yield body.get("data") or [], info
            next_page = info.get("next_page")
            if next_page is None:
                return
            try:
                next_page = int(next_page)
            except (TypeError, ValueError):
                raise BmxError(
                    status=200, code="bad_pagination", message=f"next_page {next_page!r} is not a page number"
                ) from None
            if next_page <= page:
                raise BmxError(
                    status=200,
                    code="pagination_loop",
                    message=f"next_page {next_page} does not advance past page {page}",
                )
            page = next_page

    def all(self, path: str, params: Mapping[str, Any] | None = None, *, per: int = 100) -> list[dict]:
        return [item for items, _ in self.pages(path, params, per=per) for item in items]

    # --- Buildings, units, doors, devices -------------------------------------------------------

    def buildings(self) -> list[dict]:
        return self.all("/v4/buildings")

    def building(self, building_id: int) -> dict:
        return self.data("GET", f"/v4/buildings/{building_id}")

    def building_capabilities(self, building_id: int) -> dict:
        return self.data("GET", f"/v4/buildings/{building_id}/capabilities")

    def units(self, building_id: int) -> list[dict]:
        return self.all("/v4/units", ransack(building_id_eq=building_id))

    # --- Units: a building admin adds, renames and removes them (contract §4.2) ------------------

    def create_unit(self, building_id: int, *, label: str, floor: str) -> dict:
        """``POST /v4/buildings/{id}/units``: both fields are required; ``floor`` is a floor *label*
        (ButterflyMX creates the floor when it is new)."""
        return self.data("POST", f"/v4/buildings/{building_id}/units", json={"unit": {"label": label, "floor": floor}})

    def update_unit(
        self, building_id: int, unit_id: int, *, label: str | None = None, floor: str | None = None
    ) -> dict:
        """``PUT /v4/buildings/{id}/units/{unit_id}``: ButterflyMX "updates only the supplied attributes",
        so only the ones given are sent."""
        fields = {k: v for k, v in {"label": label, "floor": floor}.items() if v is not None}
        return self.data("PUT", f"/v4/buildings/{building_id}/units/{unit_id}", json={"unit": fields})

    def delete_unit(self, building_id: int, unit_id: int) -> None:
        self.request("DELETE", f"/v4/buildings/{building_id}/units/{unit_id}")

    def unit_tenants(self, unit_id: int) -> list[dict]:
        """The tenants ButterflyMX lists in one unit (``GET /v4/tenants?q[unit_id_eq]=``)."""
        return self.all("/v4/tenants", ransack(unit_id_eq=unit_id))

    # --- Access groups (contract §4.9) ------------------------------------------------------------
    # An item carries its members (``tenants_ids``, ``units_ids``: the document's plural-plural keys) but
    # not the doors it opens; v4 has no operation to create, rename or delete a group.

    def access_groups(self, building_id: int) -> list[dict]:
        return self.all("/v4/access_groups", ransack(building_id_eq=building_id))

    def access_group(self, group_id: int) -> dict:
        return self.data("GET", f"/v4/access_groups/{group_id}")

    def access_group_members(self, group_id: int, *, kind: str, ids: list[int], add: bool) -> None:
        """Add (``POST .../{kind}``) or remove (``DELETE .../{kind}/bulk_destroy``, a DELETE with a JSON
        body) tenants or units: ``kind`` is ``"tenants"`` or ``"units"``. The answer is a bare
        ``{"message": ...}``; a 422 ``not_found`` means none of ``ids`` is valid for the group."""
        if kind not in ("tenants", "units"):
            raise ValueError(f"unknown member kind {kind!r}")
        field = "tenant_ids" if kind == "tenants" else "unit_ids"
        path = f"/v4/access_groups/{group_id}/{kind}" + ("" if add else "/bulk_destroy")
        self.request("POST" if add else "DELETE", path, json={"access_group": {field: [int(i) for i in ids]}})

    def access_points(self, building_id: int | None = None) -> list[dict]:
        return self.all("/v4/access_points", ransack(building_id_eq=building_id))

    def devices(self, building_id: int | None = None) -> list[dict]:
        return self.all("/v4/devices", ransack(building_id_eq=building_id))

    def access_point_schedules(self, access_point_id: int) -> list[dict]:
        """``GET /v4/access_points/{id}/schedules``: when the token's own user may use the door, as
        ``{"weekdays", "from", "to"}`` items in the building's wall time (contract §4.4)."""
        return self.all(f"/v4/access_points/{access_point_id}/schedules")

    # --- Tenants --------------------------------------------------------------------------------

    def my_tenancies(self) -> list[dict]:
        """The signed-in person's own tenant records (``scope=self``): one per unit they live in."""
        return self.all("/v4/tenants", {"scope": "self"})

    def tenants(self, building_id: int) -> list[dict]:
        return self.all("/v4/tenants", ransack(building_id_eq=building_id))

    def tenant(self, tenant_id: int) -> dict:
        return self.data("GET", f"/v4/tenants/{tenant_id}")

    def update_tenant(self, tenant_id: int, fields: dict) -> dict:
        return self.data("PUT", f"/v4/tenants/{tenant_id}", json={"tenant": fields})

    # Tenant lifecycle (issue 19): move in, re-invite, move out; the access groups a newcomer joins.

    def create_tenant(self, fields: dict) -> dict:
        """``POST /v4/tenants`` (admin): ButterflyMX creates the tenant and e-mails them an invitation.
        ``fields`` is the ``tenant`` object: ``unit_id``, ``active_at`` and ``user_attributes`` at least."""
        return self.data("POST", "/v4/tenants", json={"tenant": fields})

    def delete_tenant(self, tenant_id: int) -> None:
        self.request("DELETE", f"/v4/tenants/{tenant_id}")

    def resend_tenant_confirmation(self, tenant_id: int) -> None:
        """Re-send the invitation of a tenant still ``invited`` (the 200's body is undocumented)."""
        self.request("POST", f"/v4/tenants/{tenant_id}/resend_confirmation")

    # --- PINs (access tools) --------------------------------------------------------------------

    def access_tools(self, *, tenant_id: int | None = None, item_type: str | None = None) -> list[dict]:
        return self.all("/v4/access_tools", ransack(tenant_id_eq=tenant_id, item_type_eq=item_type))

    def create_pin(self, tenant_id: int, code: str | None) -> dict:
        return self.data("POST", "/v4/access_tools/pins", json={"pin": {"code": code, "tenant_id": tenant_id}})

    def update_pin(self, tool_id: int, code: str) -> dict:
        return self.data("PUT", f"/v4/access_tools/pins/{tool_id}", json={"code": code})

    def delete_access_tool(self, tool_id: int) -> None:
        self.request("DELETE", f"/v4/access_tools/{tool_id}")

    def building_access_tools(
        self,
        *,
        building_id: int,
        tenant_id: int | None = None,
        item_type: str | None = None,
        ids: list[int] | None = None,
    ) -> list[dict]:
        """``GET /v4/access_tools`` with the document's filters: ``q[building_id_eq]`` and, when given,
        ``q[tenant_id_eq]``, ``q[item_type_eq]`` (the item's ``type``: pin, rfid_tag, vehicle) and
        ``q[id_in][]``. Every page."""
        return self.all(
            "/v4/access_tools",
            ransack(building_id_eq=building_id, tenant_id_eq=tenant_id, item_type_eq=item_type, id_in=ids),
        )

    def tenant_access_tools(self, *, tenant_id: int, ids: list[int] | None = None) -> list[dict]:
        """A tenant's own access tools (``q[tenant_id_eq]``, optionally ``q[id_in][]``), every type."""
        return self.all("/v4/access_tools", ransack(tenant_id_eq=tenant_id, id_in=ids))

    def create_rfid_tag(self, *, tenant_id: int, identifier: str) -> dict:
        """``POST /v4/access_tools/rfid_tags``: the schema's top-level body (``required: [tenant_id]``,
        ``additionalProperties: false``), never retried. RFID tags cannot be updated, only deleted."""
        return self.data("POST", "/v4/access_tools/rfid_tags", json={"identifier": identifier, "tenant_id": tenant_id})

    # --- Keychains (visitor passes) and virtual keys --------------------------------------------

    def create_keychain(self, kind: str, keychain: dict) -> dict:
        """``kind`` is custom, one_time, recurring or delivery_pass; ``keychain`` the body's inner object."""
        if kind not in KEYCHAIN_KINDS:
            raise ValueError(f"unknown keychain kind {kind!r}")
        return self.data("POST", f"/v4/keychains/{kind}", json={"keychain": keychain})

    def keychains(self, **filters: Any) -> list[dict]:
        return self.all("/v4/keychains", ransack(**filters))

    def keychain(self, keychain_id: int) -> dict:
        return self.data("GET", f"/v4/keychains/{keychain_id}")

    def delete_keychain(self, keychain_id: int) -> None:
        self.request("DELETE", f"/v4/keychains/{keychain_id}")

    def create_virtual_key(
        self,
        *,
        keychain_id: int,
        name: str | None = None,
        email: str | None = None,
        sms_number: str | None = None,
        pin_code: str | None = None,
    ) -> dict:
        """Add a key to a keychain. The document's body is top-level (no ``virtual_key`` wrapper) with
        only ``keychain_id`` required and no other property allowed; fields left None are not sent."""
        optional = {"name": name, "email": email, "sms_number": sms_number, "pin_code": pin_code}
        body = {"keychain_id": keychain_id, **{k: v for k, v in optional.items() if v is not None}}
        return self.data("POST", "/v4/virtual_keys", json=body)

    def virtual_keys(self, **filters: Any) -> list[dict]:
        return self.all("/v4/virtual_keys", ransack(**filters))

    def virtual_key(self, key_id: int) -> dict:
        return self.data("GET", f"/v4/virtual_keys/{key_id}")

    def delete_virtual_key(self, key_id: int) -> None:
        self.request("DELETE", f"/v4/virtual_keys/{key_id}")

    # --- Doors ----------------------------------------------------------------------------------

    def release_door(self, *, tenant_id: int, access_point_id: int | None = None, device_id: int | None = None) -> dict:
        """Open a door once. Never retried; a 404 means the endpoint differs for this contract."""
        if (access_point_id is None) == (device_id is None):
            raise ValueError("give exactly one of access_point_id or device_id")
        target: dict[str, int | None] = (
            {"access_point_id": access_point_id} if access_point_id is not None else {"device_id": device_id}
        )
        try:
            return self.data(
                "POST", "/v4/door_release_requests", json={"door_release_request": {"tenant_id": tenant_id, **target}}
            )
        except BmxError as exc:
            if exc.status == 404 and exc.code in ("", "not_found") and not exc.errors:
                exc.action = RELEASE_404
            raise

    # --- Logs -----------------------------------------------------------------------------------

    def access_log_pages(self, building_id: int, **window: Any) -> Iterator[tuple[list[dict], dict]]:
        """Pages of a building's access log (contract §4.10); see :meth:`_log_pages` for ``window``."""
        return self._log_pages(building_id, "access_logs", **window)

    def call_pages(self, building_id: int, **window: Any) -> Iterator[tuple[list[dict], dict]]:
        """Pages of a building's calls (contract §4.11); see :meth:`_log_pages` for ``window``."""
        return self._log_pages(building_id, "calls", **window)

    def _log_pages(
        self,
        building_id: int,
        resource: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        per: int = 100,
        start_page: int = 1,
        **filters: Any,
    ) -> Iterator[tuple[list[dict], dict]]:
        """Pages of ``(records, meta)`` logged between ``since`` and ``until``, filtered by ransack
        ``filters``, ``per`` records a page, from ``start_page``."""
        params = ransack(logged_at_gteq=since, logged_at_lteq=until, **filters)
        return self.pages(f"/v4/buildings/{building_id}/{resource}", params, per=per, start_page=start_page)

    # --- v3: telling the panel a call was handled (contract §7) -------------------------------------
    # v4 cannot (§4.6: a release does not end a ringing call) and its call records carry neither the
    # call's guid nor its panel (§4.11); v3 carries both under the same call id. CONFIRMED-LIVE [HA].

    def my_calls_v3(self, *, page_size: int = 25) -> list[dict]:
        """The newest page of the token's own calls (``GET /v3/me/calls``), each as ``{"id", "guid",
        "panel_id"}`` (JSON:API: ids are strings there, the panel a relationship)."""
        body = self.get("/v3/me/calls", **{"page[number]": 1, "page[size]": page_size}) or {}
        found = []
        for item in body.get("data") or []:
            if not isinstance(item, dict):
                continue
            attributes = item.get("attributes") or {}
            panel = ((item.get("relationships") or {}).get("panel") or {}).get("data") or {}
            found.append({"id": item.get("id"), "guid": attributes.get("guid"), "panel_id": panel.get("id")})
        return found

    def notify_call_handled(self, *, call_guid: str, panel_id: int, door_opened: bool = True) -> None:
        """``POST /v3/notifications/open_door`` (or ``call_ended``): the panel stops ringing. A write:
        never retried."""
        kind = "open_door" if door_opened else "call_ended"
        attributes = {"call_guid": call_guid, "source_id": panel_id, "video": False, "audio": False}
        self.request(
            "POST", f"/v3/notifications/{kind}", json={"data": {"type": "notifications", "attributes": attributes}}
        )

    # --- Webhook integrations -------------------------------------------------------------------

    def building_integrations(self, building_id: int) -> list[dict]:
        return self.all(f"/v4/buildings/{building_id}/integrations")

    def create_building_integration(
        self, building_id: int, *, url: str, resource_type: str, actions: tuple[str, ...] = ("create",)
    ) -> dict:
        """Register a webhook for one resource type. The one JSON:API-shaped body of v4 (contract §4.12).

        A binding carries no ``resource_id``: the document types it string while its example is null, and
        leaving it out (every resource of the type) is valid under either reading.
        """
        return self.data(
            "POST",
            f"/v4/buildings/{building_id}/integrations",
            json=_integration_body(url, resource_type, actions),
        )

    def update_building_integration(
        self,
        building_id: int,
        integration_id: int | str,
        *,
        url: str,
        resource_type: str,
        actions: tuple[str, ...] = ("create",),
    ) -> dict:
        """Point an integration at another URL (``PUT``, contract §4.12): the document requires the whole
        body (integrator, configuration and bindings), so the binding is sent again as registered."""
        return self.data(
            "PUT",
            f"/v4/buildings/{building_id}/integrations/{integration_id}",
            json=_integration_body(url, resource_type, actions),
        )

    def delete_building_integration(self, building_id: int, integration_id: int) -> None:
        self.request("DELETE", f"/v4/buildings/{building_id}/integrations/{integration_id}")

    def tenant_integrations(self, tenant_id: int) -> list[dict]:
        """A tenant's own webhook integrations (``GET /v4/tenants/{tenant_id}/integrations``, §4.12)."""
        return self.all(f"/v4/tenants/{tenant_id}/integrations")

    def create_tenant_integration(
        self, tenant_id: int, *, url: str, resource_type: str, actions: tuple[str, ...] = ("create",)
    ) -> dict:
        """Register a webhook for the tenant's own events (§4.12, tenant scope: events of the tenant's unit
        or naming the tenant, §6.2). The same body as a building's; the tenant's own token registers it."""
        return self.data(
            "POST", f"/v4/tenants/{tenant_id}/integrations", json=_integration_body(url, resource_type, actions)
        )

    def update_tenant_integration(
        self,
        tenant_id: int,
        integration_id: int | str,
        *,
        url: str,
        resource_type: str,
        actions: tuple[str, ...] = ("create",),
    ) -> dict:
        """Point a tenant integration at another URL (``PUT``, the whole body as for a building's)."""
        return self.data(
            "PUT",
            f"/v4/tenants/{tenant_id}/integrations/{integration_id}",
            json=_integration_body(url, resource_type, actions),
        )

    def delete_tenant_integration(self, tenant_id: int, integration_id: int | str) -> None:
        self.request("DELETE", f"/v4/tenants/{tenant_id}/integrations/{integration_id}")

    # --- Account capabilities (tenants app: linking and roster) ---------------------------------

    def building_admin_answer(self, building_id: int) -> int:
        """How ButterflyMX answers this account's admin-only read of the building: 200 (it administers
        the building) or the refusal, 401, 403 or 404, all three meaning "not an admin here".

        The document has no role or "who am I" operation. Listing a building's webhook integrations is
        the building admin's (the webhooks guide); the document declares only 200 and 401 for it, while a
        server may as well refuse with 403 or hide the building with 404, so the three are read alike.
        After a 401 the client has already refreshed the token once; a refused *refresh* is a
        :class:`TokenRefused` and still raised, because then the link, not the role, is the problem.
        """
        try:
            self.request("GET", f"/v4/buildings/{building_id}/integrations", params={"page": 1, "per": 1})
        except TokenRefused:
            raise
        except BmxError as exc:
            if exc.status in NOT_ADMIN_STATUSES:
                return exc.status
            raise
        return 200

    def is_building_admin(self, building_id: int) -> bool:
        return self.building_admin_answer(building_id) == 200


def _integration_body(url: str, resource_type: str, actions: tuple[str, ...]) -> dict:
    """The JSON:API-shaped body of an integration's create and update (the same schema)."""
    attributes = {
        "integrator": "webhook",
        "configuration": {"url": url, "method": "post"},
        "bindings": [{"actions": list(actions), "resource_type": resource_type}],
    }
    return {"data": {"type": "integrations", "attributes": attributes}}


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP-date: fall back to our own backoff
