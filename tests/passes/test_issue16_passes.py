"""Issue 16, "Passes": default doors, links that follow "Extend or change", delivery wording, visible
names, overnight windows, and an RFC 5545 calendar file."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.utils import timezone

from passes import rules, services
from passes.forms import PassForm
from passes.models import Pass
from passes.sharing import first_occurrence, ics_for
from tenants.models import Device
from tests.passes.conftest import make_pass
from tests.passes.helpers import pass_input, window_for_kind

NY = ZoneInfo("America/New_York")
FRONT_DOOR, GARAGE, PACKAGE_ROOM, ROOFTOP, ELEVATOR, UNIT_4B = 3901, 3902, 3903, 3904, 3905, 3906
# The sandbox's Crimson Tower devices (sandbox/seed.py), as the roster sync records them.
CRIMSON_DEVICES = [
    ("Main Entrance", "panel", [FRONT_DOOR]),
    ("Vestibule Keypad", "keypad", [FRONT_DOOR]),
    ("Garage Controller", "cloud_based_access_controller", [GARAGE]),
    ("Package Room Lock", "smart_lock", [PACKAGE_ROOM]),
    ("Rooftop Controller", "cloud_based_access_controller", [ROOFTOP]),
    ("Elevator Bank", "elevator_control", [ELEVATOR]),
    ("4B Door Lock", "remote_lock", [UNIT_4B]),
]


@pytest.fixture
def synced(bmx):
    """The bmx world with its doors' devices recorded, as after a roster sync."""
    for name, kind, doors in CRIMSON_DEVICES:
        device = Device.objects.create(building=bmx.crimson, name=name, kind=kind)
        device.access_points.set([bmx.doors[d] for d in doors])
    return bmx


def rosa_form(bmx, data=None):
    from passes.selectors import residencies_for_creation

    return PassForm(data, residencies=residencies_for_creation(bmx.rosa), actor=bmx.rosa, initial={})


# --- 1. Doors ----------------------------------------------------------------------------------------


def test_a_new_pass_form_ticks_only_the_entrances_and_says_which_doors_are_opt_in(synced):
    form = rosa_form(synced)

    assert form.initial["doors"] == [synced.doors[FRONT_DOOR].pk]
    labels = {label for _, label in form.fields["doors"].choices}
    assert "Front door (entrance)" in labels
    assert "Unit 4B (resident's own door, opt-in)" in labels
    assert "Rooftop (amenity, opt-in)" in labels and "Package room (amenity, opt-in)" in labels
    assert "open only if you tick them" in form.fields["doors"].help_text


def test_before_the_roster_reads_any_device_the_form_ticks_every_door_and_says_its_kind_is_not_known(bmx):
    form = rosa_form(bmx)  # no Device rows: the portal cannot tell an entrance from an amenity yet

    labels = {choice.value: label for choice, label in form.fields["doors"].choices}
    ticked = [labels[pk] for pk in form.initial["doors"]]
    assert len(ticked) == len(labels) == 6  # every Crimson door, none of them known to be a unit door
    assert all(label.endswith("(kind of door not known yet)") for label in ticked)  # never "opt-in" yet ticked


def test_a_pass_with_no_doors_chosen_opens_only_the_entrance_at_butterflymx(synced, sandbox):
    created = services.pass_create(
        actor=synced.rosa,
        residency=synced.rosa_residency,
        data=pass_input("custom", tz=NY, **window_for_kind("custom", NY)),
    )

    keychain = {k["id"]: k for k in sandbox.state()["keychains"]}[created.bmx_keychain_id]
    assert keychain["access_point_ids"] == [FRONT_DOOR]
    pin = created.keys.get().pin
    assert sandbox.use_key(access_point_id=FRONT_DOOR, pin=pin)["granted"]
    assert not sandbox.use_key(access_point_id=UNIT_4B, pin=pin)["granted"]
    assert not sandbox.use_key(access_point_id=ROOFTOP, pin=pin)["granted"]


