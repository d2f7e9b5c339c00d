"""A new person signs up in Chromium, confirms their e-mail from the outbox, logs in, sees their home."""

from __future__ import annotations

import re

import pytest

from tenants.models import Membership
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_signs_up_confirms_their_email_and_sees_their_home(live_server, page, mailoutbox, screenshot):
    email, password = "dana@example.test", "a-long-and-unusual-passphrase"

    # given: the sign-up page
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.locator("#id_password1").fill(password)
    page.locator("#id_password2").fill(password)
    page.get_by_role("button", name="Sign Up").click()

    # then: a confirmation e-mail is sent and the page says so
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [email]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[0].body).group(0)

    # when: the person follows the link and confirms
    page.goto(link.replace("http://testserver", live_server.url))
    page.get_by_role("button", name="Confirm").click()

    # then: they are signed in and see a home page for someone with no building yet
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="You are not part of a building yet").is_visible()

    # when: a manager makes them front-desk staff of a building, and they sign in again
    Membership.objects.create(user_id=_user_id(email), building=f.BuildingFactory(name="Elm Tower"), role="staff")
    page.get_by_role("button", name=re.compile(email)).click()
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Sign In").click()

    # then: the home page shows the staff card for that building
    page.wait_for_url(f"{live_server.url}/")
    card = page.get_by_role("region", name="Elm Tower")
    assert card.is_visible()
    assert "Front-desk staff" in card.inner_text()
    assert "release any door" in card.inner_text()
    screenshot("signup-home-staff")


def _user_id(email: str) -> int:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(email=email).pk
