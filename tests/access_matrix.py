"""Who gets what, for every URL of the portal. One table; the test walks the URL conf.

A URL missing from ``MATRIX`` fails ``tests/portal/test_access_matrix.py``: every new page or API
states here, for each persona, the status a GET answers. Outside a person's scope the answer is 404.

Personas (see ``tests/conftest.py``): anonymous; alice and bob, residents of building A (units 101 and
102); charlie, resident of building B; staff and manager of building A.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

PERSONAS = ("anonymous", "alice", "bob", "charlie", "staff", "manager")


def everyone(status: int, **overrides: int) -> dict[str, int]:
    return {**{p: status for p in PERSONAS}, **overrides}


def signed_in(status: int = 200, **overrides: int) -> dict[str, int]:
    """Anonymous people are sent to the login page; everyone else gets ``status``."""
    return everyone(status, anonymous=302, **overrides)


@dataclass
class Entry:
    expect: dict[str, int]
    kwargs: Callable[[object], dict] = field(default=lambda world: {})
    query: str = ""


NO_SUCH_TOKEN = "00000000-0000-4000-8000-000000000000"

# Alice's things: alice and building A's staff and manager see them; bob and charlie get a 404.
ALICES = {"anonymous": 302, "alice": 200, "bob": 404, "charlie": 404, "staff": 200, "manager": 200}


def _alices_pass(world):
    from passes.models import Pass
    from tests.passes.conftest import make_pass

    existing = Pass.objects.filter(unit=world.unit_a1).first()
    return existing or make_pass(world.alice.residencies.get(), name="Alice's guest")


def _tenant_without_account(world):
    from tenants.models import TenantRecord

    tenant, _ = TenantRecord.objects.get_or_create(
        building=world.building_a, bmx_id=424242, defaults={"unit": world.unit_a1, "first_name": "Tess"}
    )
    return tenant


MATRIX: dict[str, Entry] = {
    # --- portal.core
    "home": Entry(signed_in()),
    # --- portal.alerts: the old address of the alert settings, now a redirect to the Notifications page
    "alerts:settings": Entry(signed_in(302)),
    "healthz": Entry(everyone(200)),
    # --- Django admin: operators only; the whole namespace is checked through its index.
    "admin:index": Entry(everyone(302)),
    # Its login page only forwards to the portal's login (anonymous); non-operators get a 404.
    "admin_login": Entry(everyone(404, anonymous=302)),
    # --- allauth: accounts and two-factor
    "account_login": Entry(everyone(302, anonymous=200)),
    "account_logout": Entry(everyone(200, anonymous=302)),
    "account_inactive": Entry(everyone(200)),
    "account_signup": Entry(everyone(302, anonymous=200)),
    "account_reauthenticate": Entry(signed_in()),
    "account_email": Entry(signed_in()),
    "account_email_verification_sent": Entry(everyone(200)),
    "account_change_password": Entry(signed_in()),
    "account_set_password": Entry(signed_in(302)),
    "account_reset_password": Entry(everyone(200)),
    "account_confirm_login_code": Entry(everyone(302)),
    "account_confirm_email": Entry(everyone(200), kwargs=lambda w: {"key": "not-a-real-key"}),
    "account_reset_password_from_key_done": Entry(everyone(200)),
    "account_reset_password_from_key": Entry(everyone(200), kwargs=lambda w: {"uidb36": "1", "key": "bad-key"}),
    "account_reset_password_done": Entry(everyone(200)),
    "mfa_index": Entry(signed_in()),
    "mfa_authenticate": Entry(everyone(302)),
    "mfa_reauthenticate": Entry(signed_in(302)),
    "mfa_activate_totp": Entry(signed_in(302)),  # asks for the password again first
    "mfa_deactivate_totp": Entry(signed_in(404)),
    "mfa_view_recovery_codes": Entry(signed_in(404)),
    "mfa_generate_recovery_codes": Entry(signed_in(302)),
    "mfa_download_recovery_codes": Entry(signed_in(404)),
    # --- dashboard: door board, residents' doors, releases, audit, doors API
    "dashboard:index": Entry(signed_in(404, staff=302, manager=302)),
    "dashboard:board": Entry(signed_in(404, staff=200, manager=200), kwargs=lambda w: {"building_id": w.building_a.pk}),
    "dashboard:board_doors": Entry(
        signed_in(404, staff=200, manager=200), kwargs=lambda w: {"building_id": w.building_a.pk}
    ),
    "dashboard:front_desk": Entry(signed_in(405), kwargs=lambda w: {"building_id": w.building_a.pk}),
    "dashboard:unit_doors": Entry(signed_in(405), kwargs=lambda w: {"building_id": w.building_a.pk}),  # POST only
    "dashboard:audit": Entry(signed_in(404, manager=200)),
    "dashboard:audit_csv": Entry(signed_in(404, manager=200)),
    "dashboard:my_doors": Entry(signed_in()),
    "dashboard:my_doors_state": Entry(signed_in()),
    # --- portal.live: the person's own event stream. The test client is WSGI, where it streams nothing
    # (204: the browser stops asking); under uvicorn it is a 200 stream (tests/live/test_stream.py).
    "live:events": Entry(everyone(204, anonymous=401)),
    "dashboard:release": Entry(
        signed_in(404, alice=200, staff=200, manager=200), kwargs=lambda w: {"door_id": w.door_a.pk}
    ),
    # visitor calls: the person's ringing calls (their own unit's; staff the desk's), and the panel's
    # buttons, POST only (their scope: tests/dashboard/test_calls.py)
    "dashboard:calls_ringing": Entry(signed_in()),
    "dashboard:call_open": Entry(signed_in(405), kwargs=lambda w: {"call_id": 1}),
    "dashboard:call_decline": Entry(signed_in(405), kwargs=lambda w: {"call_id": 1}),
    "doors-api:list": Entry(everyone(200, anonymous=403)),
    "doors-api:detail": Entry(
        everyone(404, anonymous=403, alice=200, staff=200, manager=200), kwargs=lambda w: {"pk": w.door_a.pk}
    ),
    "doors-api:release": Entry(everyone(405, anonymous=403), kwargs=lambda w: {"pk": w.door_a.pk}),
    # --- passes (a pass of alice's unit; its visitor's guest link)
    "passes:list": Entry(signed_in()),
    "passes:new": Entry(signed_in()),
    "passes:tenant_choose": Entry(signed_in(404, staff=200, manager=200)),  # staff and managers only
    # A roster tenant of building A with no portal account: its building's staff and managers only.
    "passes:new_for_tenant": Entry(
        signed_in(404, staff=200, manager=200), kwargs=lambda w: {"tenant_pk": _tenant_without_account(w).pk}
    ),
    "passes:detail": Entry(ALICES, kwargs=lambda w: {"pk": _alices_pass(w).pk}),
    "passes:change": Entry(ALICES, kwargs=lambda w: {"pk": _alices_pass(w).pk}),
    "passes:action": Entry(ALICES, kwargs=lambda w: {"pk": _alices_pass(w).pk, "action": "revoke"}),
    # POST only (the host's own choice; POSTs by others in scope are 404: tests/alerts/test_alert_pages.py)
    "passes:arrivals": Entry(signed_in(405), kwargs=lambda w: {"pk": _alices_pass(w).pk}),
    "passes:share": Entry(
        {**ALICES, "alice": 302, "staff": 302, "manager": 302}, kwargs=lambda w: {"pk": _alices_pass(w).keys.get().pk}
    ),
    # POST only: the pass's host removes one visitor (others in scope get a 404: tests/passes/test_key_removal.py)
    "passes:key_remove": Entry(signed_in(405), kwargs=lambda w: {"pk": _alices_pass(w).keys.get().pk}),
    "passes:guest": Entry(everyone(200), kwargs=lambda w: {"token": _alices_pass(w).keys.get().share_token}),
    "passes:guest_ics": Entry(everyone(200), kwargs=lambda w: {"token": _alices_pass(w).keys.get().share_token}),
    # Wallet passes of the same link: 404 while no wallet is configured (the test settings); with one,
    # 200 and 302 (tests/passes/test_wallet.py), still only by the link.
    "passes:guest_apple_wallet": Entry(
        everyone(404), kwargs=lambda w: {"token": _alices_pass(w).keys.get().share_token}
    ),
    "passes:guest_google_wallet": Entry(
        everyone(404), kwargs=lambda w: {"token": _alices_pass(w).keys.get().share_token}
    ),
    "passes_api:list": Entry(everyone(200, anonymous=403)),
    "passes_api:detail": Entry({**ALICES, "anonymous": 403}, kwargs=lambda w: {"pk": _alices_pass(w).pk}),
    "passes_api:revoke": Entry(everyone(405, anonymous=403), kwargs=lambda w: {"pk": _alices_pass(w).pk}),
    # --- tenants: ButterflyMX links, profile, PIN, connected buildings
    "tenants:link_start": Entry(signed_in(405)),  # POST only
    "tenants:link_callback": Entry(signed_in(302)),  # no link attempt in the session: back to the profile
    "tenants:link_remove": Entry(signed_in(405)),
    "tenants:profile": Entry(signed_in()),
    "tenants:tenancy_choose": Entry(signed_in(405)),
    "tenants:pin": Entry(signed_in(404)),  # the personas' tenancies are not linked to ButterflyMX
    "tenants:doors_refresh": Entry(signed_in(405)),  # POST only: a resident's doors re-read from ButterflyMX
    "tenants:buildings": Entry(signed_in()),
    "tenants:building": Entry(signed_in(404, manager=200), kwargs=lambda w: {"pk": w.building_a.pk}),
    "tenants:building_limits": Entry(signed_in(404, manager=200), kwargs=lambda w: {"pk": w.building_a.pk}),
    "tenants:building_sync": Entry(signed_in(405), kwargs=lambda w: {"pk": w.building_a.pk}),
    "tenants:building_sync_status": Entry(signed_in(404, manager=200), kwargs=lambda w: {"pk": w.building_a.pk}),
    "tenants:building_people": Entry(signed_in(404, manager=200), kwargs=lambda w: {"pk": w.building_a.pk}),
    # units and access groups (tenants.groups_units): managers only; changes are POST only. Building A has
    # no ButterflyMX link here, so no access group can be read (a group's page is a 404 for everyone).
    "tenants:building_units": Entry(signed_in(404, manager=200), kwargs=lambda w: {"pk": w.building_a.pk}),
    "tenants:unit_change": Entry(signed_in(405), kwargs=lambda w: {"pk": w.building_a.pk, "unit_pk": w.unit_a1.pk}),
    "tenants:unit_remove": Entry(signed_in(405), kwargs=lambda w: {"pk": w.building_a.pk, "unit_pk": w.unit_a1.pk}),
    "tenants:access_groups": Entry(signed_in(404, manager=200), kwargs=lambda w: {"pk": w.building_a.pk}),
    "tenants:access_group": Entry(signed_in(404), kwargs=lambda w: {"pk": w.building_a.pk, "group_id": 7701}),
    "tenants:access_group_members": Entry(signed_in(405), kwargs=lambda w: {"pk": w.building_a.pk, "group_id": 7701}),
    "tenants:person_role": Entry(signed_in(405), kwargs=lambda w: {"pk": w.building_a.pk, "membership_pk": 1}),
    "tenants:person_remove": Entry(signed_in(405), kwargs=lambda w: {"pk": w.building_a.pk, "membership_pk": 1}),
    "tenants:invitation_resend": Entry(signed_in(405), kwargs=lambda w: {"pk": w.building_a.pk, "invitation_pk": 1}),
    "tenants:invitation_cancel": Entry(signed_in(405), kwargs=lambda w: {"pk": w.building_a.pk, "invitation_pk": 1}),
    "tenants:invitation": Entry(everyone(404), kwargs=lambda w: {"token": "no-such-invitation"}),
    # issue 19, the tenant lifecycle (managers): move in, re-invite, move out, rent roll
    "tenants:tenant_new": Entry(signed_in(404, manager=200), kwargs=lambda w: {"pk": w.building_a.pk}),
    "tenants:tenant_resend": Entry(signed_in(405), kwargs=lambda w: {"pk": w.building_a.pk, "tenant_pk": 1}),
    "tenants:tenant_move_out": Entry(signed_in(405), kwargs=lambda w: {"pk": w.building_a.pk, "tenant_pk": 1}),
    "tenants:rent_roll": Entry(signed_in(404, manager=200), kwargs=lambda w: {"pk": w.building_a.pk}),
    "tenants:rent_roll_apply": Entry(signed_in(405), kwargs=lambda w: {"pk": w.building_a.pk}),
    # access tools (PINs, fobs): a building's for its managers; a resident's own (the personas' tenancies are
    # not linked to ButterflyMX, so their own list is a 404 like their PIN); the writes are POST only
    "tenants:access_tools": Entry(signed_in(404, manager=200), kwargs=lambda w: {"pk": w.building_a.pk}),
    "tenants:fob_add": Entry(signed_in(405), kwargs=lambda w: {"pk": w.building_a.pk}),
    "tenants:access_tool_revoke": Entry(signed_in(405), kwargs=lambda w: {"pk": w.building_a.pk, "tool_id": 1}),
    "tenants:my_access_tools": Entry(signed_in(404)),
    "tenants:my_access_tool_revoke": Entry(signed_in(405), kwargs=lambda w: {"tool_id": 1}),
    "me_api:link": Entry(everyone(200, anonymous=403)),
    "me_api:profile": Entry(everyone(200, anonymous=403)),
    "me_api:pin": Entry(everyone(404, anonymous=403)),
    # --- logs
    "logs:list": Entry(signed_in()),
    "logs:export": Entry(signed_in()),
    "logs:calls": Entry(signed_in()),
    "logs:calls_export": Entry(signed_in()),
    "logs:charts": Entry(signed_in()),
    "logs:charts_data": Entry(signed_in()),
    "logs:health": Entry(signed_in(404, manager=200)),
    "logs:health_action": Entry(signed_in(405), kwargs=lambda w: {"building_id": w.building_a.pk}),
    "logs:detail": Entry(signed_in(404, alice=200, staff=200, manager=200), kwargs=lambda w: {"pk": _entry(w).pk}),
    "logs:snapshot": Entry(signed_in(404, alice=302, staff=302, manager=302), kwargs=lambda w: {"pk": _entry(w).pk}),
    "logs:call_detail": Entry(signed_in(404, alice=200, staff=200, manager=200), kwargs=lambda w: {"pk": _call(w).pk}),
    "logs:call_snapshot": Entry(
        signed_in(404, alice=302, staff=302, manager=302), kwargs=lambda w: {"pk": _call(w).pk}
    ),
    "logs-api:entry-list": Entry(everyone(200, anonymous=403)),
    "logs-api:entry-detail": Entry(
        everyone(404, anonymous=403, alice=200, staff=200, manager=200), kwargs=lambda w: {"pk": _entry(w).pk}
    ),
    "logs-api:call-list": Entry(everyone(200, anonymous=403)),
    "logs-api:call-detail": Entry(
        everyone(404, anonymous=403, alice=200, staff=200, manager=200), kwargs=lambda w: {"pk": _call(w).pk}
    ),
    "logs_webhooks:receive": Entry(everyone(405), kwargs=lambda w: {"building_id": w.building_a.pk, "secret": "x"}),
    "logs_webhooks:tenant_receive": Entry(everyone(405), kwargs=lambda w: {"hook_id": 1, "secret": "x"}),
    # --- portal.api: the schema (an API: 403 without credentials), its docs page (a page: login), tokens
    "api:schema": Entry(everyone(200, anonymous=403)),
    "api:docs": Entry(signed_in()),
    "api:tokens": Entry(everyone(200, anonymous=403)),
    "api:token": Entry(everyone(405, anonymous=403), kwargs=lambda w: {"public_id": NO_SUCH_TOKEN}),  # DELETE only
    # --- portal.notifications: the person's own settings and devices, and the service worker
    "notifications:settings": Entry(signed_in()),
    "notifications:subscribe": Entry(signed_in(405)),  # POST only: this browser's subscription
    "notifications:device_remove": Entry(signed_in(405), kwargs=lambda w: {"pk": 1}),  # POST only
    "notifications:snooze": Entry(signed_in(405)),  # POST only
    "service_worker": Entry(everyone(200)),
    # --- portal.core.language: the language menu (POST only) and the scripts' strings
    "language_choose": Entry(everyone(405)),
    "javascript_catalog": Entry(everyone(200)),
    # --- portal.accounts: the API tokens page
    "accounts:api_tokens": Entry(signed_in()),
    "accounts:api_token_revoke": Entry(signed_in(405), kwargs=lambda w: {"public_id": NO_SUCH_TOKEN}),
    "accounts:api_tokens_revoke_all": Entry(signed_in(405)),
}


def _entry(world):
    """An access-log entry in alice's unit (building A), with a snapshot."""
    from tests.logs.factories import entry_for

    return entry_for(world.building_a, unit=world.unit_a1, door=world.door_a, remote_id=900001)


def _call(world):
    from tests.logs.factories import call_for

    return call_for(world.building_a, unit=world.unit_a1, remote_id=900001)


# URL namespaces covered through one representative entry above (the admin has hundreds of URLs,
# all behind the same staff_member_required gate).
COVERED_NAMESPACES = {"admin": "admin:index"}