def test_the_api_default_is_the_entrances_and_a_ticked_unit_door_is_opened_on_purpose(synced, sandbox, client):
    client.force_login(synced.rosa)
    body = {"residency": synced.rosa_residency.pk, "kind": "full_day", "name": "Plumber",
            "day": dt.datetime.now(NY).date().isoformat()}  # fmt: skip

    default = client.post("/api/passes/", body, content_type="application/json")
    chosen = client.post("/api/passes/", {**body, "doors": [synced.doors[UNIT_4B].pk]}, content_type="application/json")

    assert default.status_code == 201, default.json()
    assert [d["name"] for d in default.json()["doors"]] == ["Front door"]
    assert chosen.status_code == 201, chosen.json()
    assert [d["name"] for d in chosen.json()["doors"]] == ["Unit 4B"]


# --- 2. Extend or change ------------------------------------------------------------------------------


def test_extend_moves_each_visitors_link_to_their_key_on_the_new_pass(synced, sandbox, client):
    window = window_for_kind("custom", NY)
    old = services.pass_create(
        actor=synced.rosa, residency=synced.rosa_residency,
        data=pass_input("custom", tz=NY, name="Party", visitors=["Sam", "Kim"], **window),
    )  # fmt: skip
    links = {k.name: k.share_token for k in old.keys.all()}
    window["ends_at"] += dt.timedelta(days=2)

    new, warning, links_left = services.pass_replace(
        actor=synced.rosa, old=old, data=pass_input("custom", tz=NY, name="Party", visitors=["Sam", "Lee"], **window)
    )

    assert warning is None and links_left == ["Kim"]
    sam = new.keys.get(name="Sam")
    assert sam.share_token == links["Sam"]
    page = client.get(f"/p/{links['Sam']}/").content.decode()
    assert sam.pin in page and old.keys.get(name="Sam").pin not in page
    assert Pass.objects.get(pk=old.pk).status == Pass.Status.REVOKED
    assert old.keys.get(name="Sam").share_token != links["Sam"]  # the old key keeps no usable link


def test_the_change_page_says_the_links_follow_and_names_who_must_get_the_new_pass(synced, sandbox, client):
    window = window_for_kind("custom", NY)
    old = services.pass_create(
        actor=synced.rosa, residency=synced.rosa_residency,
        data=pass_input("custom", tz=NY, name="Party", visitors=["Sam", "Kim"], **window),
    )  # fmt: skip
    client.force_login(synced.rosa)
    fmt = "%Y-%m-%dT%H:%M"
    response = client.post(
        f"/passes/{old.pk}/change/",
        {"residency": synced.rosa_residency.pk, "kind": "custom", "name": "Party",
         "starts_at": window["starts_at"].strftime(fmt),
         "ends_at": (window["ends_at"] + dt.timedelta(days=1)).strftime(fmt),
         "doors": [synced.doors[FRONT_DOOR].pk], "visitors": "Sam\nLee"},
        follow=True,
    )  # fmt: skip

    text = response.content.decode()
    assert "keep working: they now show the new QR code and PIN" in text
    assert "Kim. Send them the new pass" in text


# --- 3. Delivery ----------------------------------------------------------------------------------------


def test_the_delivery_help_says_single_use_with_a_five_minute_grace(synced, client):
    client.force_login(synced.rosa)
    page = client.get("/passes/new/?kind=delivery").content.decode()

    assert "single use, then usable for 5 more minutes" in page
    assert "every door the resident may use" in page


# --- 4. Names -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["\u200b", "\u200b\u200c\u200d", " \u2060 \ufeff ", "\u202e\u200b", "\u00ad"])
def test_a_name_of_invisible_characters_is_an_error(value):
    with pytest.raises(rules.PassRuleError) as raised:
        rules.clean_name(value)
    assert raised.value.errors == {"name": ["Enter a name with visible letters or digits."]}


def test_bidirectional_controls_are_removed_from_names():
    assert rules.clean_name("\u202eAnn\u202c \u2066Lee\u2069") == "Ann Lee"
    assert rules.people_from([("Visitor 1", "Zo\u200fe", "")]).visitors == ["Zoe"]


