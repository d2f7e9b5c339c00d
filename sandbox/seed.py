"""The demo portfolio: deterministic ids, three buildings in three time zones, and a reset that is fast.

Reset empties every sandbox table (TRUNCATE on PostgreSQL, DELETE on SQLite) and bulk-inserts the seed, in
well under half a second, because portal tests reset per test. Times are relative to the sandbox clock so
the history always looks recent.
"""

import datetime as dt
import json
import random
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction

from sandbox import clock, faults, gateway, webhooks
from sandbox.models import (
    AccessGroup,
    AccessLog,
    AccessPoint,
    AccessTool,
    Building,
    Call,
    Device,
    Keychain,
    OAuthClient,
    Setting,
    Tenant,
    Unit,
    User,
    VirtualKey,
)
from sandbox.passwords import hash_password
from sandbox.rules import access

PASSWORD = "sandbox-pass"  # a published demo password
CLIENT_ID = "portal-dev-client"
CLIENT_SECRET = "portal-dev-secret"  # a published demo secret
REDIRECT_URI = "http://127.0.0.1:8000/link/butterflymx/callback/"
PUBLIC_CLIENT_ID = "sandbox-public-client"
OOB = "urn:ietf:wg:oauth:2.0:oob"

CRIMSON, PACIFIC, LAKESHORE = 11743, 11744, 11745
BUILDINGS = [
    (
        CRIMSON,
        "Crimson Tower",
        "America/New_York",
        {
            "city": "New York",
            "country": "us",
            "county": None,
            "state": "NY",
            "zip_code": "10001-6808",
            "address": "127 W 26th St",
        },
    ),
    (
        PACIFIC,
        "Pacific Lofts",
        "America/Los_Angeles",
        {
            "city": "San Francisco",
            "country": "us",
            "county": "San Francisco",
            "state": "CA",
            "zip_code": "94107",
            "address": "500 Brannan St",
        },
    ),
    (
        LAKESHORE,
        "Lakeshore Commons",
        "America/Chicago",
        {
            "city": "Chicago",
            "country": "us",
            "county": "Cook",
            "state": "IL",
            "zip_code": "60611",
            "address": "400 E Randolph St",
        },
    ),
]
# (id, building, label, floor)
UNITS = [
    (101301, CRIMSON, "1A", "1"),
    (101302, CRIMSON, "1B", "1"),
    (101303, CRIMSON, "2A", "2"),
    (101304, CRIMSON, "2B", "2"),
    (101305, CRIMSON, "3A", "3"),
    (101306, CRIMSON, "3B", "3"),
    (101307, CRIMSON, "4A", "4"),
    (101308, CRIMSON, "4B", "4"),
    (101309, CRIMSON, "4C", "4"),
    (101310, CRIMSON, "5A", "5"),
    (101311, CRIMSON, "Office", "1"),  # the front desk's own tenancy (releases for nobody in particular)
    (101321, PACIFIC, "101", "1"),
    (101322, PACIFIC, "102", "1"),
    (101323, PACIFIC, "201", "2"),
    (101324, PACIFIC, "202", "2"),
    (101325, PACIFIC, "301", "3"),
    (101326, PACIFIC, "302", "3"),
    (101341, LAKESHORE, "A1", "1"),
    (101342, LAKESHORE, "A2", "1"),
]
# (id, email, first, last, can log in, managed buildings)
USERS = [
    (3001, "admin@sandbox.test", "Ada", "Admin", True, [CRIMSON, PACIFIC]),
    (3002, "resident@sandbox.test", "Rosa", "Resident", True, []),
    (3003, "two-homes@sandbox.test", "Tomas", "Twohomes", True, []),
    (3004, "invited@sandbox.test", "Ivy", "Invited", False, []),
    (3005, "neighbor@sandbox.test", "Nina", "Neighbor", True, []),
    (3006, "pacific@sandbox.test", "Paolo", "Pacific", True, []),
    (3007, "lakeshore-admin@sandbox.test", "Leo", "Lakeshore", True, [LAKESHORE]),
    (3008, "duncan.idaho@sandbox.test", "Duncan", "Idaho", True, []),
    (3009, "alia.atreides@sandbox.test", "Alia", "Atreides", True, []),
    (3010, "gurney.halleck@sandbox.test", "Gurney", "Halleck", True, []),
    (3011, "chani.kynes@sandbox.test", "Chani", "Kynes", True, []),
    (3012, "irulan.corrino@sandbox.test", "Irulan", "Corrino", True, []),
    (3013, "stilgar.naib@sandbox.test", "Stilgar", "Naib", True, []),
    (3014, "lake.tenant@sandbox.test", "Lena", "Lakes", True, []),
    (3015, "frontdesk@sandbox.test", "Front", "Desk", True, []),
]
# (id, user, unit, building, registration status, contact preference)
TENANTS = [
    (129201, 3002, 101308, CRIMSON, "registered", "mobile_app"),  # Rosa, 4B
    (129202, 3003, 101303, CRIMSON, "registered", "mobile_app"),  # Tomas, 2A ...
    (129203, 3003, 101323, PACIFIC, "registered", "mobile_app"),  # ... and Pacific 201
    (129204, 3004, 101305, CRIMSON, "invited", "phone_call"),  # Ivy, invited, 3A
    (129205, 3005, 101309, CRIMSON, "registered", "phone_call"),  # Nina, 4C
    (129206, 3006, 101324, PACIFIC, "registered", "mobile_app"),  # Paolo, 202
    (129207, 3008, 101301, CRIMSON, "registered", "phone_call"),
    (129208, 3009, 101302, CRIMSON, "registered", "mobile_app"),
    (129209, 3010, 101310, CRIMSON, "registered", "mobile_app"),
    (129210, 3011, 101321, PACIFIC, "registered", "mobile_app"),
    (129211, 3012, 101322, PACIFIC, "registered", "phone_call"),
    (129212, 3013, 101325, PACIFIC, "registered", "mobile_app"),
    (129213, 3014, 101341, LAKESHORE, "registered", "mobile_app"),
    (129214, 3015, 101311, CRIMSON, "registered", "mobile_app"),  # Front Desk, Office
]
# (id, building, name, type, serial)
DEVICES = [
    (58801, CRIMSON, "Main Entrance", "panel", "07S21N3209"),
    (58802, CRIMSON, "Vestibule Keypad", "keypad", "KP01-401C9"),
    (58803, CRIMSON, "Garage Controller", "cloud_based_access_controller", None),
    (58804, CRIMSON, "Package Room Lock", "smart_lock", "SL-88310"),
    (58805, CRIMSON, "Rooftop Controller", "cloud_based_access_controller", None),
    (58806, CRIMSON, "Front Desk", "front_desk_station", None),
    (58807, CRIMSON, "Elevator Bank", "elevator_control", None),
    (58808, CRIMSON, "4B Door Lock", "remote_lock", "RL-4B-0001"),
    (58811, PACIFIC, "Lobby Intercom", "virtual_intercom", None),
    (58812, PACIFIC, "Lobby Keypad", "keypad", "KP01-77A01"),
    (58813, PACIFIC, "Side Gate Keypad", "keypad", "KP01-77A02"),
    (58814, PACIFIC, "Bike Room Lock", "smart_lock", "SL-99120"),
    (58815, PACIFIC, "Key Locker", "key_locker", None),
    (58821, LAKESHORE, "Entrance", "panel", "07S21N4410"),
]
# (id, building, name, device ids): "Front door" is a vestibule, two devices released together
ACCESS_POINTS = [
    (3901, CRIMSON, "Front door", [58801, 58802]),
    (3902, CRIMSON, "Garage", [58803]),
    (3903, CRIMSON, "Package room", [58804]),
    (3904, CRIMSON, "Rooftop", [58805]),
    (3905, CRIMSON, "Elevator", [58807]),
    (3906, CRIMSON, "Unit 4B", [58808]),
    (3911, PACIFIC, "Lobby", [58811, 58812]),
    (3912, PACIFIC, "Side gate", [58813]),
    (3913, PACIFIC, "Bike room", [58814]),
    (3921, LAKESHORE, "Entrance", [58821]),
]
# (id, building, name, tenants (None = all of the building), units, access points)
ACCESS_GROUPS = [
    (7701, CRIMSON, "Default", None, [], [3901, 3902, 3903, 3905]),
    (7702, CRIMSON, "Rooftop access", [129201], [], [3904]),
    (7703, CRIMSON, "Unit 4B", [], [101308], [3906]),
    (7711, PACIFIC, "Default", None, [], [3911, 3912]),
    (7712, PACIFIC, "Bike room", [129203], [], [3913]),
    (7721, LAKESHORE, "Default", None, [], [3921]),
]
WEEK, WORKWEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ["mon", "tue", "wed", "thu", "fri"]
# Doors' open hours (unlocked for everyone), in each building's wall time: the lobby open 9 to 5.
OPEN_HOURS = {
    3901: [{"weekdays": WORKWEEK, "from": "08:00", "to": "18:00"}],  # Crimson front door (New York)
    3903: [
        {"weekdays": WORKWEEK, "from": "09:00", "to": "17:00"},
        {"weekdays": ["sat"], "from": "10:00", "to": "14:00"},
    ],
    3911: [{"weekdays": WORKWEEK, "from": "09:00", "to": "17:00"}],  # Pacific lobby (Los Angeles)
}
# When access groups' members may use their doors (GET /v4/access_points/{id}/schedules); others all day.
ACCESS_GROUP_SCHEDULES = {
    7702: [{"weekdays": WEEK, "from": "06:00", "to": "22:00"}],  # Crimson rooftop
    7712: [{"weekdays": WEEK, "from": "05:00", "to": "23:00"}],  # Pacific bike room
}
# (id, tenant, building, type, code, protected)
ACCESS_TOOLS = [
    (843201, 129201, CRIMSON, "pin", "483920", False),
    (843202, 129202, CRIMSON, "pin", "572913", False),
    (843203, 129203, PACIFIC, "pin", "615283", False),
    (843204, 129205, CRIMSON, "pin", "4821", False),  # a grandfathered 4-digit PIN
    (843205, 129207, CRIMSON, "rfid_tag", "25c064d101", False),
    (843206, 129208, CRIMSON, "vehicle", "123ABCD", False),
    (843207, 129201, CRIMSON, "rfid_tag", "E66CBDF31E", True),  # protected: DELETE answers is_protected
    (843208, 129206, PACIFIC, "pin", "730461", False),
]


