"""Integrations (webhook registrations) of a building or a tenant (§4.12).

Request bodies are JSON:API-shaped (``data.type``/``data.attributes``); response bodies are the PROPOSED
superset of the contract (``configuration`` and the v3 ``config`` both present). Create answers 200.
"""

from typing import Any
from urllib.parse import urlparse

from sandbox import clock, config
from sandbox.api import serializers as s
from sandbox.api.auth import Viewer, api_route
from sandbox.api.errors import data, forbidden, invalid, json_body, no_content, not_found
from sandbox.api.pagination import paginate
from sandbox.models import Integration, Tenant

RESOURCE_TYPES = {"call", "access_log", "door_release"}
ACTIONS = {"create", "status_update"}


def _validated(body: dict[str, Any], partial: bool) -> dict[str, Any]:
    envelope = body.get("data")
    if not isinstance(envelope, dict) or not isinstance(envelope.get("attributes"), dict):
        raise invalid(("data", "blank", "can't be blank"))
    attrs = envelope["attributes"]
    fields: dict[str, Any] = {}
    if "integrator" in attrs or not partial:
        if not attrs.get("integrator"):
            raise invalid(("integrator", "blank", "can't be blank"))
        fields["integrator"] = str(attrs["integrator"])
    if "configuration" in attrs or not partial:
        conf = attrs.get("configuration")
        url = conf.get("url") if isinstance(conf, dict) else None
        parts = urlparse(url) if isinstance(url, str) else None
        if not parts or parts.scheme not in ("http", "https") or not parts.netloc:
            raise invalid(("configuration.url", "invalid", "is invalid"))
        method = str(conf.get("method") or "post").lower()
        if method != "post":
            raise invalid(("configuration.method", "invalid", "is invalid"))
        fields["configuration"] = {"url": url, "method": method}
    if "bindings" in attrs or not partial:
        bindings = attrs.get("bindings")
        if not isinstance(bindings, list) or not bindings:
            raise invalid(("bindings", "blank", "can't be blank"))
        clean = []
        for b in bindings:
            actions = b.get("actions") if isinstance(b, dict) else None
            if (
                not isinstance(b, dict)
                or b.get("resource_type") not in RESOURCE_TYPES
                or not isinstance(actions, list)
                or not actions
                or not set(actions) <= ACTIONS
            ):
                raise invalid(("bindings", "invalid", "is invalid"))
            clean.append({"actions": actions, "resource_type": b["resource_type"], "resource_id": b.get("resource_id")})
        fields["bindings"] = clean
    if attrs.get("payload_style") in ("documented", "legacy"):  # sandbox extension, see docs/sandbox.md
        fields["payload_style"] = attrs["payload_style"]
    return fields


def _owner(viewer: Viewer, building_id: int | None, tenant_id: int | None) -> dict[str, Any]:
    if building_id is not None:
        viewer.require_building(building_id, admin=True)
        return {"building_id": building_id}
    tenant = Tenant.objects.filter(id=tenant_id).first()
    if tenant is None or not viewer.can_see_tenant(tenant):
        raise not_found()
    if tenant.id not in viewer.tenant_ids and not viewer.is_admin_of(tenant.building_id):
        raise forbidden()
    return {"tenant_id": tenant.id}


def routes(scope: str):
    def owner(viewer, kwargs):
        return _owner(viewer, kwargs.get("building_id"), kwargs.get("tenant_id"))

    def list_(request, viewer, **kw):
        qs = Integration.objects.filter(**owner(viewer, kw)).order_by("id")
        return paginate(request, qs, s.integration)

    def create(request, viewer, **kw):
        where = owner(viewer, kw)
        fields = _validated(json_body(request), partial=False)
        fields.setdefault("payload_style", config.get("payload_style"))
        now = clock.now()
        integration = Integration.objects.create(**where, **fields, created_at=now, updated_at=now)
        return data(s.integration(integration))  # 200, not 201, per the OpenAPI document

    def _get(viewer, kw):
        found = Integration.objects.filter(**owner(viewer, kw), id=kw["id"]).first()
        if found is None:
            raise not_found()
        return found

    def show(request, viewer, **kw):
        return data(s.integration(_get(viewer, kw)))

    def update(request, viewer, **kw):
        integration = _get(viewer, kw)
        for key, value in _validated(json_body(request), partial=True).items():
            setattr(integration, key, value)
        integration.updated_at = clock.now()
        integration.save()
        return data(s.integration(integration))

    def delete(request, viewer, **kw):
        _get(viewer, kw).delete()
        return no_content()

    return (api_route(GET=list_, POST=create), api_route(GET=show, PUT=update, PATCH=update, DELETE=delete))


building_integrations, building_integration = routes("building")
tenant_integrations, tenant_integration = routes("tenant")
