"""A portfolio: N more buildings, all administered by one account, with generated history, fast.

``POST /_sandbox/portfolio`` and ``python -m sandbox portfolio`` call ``create``. Each building gets units
with one registered tenant each (a login-less user, a resident PIN), doors with their devices (the first
door's device is a panel, so calls have somewhere to ring), two access groups ("Default": every tenant and
every door but the last; "Restricted": the first tenant and the last door), and history: ``access_logs``
entries and ``calls`` spread over the last ``days`` days. One extra, large building (``large_access_logs``
entries, e.g. 1,000,000) can be added for benchmarks.

Speed: every row is a bulk insert with ids allocated up front (one ``bulk_create`` per table for the whole
portfolio, ``COPY`` on PostgreSQL for the history), in one transaction, ANALYZEd once at the end
(``sandbox.generate.bulk_mode``). The buildings survive until ``POST /_sandbox/reset``.
"""

import datetime as dt
import random
import threading
import time
from typing import Any

from django.db.models import Max

from sandbox import clock, generate, seed
from sandbox.models import AccessGroup, AccessPoint, AccessTool, Building, Device, Tenant, Unit, User
from sandbox.passwords import hash_password

ADMIN_EMAIL = "portfolio-admin@sandbox.test"
MAX_BUILDINGS = 5000
MAX_ENTRIES = 20_000_000
TIME_ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix"]
CITIES = ["New York", "Chicago", "Denver", "Los Angeles", "Phoenix", "Boston", "Austin", "Seattle"]
FIRST = ["Ana", "Ben", "Chen", "Dana", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lia", "Max", "Noa"]
LAST = ["Alvarez", "Brooks", "Cohen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jones", "Khan"]
DOOR_NAMES = ["Front door", "Garage", "Package room", "Rooftop", "Gym", "Side gate", "Bike room", "Pool"]
DOOR_DEVICES = ["panel", "cloud_based_access_controller", "smart_lock", "keypad"]
FLUSH = 200_000  # history rows buffered before a bulk insert

_lock = threading.Lock()  # one portfolio at a time: ids are allocated from the current maxima


def _int(spec: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{key} must be an integer from {lo} to {hi}")
    return value


def _parse(spec: dict[str, Any]) -> dict[str, Any]:
    known = {
        "buildings",
        "units",
        "doors",
        "access_logs",
        "calls",
        "days",
        "large_access_logs",
        "large_calls",
        "admin_email",
        "name_prefix",
        "seed",
    }
    unknown = sorted(set(spec) - known)
    if unknown:
        raise ValueError(f"unknown portfolio fields: {', '.join(unknown)}")
    out = {
        "buildings": _int(spec, "buildings", 10, 0, MAX_BUILDINGS),
        "units": _int(spec, "units", 12, 1, 1000),
        "doors": _int(spec, "doors", 3, 1, len(DOOR_NAMES)),
        "access_logs": _int(spec, "access_logs", 0, 0, MAX_ENTRIES),
        "calls": _int(spec, "calls", 0, 0, MAX_ENTRIES),
        "days": _int(spec, "days", 30, 1, 3650),
        "large_access_logs": _int(spec, "large_access_logs", 0, 0, MAX_ENTRIES),
        "large_calls": _int(spec, "large_calls", 0, 0, MAX_ENTRIES),
        "seed": spec.get("seed"),
    }
    email = spec.get("admin_email", ADMIN_EMAIL)
    if not isinstance(email, str) or "@" not in email:
        raise ValueError("admin_email must be an e-mail address")
    prefix = spec.get("name_prefix", "Portfolio")
    if not isinstance(prefix, str) or not prefix.strip():
        raise ValueError("name_prefix must be a non-empty string")
    out.update(admin_email=email.strip().lower(), name_prefix=prefix.strip())
    if out["buildings"] == 0 and not out["large_access_logs"] and not out["large_calls"]:
        raise ValueError("nothing to create: buildings is 0 and there is no large building")
    if out["buildings"] * (out["access_logs"] + out["calls"]) > MAX_ENTRIES:
        raise ValueError(f"at most {MAX_ENTRIES} generated entries in one portfolio")
    return out


class _Ids:
    """Explicit ids, continuing after the largest of each table (the seed's ids stay where they are)."""

    def __init__(self, *models):
        self.next = {m: (m.objects.aggregate(top=Max("id"))["top"] or 0) + 1 for m in models}

    def take(self, model) -> int:
        value = self.next[model]
        self.next[model] += 1
        return value


def _admin(email: str) -> tuple[User, bool]:
    user = User.objects.filter(email__iexact=email).first()
    if user:
        if not user.password:  # an invited, login-less user becomes able to log in, with the demo password
            user.password = hash_password(seed.PASSWORD)
            user.save(update_fields=["password"])
        return user, False
    top = User.objects.aggregate(top=Max("id"))["top"] or 0
    user = User.objects.create(
        id=top + 1, email=email, first_name="Pat", last_name="Portfolio", password=hash_password(seed.PASSWORD)
    )
    return user, True


def create(spec: dict[str, Any]) -> dict[str, Any]:
    """Create the portfolio described by ``spec`` (see the module doc); returns ids, counts and seconds."""
    options = _parse(spec)
    with _lock:
        return _create(options)


def _create(o: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    rng = random.Random(o["seed"])
    now = clock.now()
    created = now - dt.timedelta(days=max(o["days"], 30) + 1)
    counts = dict.fromkeys(("units", "tenants", "devices", "access_points", "access_groups", "access_tools"), 0)
    counts.update(access_logs=0, calls=0)
    with generate.bulk_mode():
        admin, admin_created = _admin(o["admin_email"])
        ids = _Ids(Building, Unit, User, Tenant, Device, AccessPoint, AccessGroup, AccessTool)
        plan = [(o["units"], o["doors"], o["access_logs"], o["calls"], "")] * o["buildings"]
        if o["large_access_logs"] or o["large_calls"]:
            plan.append((o["units"], o["doors"], o["large_access_logs"], o["large_calls"], " (large)"))
        rows: dict[str, list] = {k: [] for k in ("b", "u", "usr", "t", "d", "ap", "apd", "g", "gt", "ga", "pin")}
        history: list[tuple[int, int, int]] = []  # (building id, access logs, calls)
        pin_codes: set[str] = set()
        for n, (units, doors, logs, calls, suffix) in enumerate(plan, start=1):
            bid = ids.take(Building)
            tz = TIME_ZONES[n % len(TIME_ZONES)]
            address = {
                "city": CITIES[n % len(CITIES)],
                "country": "us",
                "county": None,
                "state": "NY",
                "zip_code": f"{10000 + n % 89999:05d}",
                "address": f"{100 + n} Portfolio Ave",
            }
            name = f"{o['name_prefix']} {bid}{suffix}"
            rows["b"].append(
                Building(id=bid, name=name, time_zone=tz, address=address, created_at=created, updated_at=created)
            )
            tenant_ids = []
            for u in range(units):
                uid = ids.take(Unit)
                label = f"{u // 4 + 1}{'ABCD'[u % 4]}"
                rows["u"].append(
                    Unit(
                        id=uid,
                        building_id=bid,
                        label=label,
                        floor=str(u // 4 + 1),
                        created_at=created,
                        updated_at=created,
                    )
                )
                user_id = ids.take(User)
                rows["usr"].append(
                    User(
                        id=user_id,
                        email=f"b{bid}-u{uid}@portfolio.sandbox.test",
                        first_name=rng.choice(FIRST),
                        last_name=rng.choice(LAST),
                        password="",  # residents of a portfolio do not log in (hashing 10^4 passwords is slow)
                    )
                )
                tid = ids.take(Tenant)
                tenant_ids.append(tid)
                rows["t"].append(
                    Tenant(
                        id=tid,
                        user_id=user_id,
                        unit_id=uid,
                        building_id=bid,
                        registration_status="registered",
                        contact_preference="mobile_app",
                        confirmation_token=f"invite{tid}",
                        active_at=created,
                        flags={},
                        created_at=created,
                        updated_at=created,
                    )
                )
                code = f"{rng.randrange(10**6):06d}"
                while (bid, code) in pin_codes:
                    code = f"{rng.randrange(10**6):06d}"
                pin_codes.add((bid, code))
                rows["pin"].append(
                    AccessTool(
                        id=ids.take(AccessTool),
                        tenant_id=tid,
                        building_id=bid,
                        type="pin",
                        code=code,
                        created_at=created,
                        updated_at=created,
                    )
                )
            door_ids = []
            for d in range(doors):
                device_id, ap_id = ids.take(Device), ids.take(AccessPoint)
                kind = DOOR_DEVICES[min(d, len(DOOR_DEVICES) - 1)]
                rows["d"].append(
                    Device(
                        id=device_id,
                        building_id=bid,
                        name=f"{DOOR_NAMES[d]} {'Panel' if kind == 'panel' else 'Controller'}",
                        type=kind,
                        serial_number=f"PF{device_id:08d}" if kind == "panel" else None,
                        created_at=created,
                        updated_at=created,
                    )
                )
                rows["ap"].append(
                    AccessPoint(id=ap_id, building_id=bid, name=DOOR_NAMES[d], created_at=created, updated_at=created)
                )
                rows["apd"].append(AccessPoint.devices.through(accesspoint_id=ap_id, device_id=device_id))
                door_ids.append(ap_id)
            default, restricted = ids.take(AccessGroup), ids.take(AccessGroup)
            for gid, gname in ((default, "Default"), (restricted, "Restricted")):
                rows["g"].append(
                    AccessGroup(id=gid, building_id=bid, name=gname, created_at=created, updated_at=created)
                )
            through_t, through_a = AccessGroup.tenants.through, AccessGroup.access_points.through
            rows["gt"] += [through_t(accessgroup_id=default, tenant_id=t) for t in tenant_ids]
            rows["gt"].append(through_t(accessgroup_id=restricted, tenant_id=tenant_ids[0]))
            rows["ga"] += [through_a(accessgroup_id=default, accesspoint_id=a) for a in door_ids[:-1] or door_ids]
            rows["ga"].append(through_a(accessgroup_id=restricted, accesspoint_id=door_ids[-1]))
            history.append((bid, logs, calls))
        order = [
            ("b", Building),
            ("u", Unit),
            ("usr", User),
            ("t", Tenant),
            ("d", Device),
            ("ap", AccessPoint),
            ("apd", AccessPoint.devices.through),
            ("g", AccessGroup),
            ("gt", AccessGroup.tenants.through),
            ("ga", AccessGroup.access_points.through),
            ("pin", AccessTool),
        ]
        for key, model in order:
            model.objects.bulk_create(rows[key], batch_size=2000)
        admin.managed_buildings.add(*[b.id for b in rows["b"]])
        counts.update(
            units=len(rows["u"]),
            tenants=len(rows["t"]),
            devices=len(rows["d"]),
            access_points=len(rows["ap"]),
            access_groups=len(rows["g"]),
            access_tools=len(rows["pin"]),
        )
        buildings = {b.id: b for b in rows["b"]}
        del rows
        seed.reset_sequences()
        metadata_s = time.perf_counter() - started
        end = now
        start = end - dt.timedelta(days=o["days"])
        log_buffer: list[tuple] = []
        call_buffer: list[tuple] = []
        for bid, logs, calls in history:
            log_buffer += generate.log_rows(buildings[bid], logs, start, end, rng)
            call_buffer += generate.call_rows(buildings[bid], calls, start, end, rng)
            counts["access_logs"] += logs
            counts["calls"] += calls
            if len(log_buffer) >= FLUSH:
                generate.insert_logs(log_buffer)
                log_buffer = []
            if len(call_buffer) >= FLUSH:
                generate.insert_calls(call_buffer)
                call_buffer = []
        generate.insert_logs(log_buffer)
        generate.insert_calls(call_buffer)
    building_ids = [bid for bid, *_ in history]
    large = building_ids[-1] if o["large_access_logs"] or o["large_calls"] else None
    return {
        "admin": {
            "email": admin.email,
            "password": seed.PASSWORD,
            "user_id": admin.id,
            "created": admin_created,
            "building_count": admin.managed_buildings.count(),
        },
        "client_id": seed.CLIENT_ID,
        "building_ids": building_ids,
        "large_building_id": large,
        "counts": {"buildings": len(building_ids), **counts},
        "seconds": {
            "metadata": round(metadata_s, 3),
            "total": round(time.perf_counter() - started, 3),
        },
    }
