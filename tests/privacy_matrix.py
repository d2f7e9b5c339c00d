"""Who sees whose activity, for every URL of the portal. The privacy twin of ``tests/access_matrix.py``.

The access matrix says which status each persona gets; this one says what they *see*: a world where
every unit and the staff have distinct, recognisable activity on doors they share (access-log entries,
calls, door releases with their reasons, passes), and for every URL that shows such data, which of it
each persona may see. ``tests/portal/test_privacy_matrix.py`` walks the URL conf: a URL that is neither
here (``SURFACES`` or ``OBJECTS``) nor in ``NO_ACTIVITY`` (with the reason it shows none) fails the suite.

Owners of activity (``SEES`` says who may see what):

- ``a1``: alice's unit in building A; ``a2``: bob's unit in building A (alice and bob share A's doors);
- ``staff_a``: the front desk of building A: its e-mails, names, release reasons, whom a release was for,
  visitors without a unit, calls to the desk. Staff reasons are for staff and managers, even when the
  release was for a resident's own unit;
- ``b1``: charlie's unit in building B.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

PERSONAS = ("anonymous", "alice", "bob", "charlie", "staff", "manager")
OWNERS = ("a1", "a2", "staff_a", "b1")

# What each persona may see of each owner's activity: residents their own unit's, never the front
# desk's details, never another unit's; staff and managers their building's; nobody another building's.
SEES: dict[str, set[str]] = {
    "anonymous": set(),
    "alice": {"a1"},
    "bob": {"a2"},
    "charlie": {"b1"},
    "staff": {"a1", "a2", "staff_a"},
    "manager": {"a1", "a2", "staff_a"},
}

UNIT_LABELS = {"a1": "Aardvark-101", "a2": "Bluejay-102", "b1": "Chaffinch-5A"}
STAFF_EMAIL, STAFF_LAST_NAME = "staff@example.test", "Staffordshire"
MANAGER_EMAIL, MANAGER_LAST_NAME = "manager@example.test", "Managerson"

# Strings that appear in a response only if that owner's activity is in it.
MARKERS: dict[str, tuple[str, ...]] = {
    "a1": ("Alice Aardvark", UNIT_LABELS["a1"], "reason-aardvark-own", "Aardvark guest pass"),
    "a2": ("Bob Bluejay", UNIT_LABELS["a2"], "reason-bluejay-own", "Bluejay guest pass"),
    "staff_a": (
        STAFF_EMAIL,
        STAFF_LAST_NAME,
        MANAGER_EMAIL,
        MANAGER_LAST_NAME,
        "staff-reason-bluejay-plumber",
        "staff-reason-frontdesk-courier",
        "for-label-bluejay",
        "Front Desk Felix",
        "Visitor Vireo",
        "Osprey Desk Panel",
    ),
    "b1": ("Charlie Chaffinch", UNIT_LABELS["b1"], "reason-chaffinch-own", "Chaffinch guest pass"),
}


@dataclass
class Activity:
    """The world of ``tests/conftest.py`` with everyone's activity: each owner's records."""

    world: object
    entries: dict[str, list] = field(default_factory=dict)
    calls: dict[str, list] = field(default_factory=dict)
    passes: dict[str, list] = field(default_factory=dict)

    def counts(self, persona: str) -> tuple[int, int]:
        """(entries, calls) that ``persona`` may see."""
        owners = SEES[persona]
        return (
            sum(len(made) for owner, made in self.entries.items() if owner in owners),
            sum(len(made) for owner, made in self.calls.items() if owner in owners),
        )


def build_activity(world) -> Activity:
    """Alice and bob share building A's two doors; each unit, the desk and building B leave traces."""
    from logs.models import ReleaseMethod
    from portal.dashboard.models import DoorRelease
    from tenants.models import Unit
    from tests.logs.factories import call_for, entry_for
    from tests.passes.conftest import make_pass

    now = timezone.now()
    for unit, owner in ((world.unit_a1, "a1"), (world.unit_a2, "a2"), (world.unit_b1, "b1")):
        Unit.objects.filter(pk=unit.pk).update(label=UNIT_LABELS[owner])
        unit.refresh_from_db()
    for person, last_name in ((world.staff, STAFF_LAST_NAME), (world.manager, MANAGER_LAST_NAME)):
        type(person).objects.filter(pk=person.pk).update(last_name=last_name)
        person.refresh_from_db()
    alice_home, bob_home = world.alice.residencies.get(), world.bob.residencies.get()
    alice_home.doors.set([world.door_a, world.door_a2])
    bob_home.doors.set([world.door_a, world.door_a2])
    activity = Activity(world)

    def entry(owner, remote_id, door, minutes_ago, person, unit=None, **fields):
        made = entry_for(
            door.building,
            remote_id=remote_id,
            unit=unit,
            door=door,
            logged_at=now - timedelta(minutes=minutes_ago),
            person_name=person,
            **fields,
        )
        activity.entries.setdefault(owner, []).append(made)

    # At the shared front door, bob came through last; at the garage, a visitor let in by the desk.
    entry("a1", 810001, world.door_a, 30, "Alice Aardvark", world.unit_a1)
    entry("a2", 810002, world.door_a, 10, "Bob Bluejay", world.unit_a2)
    entry("a2", 810003, world.door_a2, 20, "Bob Bluejay", world.unit_a2)
    entry(
        "staff_a",
        810004,
        world.door_a2,
        5,
        "Visitor Vireo",
        None,
        release_method=ReleaseMethod.API,
        release_type="Visitor",
    )
    entry("b1", 810005, world.door_b, 7, "Charlie Chaffinch", world.unit_b1)

    activity.calls["a1"] = [call_for(world.building_a, remote_id=820001, unit=world.unit_a1)]
    activity.calls["a2"] = [call_for(world.building_a, remote_id=820002, unit=world.unit_a2)]
    activity.calls["staff_a"] = [
        call_for(world.building_a, remote_id=820003, recipient_type="Attendant", device_name="Osprey Desk Panel")
    ]
    activity.calls["b1"] = [call_for(world.building_b, remote_id=820004, unit=world.unit_b1)]

    def release(door, minutes_ago, by, role, reason, for_label, unit):
        at = now - timedelta(minutes=minutes_ago)
        return DoorRelease.objects.create(
            building=door.building,
            door=door,
            requested_by=by,
            requested_by_role=role,
            reason=reason,
            for_label=for_label,
            unit=unit,
            status=DoorRelease.Status.SUCCEEDED,
            requested_at=at,
            completed_at=at,
        )

    release(
        world.door_a, 8, world.alice, "resident", "reason-aardvark-own", "Alice Aardvark (Aardvark-101)", world.unit_a1
    )
    # The desk let bob's plumber in: bob's unit, but the reason and the desk's e-mail are the desk's.
    release(
        world.door_a,
        3,
        world.staff,
        "staff",
        "staff-reason-bluejay-plumber",
        "for-label-bluejay (Bluejay-102)",
        world.unit_a2,
    )
    release(world.door_a2, 4, world.bob, "resident", "reason-bluejay-own", "Bob Bluejay (Bluejay-102)", world.unit_a2)
    release(world.door_a2, 1, world.manager, "manager", "staff-reason-frontdesk-courier", "Front Desk Felix", None)
    release(world.door_b, 2, world.charlie, "resident", "reason-chaffinch-own", "Charlie Chaffinch (5A)", world.unit_b1)

    activity.passes["a1"] = [make_pass(alice_home, name="Aardvark guest pass")]
    activity.passes["a2"] = [make_pass(bob_home, name="Bluejay guest pass")]
    activity.passes["b1"] = [make_pass(world.charlie.residencies.get(), name="Chaffinch guest pass")]
    return activity


