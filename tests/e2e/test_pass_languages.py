"""The passes pages and the guest page in Spanish and French (Canada), in Chromium at phone and desktop
widths: the browser's language is the page's, longer words do not widen the page, axe-core finds nothing
serious (the ``lang`` attribute is the page's), and the share form offers the message's language.
Screenshots: var/screenshots/journey-passes-<lang>-<step>-<phone|desktop>.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from passes.models import VisitorKey
from tests.e2e.journeys import Journey, assert_fits
from tests.passes.conftest import make_pass

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

# (language, what its pages say: the list's title, the guest page's heading, the share form's label)
LANGUAGES = [
    ("es", "Pases de visita", "Pase de visita", "Idioma del mensaje"),
    ("fr-ca", "Laissez-passer de visiteurs", "Laissez-passer de visiteur", "Langue du message"),
]


@pytest.mark.parametrize(("language", "list_title", "guest_title", "share_language"), LANGUAGES)
def test_the_passes_pages_read_in_the_browsers_language_at_every_width(
    language, list_title, guest_title, share_language, world, chromium, live_server
):
    now = timezone.now()
    p = make_pass(
        world.alice.residencies.get(),
        kind="recurring",
        name="Maximiliana Bartholomew-Featherstonehaugh",
        starts=now - dt.timedelta(hours=1),
        ends=now + dt.timedelta(days=20),
        start_date=now.date(),
        end_date=now.date() + dt.timedelta(days=20),
        time_from=dt.time(9),
        time_to=dt.time(17),
        weekdays=["mon", "tue", "wed", "thu", "fri"],
    )
    second = VisitorKey(pass_obj=p, name="Second visitor", pin="118822")
    second.set_share_token()
    second.save()
    journey = Journey(chromium, f"passes-{language}")
    journey.context.set_extra_http_headers({"Accept-Language": language})
    journey.sign_in_as(world.alice, live_server.url)
    page = journey.page
    try:
        page.goto(f"{live_server.url}/passes/")
        assert page.locator("html").get_attribute("lang") == language
        assert page.get_by_role("heading", level=1).inner_text() == list_title
        journey.step("list")
        assert_fits(page)

        page.goto(f"{live_server.url}/passes/new/")
        journey.step("new")
        assert_fits(page)

        page.goto(f"{live_server.url}/passes/{p.pk}/")
        select = page.locator(f"#share-language-{second.pk}")
        assert select.get_attribute("title") == share_language
        assert select.input_value() == language  # the guest's language starts at the resident's
        journey.step("detail")
        assert_fits(page)

        page.goto(f"{live_server.url}/p/{second.share_token}/")
        assert page.get_by_role("heading", level=1).inner_text() == guest_title
        journey.step("guest")
        assert_fits(page)
        journey.assert_clean()
    finally:
        journey.close()