# (id, keychain, building, name, email, sms, pin, uses, protected)
VIRTUAL_KEYS = [
    (1035801, 254301, CRIMSON, "Walker", "walker@example.com", None, "286417", 3, False),
    (1035802, 254302, CRIMSON, "Guest (e-mail)", "guest@example.com", None, "319574", 0, False),
    (1035803, 254302, CRIMSON, "Guest (text)", None, "+12125550123", "402758", 0, False),
    (1035804, 254303, CRIMSON, "Plumber", None, "+12125550188", "538162", 1, False),
    (1035805, 254304, CRIMSON, "DoorDash", None, None, "641937", 0, False),
    (1035806, 254306, CRIMSON, "Board member", "board@example.com", None, "864215", 0, True),
    (1035807, 254305, PACIFIC, "Cleaner", "clean@example.com", None, "759204", 1, False),
]


def seeded_pins() -> list[str]:
    """Every PIN the seed gives out (residents' access tools and visitors' keys): secrets the portal's
    logs must never carry (tests/plugins/log_secrets.py searches a test run's logs for them)."""
    tools = [code for _id, _tenant, _building, kind, code, _protected in ACCESS_TOOLS if kind == "pin"]
    return tools + [row[6] for row in VIRTUAL_KEYS]


def demo() -> dict[str, Any]:
    """What ``make sandbox-demo`` prints and ``GET /_sandbox/demo`` answers: logins, client, ids."""
    tenancies: dict[int, list[int]] = {}
    for tid, uid, *_ in TENANTS:
        tenancies.setdefault(uid, []).append(tid)
    users = [
        {
            "email": email,
            "password": PASSWORD if can_login else None,
            "name": f"{first} {last}",
            "user_id": uid,
            "tenant_ids": tenancies.get(uid, []),
            "manages_building_ids": managed,
            "registered": can_login,
        }
        for uid, email, first, last, can_login, managed in USERS
    ]
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": REDIRECT_URI,
        "public_client_id": PUBLIC_CLIENT_ID,
        "scopes": "public",
        "admin": {"email": "admin@sandbox.test", "password": PASSWORD, "building_ids": [CRIMSON, PACIFIC]},
        "resident": {
            "email": "resident@sandbox.test",
            "password": PASSWORD,
            "tenant_id": 129201,
            "building_id": CRIMSON,
            "unit_id": 101308,
            "pin": "483920",
        },
        "two_homes": {
            "email": "two-homes@sandbox.test",
            "password": PASSWORD,
            "tenant_ids": [129202, 129203],
        },
        "neighbor": {"email": "neighbor@sandbox.test", "password": PASSWORD, "tenant_id": 129205},
        "invited": {"email": "invited@sandbox.test", "tenant_id": 129204},
        "other_admin": {
            "email": "lakeshore-admin@sandbox.test",
            "password": PASSWORD,
            "building_ids": [LAKESHORE],
        },
        "users": users,
        "buildings": [{"id": bid, "name": name, "time_zone": tz} for bid, name, tz, _ in BUILDINGS],
        "access_points": [{"id": i, "building_id": b, "name": n, "device_ids": d} for i, b, n, d in ACCESS_POINTS],
        "devices": [{"id": i, "building_id": b, "name": n, "type": t} for i, b, n, t, _ in DEVICES],
        "keychains": {
            "resident_recurring": 254301,
            "resident_custom": 254302,
            "resident_one_time": 254303,
            "resident_delivery_pass": 254304,
            "protected": 254306,
        },
        "virtual_keys": {"resident_custom_pin": "319574", "protected_id": 1035806},
        "protected_access_tool_id": 843207,
        "seeded_pins": seeded_pins(),
    }