# --- Surfaces: URLs that show many people's activity ---------------------------------------------


@dataclass
class Surface:
    """A URL that shows activity. Every persona's answer (whatever its status) carries no marker of an
    owner they may not see; ``shows`` names, per persona, owners whose markers must appear (so the check
    cannot pass on an empty page); ``check`` is an extra assertion on the response, if any."""

    kwargs: Callable[[Activity], dict] = field(default=lambda a: {})
    query: str = ""
    shows: dict[str, set[str]] = field(default_factory=dict)
    check: Callable[[Activity, str, object], None] | None = None


def _residents_own(staff: set[str] | None = None) -> dict[str, set[str]]:
    """Each resident sees their own unit's; staff and managers ``staff`` (by default all of A)."""
    staff = staff if staff is not None else {"a1", "a2", "staff_a"}
    return {"alice": {"a1"}, "bob": {"a2"}, "charlie": {"b1"}, "staff": staff, "manager": staff}


def _chart_counts(activity: Activity, persona: str, response) -> None:
    """Charts are counts, not names: each persona's counts are of exactly what they may see."""
    if response.status_code != 200:
        return
    data = response.json()
    entries, calls = activity.counts(persona)
    assert sum(data["per_day"]["values"]) == entries, (persona, data["per_day"])
    assert sum(data["call_outcomes"]["values"]) == calls, (persona, data["call_outcomes"])