def test_the_form_refuses_an_invisible_visitor_and_pass_name(synced):
    data = {"residency": synced.rosa_residency.pk, "kind": "full_day", "name": "\u200b\u200b",
            "day": dt.datetime.now(NY).date().isoformat(), "visitors": "Sam\n\u200b\u200b\n"}  # fmt: skip
    form = rosa_form(synced, data)

    assert not form.is_valid()
    assert form.errors["name"] == ["Enter a name with visible letters or digits."]
    assert form.errors["visitors"] == ["Line 2: no visible name (only invisible characters); write a name."]


def test_the_api_refuses_an_invisible_visitor_and_cleans_overrides(synced, sandbox, client):
    client.force_login(synced.rosa)
    body = {"residency": synced.rosa_residency.pk, "kind": "full_day", "name": "\u202eGuest",
            "day": dt.datetime.now(NY).date().isoformat()}  # fmt: skip

    refused = client.post("/api/passes/", {**body, "visitors": ["\u200b"]}, content_type="application/json")
    created = client.post("/api/passes/", {**body, "visitors": ["\u2067Sam\u2069"]}, content_type="application/json")

    assert refused.status_code == 400
    assert refused.json()["errors"]["visitors"] == [
        "Visitor 1: no visible name (only invisible characters); write a name."
    ]
    assert created.status_code == 201, created.json()
    assert created.json()["name"] == "Guest" and [k["name"] for k in created.json()["keys"]] == ["Sam"]


# --- 5. Overnight windows -------------------------------------------------------------------------------


def test_butterflymx_refuses_an_overnight_window(sandbox):
    """The contract the form's advice rests on: time_from must be before time_to."""
    token = sandbox.password_token("resident@sandbox.test")
    today = dt.datetime.now(NY).date()
    response = sandbox.api(
        "POST", "/v4/keychains/recurring", token, expect_refusal=True,
        json={"keychain": {"name": "Night nurse", "tenant_id": 129201, "start_date": today.isoformat(),
                           "end_date": (today + dt.timedelta(days=7)).isoformat(), "time_from": "22:00",
                           "time_to": "06:00", "weekdays": ["mon"]}},
    )  # fmt: skip
    assert response.status_code == 422
    assert {e["code"] for e in response.json()["errors"]} >= {"must_be_less_than_time_to"}


def test_an_overnight_window_is_explained_as_two_passes_in_the_form(synced):
    today = dt.datetime.now(NY).date()
    form = rosa_form(
        synced,
        {"residency": synced.rosa_residency.pk, "kind": "recurring", "name": "Night nurse",
         "start_date": today.isoformat(), "end_date": (today + dt.timedelta(days=7)).isoformat(),
         "weekdays": ["mon", "tue"], "time_from": "22:00", "time_to": "06:00"},
    )  # fmt: skip

    assert not form.is_valid()
    (message,) = form.errors["time_to"]
    assert "crosses midnight (22:00-06:00)" in message
    assert (
        "one from 22:00 to 23:59 on Mon, Tue, and one from 00:00 to 06:00 on the mornings after (Tue, Wed)" in message
    )
    assert "no overnight window" in form.fields["time_to"].help_text


# --- 6. The calendar file -------------------------------------------------------------------------------


def _recurring(world, **fields):
    return make_pass(
        world.alice.residencies.get(), kind="recurring", start_date=dt.date(2099, 3, 3), end_date=dt.date(2099, 4, 30),
        time_from=dt.time(18), time_to=dt.time(20), weekdays=["mon", "thu"],
        starts=dt.datetime(2099, 3, 3, 23, tzinfo=dt.UTC), ends=dt.datetime(2099, 5, 1, 0, tzinfo=dt.UTC), **fields,
    )  # fmt: skip


def test_the_first_occurrence_is_the_first_allowed_day(world):
    p = _recurring(world)  # 3 March 2099 is a Tuesday: the first Monday or Thursday is the 5th
    assert dt.date(2099, 3, 3).weekday() == 1
    assert first_occurrence(p) == dt.date(2099, 3, 5)