def _truncate() -> None:
    models = list(apps.get_app_config("sandbox").get_models())
    tables = [m._meta.db_table for m in models]
    for m in models:
        tables += [f.remote_field.through._meta.db_table for f in m._meta.local_many_to_many]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in tables) + " CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
            cursor.execute("DELETE FROM sqlite_sequence")


def reset_sequences() -> None:
    """After explicit-id inserts, move PostgreSQL identity sequences past them (SQLite does it itself)."""
    if connection.vendor != "postgresql":
        return
    models = list(apps.get_app_config("sandbox").get_models(include_auto_created=True))
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _local(now: dt.datetime, tz: str, days: int, hhmm: str) -> dt.datetime:
    local_day = (now.astimezone(ZoneInfo(tz)) + dt.timedelta(days=days)).date()
    hour, minute = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(local_day, dt.time(hour, minute), tzinfo=ZoneInfo(tz)).astimezone(dt.UTC)


def _keychains(now: dt.datetime) -> tuple[list[Keychain], list[VirtualKey]]:
    ny = "America/New_York"
    today_ny = now.astimezone(ZoneInfo(ny)).date()
    rows = [
        dict(
            id=254301,
            tenant=129201,
            unit=101308,
            building=CRIMSON,
            type="recurring_keychain",
            name="Dog walker",
            starts_at=_local(now, ny, -7, "12:00"),
            ends_at=_local(now, ny, 90, "13:00"),
            start_date=today_ny - dt.timedelta(days=7),
            end_date=today_ny + dt.timedelta(days=90),
            time_from="12:00",
            time_to="13:00",
            weekdays=["mon", "tue", "wed", "thu", "fri"],
            aps=[3901],
            devices=[58801, 58802],
        ),
        dict(
            id=254302,
            tenant=129201,
            unit=101308,
            building=CRIMSON,
            type="custom_keychain",
            name="Weekend guests",
            starts_at=now - dt.timedelta(days=1),
            ends_at=now + dt.timedelta(days=3),
            aps=[3901, 3902],
            devices=[58801, 58802, 58803],
        ),
        dict(
            id=254303,
            tenant=129201,
            unit=101308,
            building=CRIMSON,
            type="one_time_keychain",
            name="Plumber",
            starts_at=now - dt.timedelta(days=2),
            ends_at=now - dt.timedelta(days=1),
            aps=[3901],
            devices=[58801, 58802],
        ),
        dict(
            id=254304,
            tenant=129201,
            unit=101308,
            building=CRIMSON,
            type="delivery_pass",
            name="DoorDash",
            starts_at=now - dt.timedelta(days=2),
            ends_at=now + dt.timedelta(days=28),
            aps=[3901, 3902, 3903, 3904, 3905, 3906],
            devices=[58801, 58802, 58803, 58804, 58805, 58807, 58808],
        ),
        dict(
            id=254305,
            tenant=129203,
            unit=101323,
            building=PACIFIC,
            type="custom_keychain",
            name="Cleaner",
            starts_at=now - dt.timedelta(hours=1),
            ends_at=now + dt.timedelta(days=30),
            aps=[3911],
            devices=[58811, 58812],
        ),
        dict(
            id=254306,
            tenant=129205,
            unit=101309,
            building=CRIMSON,
            type="custom_keychain",
            name="Board meeting",
            starts_at=now - dt.timedelta(days=1),
            ends_at=now + dt.timedelta(days=60),
            aps=[3901],
            devices=[58801, 58802],
            protected=True,
        ),
    ]
    keychains = [
        Keychain(
            id=r["id"],
            tenant_id=r["tenant"],
            unit_id=r["unit"],
            building_id=r["building"],
            type=r["type"],
            name=r["name"],
            starts_at=r["starts_at"],
            ends_at=r["ends_at"],
            start_date=r.get("start_date"),
            end_date=r.get("end_date"),
            time_from=r.get("time_from"),
            time_to=r.get("time_to"),
            weekdays=r.get("weekdays"),
            access_point_ids=r["aps"],
            device_ids=r["devices"],
            protected=r.get("protected", False),
            created_at=now - dt.timedelta(days=3),
            updated_at=now - dt.timedelta(days=3),
        )
        for r in rows
    ]
    keys = [
        VirtualKey(
            id=i,
            keychain_id=k,
            building_id=b,
            name=n,
            email=e,
            sms_number=sms,
            pin_code=pin,
            token=f"seed{i:012d}qr",
            sent_at=now - dt.timedelta(days=3) if (e or sms) else None,
            first_used_at=now - dt.timedelta(days=1, hours=2) if uses else None,
            last_used_at=now - dt.timedelta(days=1) if uses else None,
            usage_count=uses,
            protected=prot,
            created_at=now - dt.timedelta(days=3),
            updated_at=now - dt.timedelta(days=1),
        )
        for i, k, b, n, e, sms, pin, uses, prot in VIRTUAL_KEYS
    ]
    return keychains, keys