def _ringing(activity: Activity) -> dict:
    """For the ringing-calls surface only: every owner's call rings now (logs.calls), so each persona has
    something of their own to see, and the others' calls are there to leak. (The shared world's calls do
    not ring: a ringing call shows its panel on every page of its people.)"""
    from logs.models import CallRecord, RingState

    now = timezone.now()
    CallRecord.objects.filter(pk__in=[c.pk for made in activity.calls.values() for c in made]).update(
        ring_state=RingState.RINGING, ring_started_at=now, ring_until=now + timedelta(hours=1)
    )
    return {}


def _home_counts(activity: Activity, persona: str, response) -> None:
    """A resident's home lists exactly their own unit's entries, calls and live passes, by record id;
    staff and managers get no such lists (their cards link to the building's logs)."""
    if response.status_code != 200:
        return
    text = response.content.decode()
    for kind, attribute in (("entries", "data-home-entry"), ("calls", "data-home-call"), ("passes", "data-home-pass")):
        shown = set(re.findall(rf'{attribute}="(\d+)"', text))
        own = set() if persona in ("staff", "manager") else SEES[persona]
        expected = {str(r.pk) for owner, made in getattr(activity, kind).items() if owner in own for r in made}
        assert shown == expected, (persona, kind, shown, expected)


SURFACES: dict[str, Surface] = {
    # --- doors: the board (staff), residents' own doors, their state in the API
    "dashboard:board": Surface(
        kwargs=lambda a: {"building_id": a.world.building_a.pk},
        shows={"staff": {"a2", "staff_a"}, "manager": {"a2", "staff_a"}},
    ),
    "dashboard:board_doors": Surface(
        kwargs=lambda a: {"building_id": a.world.building_a.pk},
        shows={"staff": {"a2", "staff_a"}, "manager": {"a2", "staff_a"}},
    ),
    "dashboard:my_doors": Surface(shows={"alice": {"a1"}, "bob": {"a2"}, "charlie": {"b1"}}),
    "dashboard:my_doors_state": Surface(shows={"alice": {"a1"}, "bob": {"a2"}, "charlie": {"b1"}}),
    "doors-api:list": Surface(shows={**_residents_own(staff={"a2", "staff_a"})}),
    "doors-api:detail": Surface(
        kwargs=lambda a: {"pk": a.world.door_a.pk},
        shows={"alice": {"a1"}, "bob": {"a2"}, "staff": {"a2", "staff_a"}, "manager": {"a2", "staff_a"}},
    ),
    # ringing calls: residents their own unit's, staff and managers only the front desk's (a unit's call
    # is for its residents)
    "dashboard:calls_ringing": Surface(kwargs=_ringing, shows=_residents_own(staff={"staff_a"})),
    "dashboard:audit": Surface(shows={"manager": {"a1", "a2", "staff_a"}}),
    "dashboard:audit_csv": Surface(shows={"manager": {"a1", "a2", "staff_a"}}),
    # --- logs: pages, exports, charts, API lists
    "logs:list": Surface(shows=_residents_own()),
    "logs:export": Surface(shows=_residents_own()),
    "logs:calls": Surface(shows=_residents_own()),
    "logs:calls_export": Surface(shows=_residents_own()),
    "logs:charts": Surface(),
    "logs:charts_data": Surface(check=_chart_counts),
    "logs-api:entry-list": Surface(shows=_residents_own()),
    "logs-api:call-list": Surface(shows=_residents_own()),
    # --- passes: their use counts and times
    "passes:list": Surface(query="?state=all", shows=_residents_own(staff={"a1", "a2"})),
    "passes_api:list": Surface(shows=_residents_own(staff={"a1", "a2"})),
    # --- the home page: what each person can do, and a resident's own unit now (passes, entries, calls);
    # never what others did, not even a neighbour's entry at the door they share
    "home": Surface(shows={"alice": {"a1"}, "bob": {"a2"}, "charlie": {"b1"}}, check=_home_counts),
    # --- a building's units (managers only): labels and floors of the units mirrored from ButterflyMX
    "tenants:building_units": Surface(kwargs=lambda a: {"pk": a.world.building_a.pk}),
}


# --- Objects: URLs of one record; another unit's record is a 404 ---------------------------------


