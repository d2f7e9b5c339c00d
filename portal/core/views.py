"""The home page and the health endpoint."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tenants.models import Building, Residency, Role
from tenants.scope import request_grants

from .health import health_status, run_checks
from .home import unit_now


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What each person can do, building by building, by their role there."""
    grants = request_grants(request)
    roles = grants.roles
    buildings = list(Building.objects.restrict(grants).order_by("name"))
    residencies = (
        Residency.objects.filter(user=request.user, is_active=True)
        .select_related("unit__building")
        .order_by("unit__building__name", "unit__label")
    )
    units_by_building: dict[int, list] = {}
    for residency in residencies:
        units_by_building.setdefault(residency.unit.building_id, []).append(residency.unit)
    cards = [
        {
            "building": b,
            "role": roles.get(b.id),
            "units": units_by_building.get(b.id, []),
            "is_resident": roles.get(b.id) == Role.RESIDENT,
            "is_staff": roles.get(b.id) in (Role.STAFF, Role.MANAGER),
            "is_manager": roles.get(b.id) == Role.MANAGER,
        }
        for b in buildings
    ]
    for card in cards:
        if card["is_resident"] and card["units"]:
            card["now"] = unit_now(grants, card["building"], card["units"])
    return render(request, "core/home.html", {"cards": cards})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 "ok"; 200 "degraded" naming what is down while pages still answer (the cache, the broker,
    beat: a load balancer must not take every web process out for Redis); 503 "unhealthy" when this
    process cannot serve pages (the database). See portal/core/health.py."""
    checks = run_checks()
    status = health_status(checks)
    body = {
        "status": status,
        "degraded": [c.name for c in checks if not c.ok and not c.critical],
        "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
    }
    return JsonResponse(body, status=503 if status == "unhealthy" else 200)