def _history(now: dt.datetime) -> tuple[list[AccessLog], list[Call]]:
    """Two weeks of plausible history, deterministic for a given seed time."""
    rng = random.Random(20260617)
    tenants = {t[0]: t for t in TENANTS}
    users = {u[0]: u for u in USERS}
    labels = {u[0]: u[2] for u in UNITS}
    doors = {CRIMSON: [3901, 3901, 3901, 3902, 3903], PACIFIC: [3911, 3911, 3912]}
    residents = {
        CRIMSON: [129201, 129202, 129205, 129207, 129208, 129209],
        PACIFIC: [129203, 129206, 129210, 129211],
    }
    methods = [
        ("swipe_to_open", "Swipe to open"),
        ("front_door_view", "App call"),
        ("pin", None),
        ("api", "API"),
    ]
    logs: list[AccessLog] = []
    next_id = 1560001
    for building, count in ((CRIMSON, 40), (PACIFIC, 20)):
        for _ in range(count):
            tid = rng.choice(residents[building])
            _, uid, unit_id, *_rest = tenants[tid]
            code, display = rng.choice(methods)
            entry: Any = display if display else {"access_tool": 843201}
            logs.append(
                AccessLog(
                    id=next_id,
                    building_id=building,
                    logged_at=now - dt.timedelta(minutes=rng.randrange(20, 20160)),
                    access_point_id=rng.choice(doors[building]),
                    release_status="Unlocked",
                    name=f"{users[uid][2]} {users[uid][3]}",
                    release_type="Tenant",
                    unit_id=unit_id,
                    unit_label=labels[unit_id],
                    tenant_id=tid,
                    entry_method=json.dumps(entry),
                    release_method=code,
                    image_path=f"/uploads/store/{rng.getrandbits(128):032x}.png",
                )
            )
            next_id += 1
        # A visitor pass use and the open-hours schedule events, as in the OpenAPI examples.
        logs.append(
            AccessLog(
                id=next_id,
                building_id=building,
                logged_at=now - dt.timedelta(days=1),
                access_point_id=doors[building][0],
                release_status="Unlocked",
                name="Guest",
                release_type="Visitor",
                unit_id=None,
                unit_label=None,
                tenant_id=None,
                entry_method=json.dumps("Visitor Pass (using QR code)"),
                release_method="qr_code",
                image_path="/uploads/store/visitor.png",
            )
        )
        next_id += 1
        for days, status in ((1, "Locked"), (2, "Unlocked")):
            logs.append(
                AccessLog(
                    id=next_id,
                    building_id=building,
                    logged_at=now - dt.timedelta(days=days, hours=3),
                    access_point_id=doors[building][0],
                    release_status=status,
                    name=None,
                    release_type=None,
                    unit_id=None,
                    unit_label=None,
                    tenant_id=None,
                    entry_method=None,
                    release_method="schedule",
                    image_path=None,
                )
            )
            next_id += 1
    calls: list[Call] = []
    panels = {CRIMSON: (58801, "Main Entrance"), PACIFIC: (58811, "Lobby Intercom")}
    statuses = ["opened_door", "opened_door", "canceled", "timeout_online_signal", "rejected"]
    call_id = 4004001
    for building, count in ((CRIMSON, 12), (PACIFIC, 6)):
        for n in range(count):
            attendant = n == 0
            tid = None if attendant else rng.choice(residents[building])
            unit_id = tenants[tid][2] if tid else None
            uid = tenants[tid][1] if tid else None
            calls.append(
                Call(
                    id=call_id,
                    building_id=building,
                    logged_at=now - dt.timedelta(minutes=rng.randrange(30, 20160)),
                    guid=f"00000000-0000-4000-8000-{call_id:012d}",
                    notification_type="delivery" if n % 5 == 4 else "visitor",
                    recipient_type="Attendant" if attendant else "Tenant",
                    recipient_id=tid,
                    recipient_name=f"{users[uid][2]} {users[uid][3]}" if uid else None,
                    unit_id=unit_id,
                    unit_label=labels.get(unit_id) if unit_id else None,
                    device_id=panels[building][0],
                    device_name=panels[building][1],
                    status=rng.choice(statuses),
                    image_path=f"/uploads/store/{rng.getrandbits(128):032x}.png",
                )
            )
            call_id += 1
    return logs, calls