@dataclass
class Object:
    """A URL of one record of an owner: personas who may see the owner get ``ok``; the others a 404
    (anonymous people: ``anonymous``, the login redirect or the API's 403)."""

    kind: str  # "entries", "calls" or "passes": which of the Activity's records
    kwargs: Callable[[object], dict]
    ok: int = 200
    anonymous: int = 302


def _key(pass_obj) -> dict:
    return {"pk": pass_obj.keys.get().pk}


OBJECTS: dict[str, Object] = {
    "logs:detail": Object("entries", lambda e: {"pk": e.pk}),
    "logs:snapshot": Object("entries", lambda e: {"pk": e.pk}, ok=302),
    "logs:call_detail": Object("calls", lambda c: {"pk": c.pk}),
    "logs:call_snapshot": Object("calls", lambda c: {"pk": c.pk}, ok=302),
    "logs-api:entry-detail": Object("entries", lambda e: {"pk": e.pk}, anonymous=403),
    "logs-api:call-detail": Object("calls", lambda c: {"pk": c.pk}, anonymous=403),
    "passes:detail": Object("passes", lambda p: {"pk": p.pk}),
    "passes:change": Object("passes", lambda p: {"pk": p.pk}),
    "passes:action": Object("passes", lambda p: {"pk": p.pk, "action": "revoke"}),
    "passes:share": Object("passes", _key, ok=302),
    "passes_api:detail": Object("passes", lambda p: {"pk": p.pk}, anonymous=403),
}


# --- URLs that show no activity data at all ------------------------------------------------------