def test_the_calendar_file_is_valid_rfc5545_with_a_vtimezone_for_every_tzid(world, client):
    p = _recurring(world)
    key = p.keys.get()

    response = client.get(f"/p/{key.share_token}/pass.ics")
    cal = icalendar.Calendar.from_ical(response.content)

    assert response.content.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in response.content.split(b"\r\n"))
    (event,) = cal.walk("VEVENT")
    start = event.decoded("dtstart")
    assert start == dt.datetime(2099, 3, 5, 18, tzinfo=ZoneInfo("America/New_York"))
    assert start.strftime("%a")[:2].upper() in event["rrule"]["BYDAY"]
    tzids = {prop.params["TZID"] for prop in (event["dtstart"], event["dtend"])}
    assert tzids == {"America/New_York"}
    assert {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")} == tzids
    assert cal.get_missing_tzids() == set()
    # The rule's first occurrences, as a calendar reads them, are allowed days in the building's zone.
    assert all(d.weekday() in (0, 3) for d in [dt.date(2099, 3, 5), dt.date(2099, 3, 9)])


def test_a_one_off_pass_in_the_calendar_is_in_the_buildings_zone(world):
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    p = make_pass(world.alice.residencies.get(), starts=start, ends=start + dt.timedelta(hours=2))

    cal = icalendar.Calendar.from_ical(ics_for(p.keys.get(), "https://portal.test/p/x/"))

    (event,) = cal.walk("VEVENT")
    assert event.decoded("dtstart") == start and event["dtstart"].params["TZID"] == "America/New_York"
    assert "RRULE" not in event
    assert cal.get_missing_tzids() == set()


# --- 4. One list of people -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Sam Lee", ("Sam Lee", "")),
        ("Sam Lee, sam@example.com", ("Sam Lee", "sam@example.com")),
        ("Lee, Sam, +1 (212) 555-0100", ("Lee, Sam", "+1 (212) 555-0100")),
        ("Lee, Sam", ("Lee, Sam", "")),
        ("sam@example.com", ("", "sam@example.com")),
    ],
)
def test_a_line_of_the_people_list_is_a_name_with_an_optional_contact(line, expected):
    assert rules.parse_person(line) == expected


def test_the_people_list_splits_into_visitors_and_named_recipients():
    people = rules.clean_people(["Sam", "", "Kim Park, KIM@example.com", "2125550100", "Bo, 12"])

    assert people.visitors == ["Sam", "Bo, 12"]
    assert people.recipients == ["kim@example.com", "+12125550100"]
    assert people.contact_names == {"kim@example.com": "Kim Park", "+12125550100": "+12125550100"}
    with pytest.raises(rules.PassRuleError) as raised:
        rules.clean_people(["Ann, ann@", "\u200b, ann@example.com"])
    assert raised.value.errors["visitors"] == [
        "Line 1: “ann@” is not a valid e-mail address.",
        "Line 2: no visible name (only invisible characters); write a name.",
    ]


def test_people_with_a_contact_get_their_key_from_butterflymx_under_their_name(synced, sandbox, client):
    client.force_login(synced.rosa)
    response = client.post(
        "/passes/new/",
        {"residency": synced.rosa_residency.pk, "kind": "full_day", "name": "Dinner",
         "day": dt.datetime.now(NY).date().isoformat(), "doors": [synced.doors[FRONT_DOOR].pk],
         "visitors": "Sam\nKim Park, kim@example.com\n+1 212 555 0100"},
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:2000]
    created = Pass.objects.get(name="Dinner")
    keys = {(k.name, k.contact) for k in created.keys.all()}
    assert keys == {("Sam", ""), ("Kim Park", "kim@example.com"), ("+12125550100", "+12125550100")}
    assert created.recipients == ["kim@example.com", "+12125550100"]
    change = client.get(f"/passes/{created.pk}/change/").content.decode()
    assert "Sam\nKim Park, kim@example.com\n+12125550100</textarea>" in change


def test_the_api_takes_one_list_of_people(synced, sandbox, client):
    client.force_login(synced.rosa)
    response = client.post(
        "/api/passes/",
        {"residency": synced.rosa_residency.pk, "kind": "full_day", "name": "Dinner",
         "day": dt.datetime.now(NY).date().isoformat(),
         "people": [{"name": "Sam"}, {"name": "Kim Park", "contact": "kim@example.com"}]},
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 201, response.json()
    assert sorted((k["name"], k["email"]) for k in response.json()["keys"]) == [
        ("Kim Park", "kim@example.com"),
        ("Sam", ""),
    ]