def load() -> None:
    """Empty every table and insert the seed (one transaction)."""
    webhooks.reset()
    faults.clear()
    gateway.reset()
    with transaction.atomic():
        _truncate()
        clock.forget()
        now = clock.now()
        created = now - dt.timedelta(days=900)
        password = hash_password(PASSWORD)
        Building.objects.bulk_create(
            [
                Building(id=i, name=n, time_zone=tz, address=a, created_at=created, updated_at=created)
                for i, n, tz, a in BUILDINGS
            ]
        )
        Unit.objects.bulk_create(
            [
                Unit(id=i, building_id=b, label=lbl, floor=f, created_at=created, updated_at=created)
                for i, b, lbl, f in UNITS
            ]
        )
        User.objects.bulk_create(
            [
                User(id=i, email=e, first_name=f, last_name=ln, password=password if ok else "")
                for i, e, f, ln, ok, _ in USERS
            ]
        )
        User.managed_buildings.through.objects.bulk_create(
            [User.managed_buildings.through(user_id=i, building_id=b) for i, *_, managed in USERS for b in managed]
        )
        notif = {
            "email": True,
            "sms": False,
            "do_not_disturb": False,
            "preferences": {
                "door_opens": {"push": True, "email": False, "sms": None},
                "messages": {"push": True, "email": False, "sms": False},
            },
        }
        Tenant.objects.bulk_create(
            [
                Tenant(
                    id=i,
                    user_id=u,
                    unit_id=un,
                    building_id=b,
                    registration_status=st,
                    contact_preference=cp,
                    invited_at=now - dt.timedelta(days=2) if st == "invited" else None,
                    confirmation_token=f"invite{i}",
                    active_at=created,
                    notification_preference=notif,
                    flags={},
                    created_at=created,
                    updated_at=created,
                )
                for i, u, un, b, st, cp in TENANTS
            ]
        )
        Device.objects.bulk_create(
            [
                Device(
                    id=i,
                    building_id=b,
                    name=n,
                    type=t,
                    serial_number=sn,
                    created_at=created,
                    updated_at=created,
                )
                for i, b, n, t, sn in DEVICES
            ]
        )
        AccessPoint.objects.bulk_create(
            [
                AccessPoint(
                    id=i,
                    building_id=b,
                    name=n,
                    open_hours=OPEN_HOURS.get(i, []),
                    created_at=created,
                    updated_at=created,
                )
                for i, b, n, _ in ACCESS_POINTS
            ]
        )
        AccessPoint.devices.through.objects.bulk_create(
            [AccessPoint.devices.through(accesspoint_id=i, device_id=d) for i, _, _, ds in ACCESS_POINTS for d in ds]
        )
        AccessGroup.objects.bulk_create(
            [
                AccessGroup(id=i, building_id=b, name=n, created_at=created, updated_at=created)
                for i, b, n, *_ in ACCESS_GROUPS
            ]
        )
        through_t, through_u, through_a = (
            AccessGroup.tenants.through,
            AccessGroup.units.through,
            AccessGroup.access_points.through,
        )
        members, units, doors = [], [], []
        for gid, building, _, tenant_ids, unit_ids, ap_ids in ACCESS_GROUPS:
            ids = tenant_ids if tenant_ids is not None else [t[0] for t in TENANTS if t[3] == building]
            members += [through_t(accessgroup_id=gid, tenant_id=t) for t in ids]
            units += [through_u(accessgroup_id=gid, unit_id=u) for u in unit_ids]
            doors += [through_a(accessgroup_id=gid, accesspoint_id=a) for a in ap_ids]
        through_t.objects.bulk_create(members)
        through_u.objects.bulk_create(units)
        through_a.objects.bulk_create(doors)
        Setting.objects.create(
            key=access.GROUP_SCHEDULES_KEY, value={str(g): v for g, v in ACCESS_GROUP_SCHEDULES.items()}
        )
        AccessTool.objects.bulk_create(
            [
                AccessTool(
                    id=i,
                    tenant_id=t,
                    building_id=b,
                    type=ty,
                    code=c,
                    protected=p,
                    created_at=created,
                    updated_at=created,
                )
                for i, t, b, ty, c, p in ACCESS_TOOLS
            ]
        )
        keychains, keys = _keychains(now)
        Keychain.objects.bulk_create(keychains)
        VirtualKey.objects.bulk_create(keys)
        logs, calls = _history(now)
        AccessLog.objects.bulk_create(logs)
        Call.objects.bulk_create(calls)
        OAuthClient.objects.bulk_create(
            [
                OAuthClient(
                    id=1,
                    client_id=CLIENT_ID,
                    client_secret=CLIENT_SECRET,
                    name="Property portal (dev)",
                    redirect_uris=[REDIRECT_URI, OOB],
                ),
                OAuthClient(
                    id=2,
                    client_id=PUBLIC_CLIENT_ID,
                    client_secret="",
                    name="Sandbox public (PKCE) client",
                    redirect_uris=["http://127.0.0.1/callback", OOB],
                ),
            ]
        )
        reset_sequences()


def is_empty() -> bool:
    return not OAuthClient.objects.exists()