NO_ACTIVITY: dict[str, str] = {
    "healthz": "server health: database, broker, beat",
    "admin:index": "operators (superusers) only; no persona reaches it",
    "api:schema": "the API's OpenAPI document",
    "api:docs": "the page that renders the schema",
    "api:token": "the caller's own API token",
    "api:tokens": "the caller's own API tokens (names, dates)",
    "accounts:api_tokens": "the caller's own API tokens page",
    "accounts:api_token_revoke": "POST only: revokes one of the caller's own tokens",
    "accounts:api_tokens_revoke_all": "POST only: revokes all of the caller's own tokens",
    "admin_login": "a redirect to the portal's login (operators only get further)",
    "notifications:settings": (
        "the caller's own devices and notification preferences; managers also their alert choices and their "
        "own buildings' alert incidents (building and door names, counts; no entries, units or visitors)"
    ),
    "notifications:subscribe": "POST only: adds the caller's own browser",
    "notifications:device_remove": "POST only: removes one of the caller's own browsers (another's: 404)",
    "notifications:snooze": "POST only: mutes the caller's own notifications",
    "service_worker": "the service worker's script, the same for everyone",
    "language_choose": "POST only: sets the caller's own language",
    "javascript_catalog": "the scripts' translated strings, the same for everyone in a language",
    "dashboard:index": "a list of the staff's buildings (or a redirect to its board)",
    "live:events": (
        "the person's own live events, ids only; 204 under the test client (WSGI). Who hears what is proven "
        "under uvicorn: tests/live/test_stream.py (bob never hears alice's unit, a resident never a desk)"
    ),
    "dashboard:front_desk": "POST only: a manager sets the front-desk tenant",
    "dashboard:unit_doors": "POST only: a manager shows or hides unit doors on the board",
    "dashboard:release": "the confirmation form: the door, and for staff the building's tenants to choose from",
    "doors-api:release": "POST only; answers with the caller's own release",
    "dashboard:call_open": "POST only: opens the door of a call the caller may take; answers with a message",
    "dashboard:call_decline": "POST only: declines a call the caller may take; answers with a message",
    "logs:health": "managers' sync health: cursors and webhook state, no log rows",
    "logs:health_action": "POST only: a manager requests a sync",
    "logs_webhooks:receive": "POST only: ButterflyMX's webhook intake, answers a status word",
    "logs_webhooks:tenant_receive": "POST only: a resident's own webhook intake, answers a status word",
    "passes:arrivals": "POST only: the pass's host sets how they are told of its arrivals (others: 404)",
    "passes:key_remove": "POST only: the pass's host removes one visitor from it (others, staff included: 404)",
    "alerts:settings": "a redirect to the caller's own Notifications page (its alerts section)",
    "passes:new": "the creation form: the person's own tenancies (staff: their building's residents)",
    "passes:tenant_choose": "staff and managers only: the roster tenants of their own buildings (names, units)",
    "passes:new_for_tenant": "the creation form for one roster tenant of the staff's building: their name and unit",
    "passes:guest": "a visitor's own pass by its secret link: the building, doors and their key; no use by others",
    "passes:guest_ics": "the same pass as a calendar file: building, times, the link",
    "passes:guest_apple_wallet": "the same pass as an Apple Wallet file: visitor, building, times, QR, PIN, link",
    "passes:guest_google_wallet": "a redirect to Google Wallet carrying the same pass (visitor, building, QR, PIN)",
    "passes_api:revoke": "POST only; answers with the caller's own pass",
    "tenants:link_start": "POST only: starts the caller's ButterflyMX link",
    "tenants:link_callback": "the caller's own OAuth return",
    "tenants:link_remove": "POST only: the caller's own link",
    "tenants:profile": "the caller's own profile, tenancies and PIN",
    "tenants:tenancy_choose": "POST only: the caller's primary tenancy",
    "tenants:pin": "the caller's own PIN",
    "tenants:doors_refresh": "POST only: re-reads the caller's own doors from ButterflyMX",
    "tenants:buildings": "buildings the caller manages and their connection",
    "tenants:building": "a managed building's roster counts and sync",
    "tenants:building_sync": "POST only: a manager requests a roster sync",
    "tenants:building_sync_status": "a roster sync's progress",
    "tenants:building_limits": "managers only: a building's hourly limits and this hour's counts, no names",
    "tenants:building_people": "managers only: the building's staff, invitations and tenants (names, e-mails)",
    "tenants:person_role": "POST only: a manager changes a role at their building",
    "tenants:unit_change": "POST only: a manager renames a unit of their building at ButterflyMX",
    "tenants:unit_remove": "POST only: a manager removes an empty unit of their building at ButterflyMX",
    "tenants:access_groups": "managers only: the building's access groups (names, member counts) from ButterflyMX",
    "tenants:access_group": "managers only: one access group's tenants and units (names, their doors), no activity",
    "tenants:access_group_members": "POST only: a manager puts a tenant or unit in or out of an access group",
    "tenants:person_remove": "POST only: a manager ends a membership at their building",
    "tenants:invitation_resend": "POST only: a manager re-sends an open invitation of their building",
    "tenants:invitation_cancel": "POST only: a manager cancels an open invitation of their building",
    "tenants:invitation": "one invitation, only to whoever holds its one-time link",
    "tenants:tenant_new": "managers only: the move-in form (the building's units and access groups, no one's activity)",
    "tenants:tenant_resend": "POST only: a manager re-sends a tenant's ButterflyMX invitation",
    "tenants:tenant_move_out": "POST only: a manager moves a tenant of their building out",
    "tenants:rent_roll": "managers only: a rent roll's preview (the building's tenants; no activity)",
    "tenants:rent_roll_apply": "POST only: a manager applies a previewed rent roll",
    "tenants:access_tools": (
        "managers only: their building's tenants' PINs and fobs read from ButterflyMX (no PIN code, a fob's last "
        "characters) and the audit of changes; residents and other buildings' managers 404 "
        "(tests/tenants/test_access_tools.py)"
    ),
    "tenants:fob_add": "POST only: a manager adds a fob for a tenant of their building",
    "tenants:access_tool_revoke": "POST only: a manager revokes a tool of their building (another building's: 404)",
    "tenants:my_access_tools": "the caller's own PINs and fobs, masked, read with their own ButterflyMX link",
    "tenants:my_access_tool_revoke": "POST only: revokes one of the caller's own tools (a neighbour's: 404)",
    "me_api:link": "the caller's own link status",
    "me_api:profile": "the caller's own profile",
    "me_api:pin": "the caller's own PIN",
    # allauth: the person's own account and second factor
    **{
        name: "allauth: the person's own account"
        for name in (
            "account_login",
            "account_logout",
            "account_inactive",
            "account_signup",
            "account_reauthenticate",
            "account_email",
            "account_email_verification_sent",
            "account_change_password",
            "account_set_password",
            "account_reset_password",
            "account_confirm_login_code",
            "account_confirm_email",
            "account_reset_password_from_key_done",
            "account_reset_password_from_key",
            "account_reset_password_done",
        )
    },
    **{
        name: "allauth MFA: the person's own second factor"
        for name in (
            "mfa_index",
            "mfa_authenticate",
            "mfa_reauthenticate",
            "mfa_activate_totp",
            "mfa_deactivate_totp",
            "mfa_view_recovery_codes",
            "mfa_generate_recovery_codes",
            "mfa_download_recovery_codes",
        )
    },
}
