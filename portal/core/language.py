"""Which language a person reads: one rule for pages, e-mails, text messages and pushes.

Pages: a signed-in person's own choice (``User.language``, set on the language menu or their profile)
wins; otherwise Django's LocaleMiddleware's answer (the language cookie, then the browser's
``Accept-Language``). A guest opening a pass link is anonymous, so the guest page follows the guest's
browser. Messages sent to someone (e-mail, SMS, push) are written in the recipient's language
(:func:`language_of`), whatever language the request that caused them was in (:func:`for_recipient`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

SUPPORTED = frozenset(code for code, _name in settings.LANGUAGES)


def supported(code: str | None) -> str | None:
    """``code`` as one of the portal's languages (``fr-CA`` -> ``fr-ca``, ``es-MX`` -> ``es``), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code.lower())
    except LookupError:
        return None


def language_of(user) -> str:
    """The language to write to ``user`` in: their choice, else the portal's default."""
    return supported(getattr(user, "language", "")) or settings.LANGUAGE_CODE


@contextmanager
def for_recipient(user=None, language: str | None = None) -> Iterator[str]:
    """Render what is inside in ``language`` if given and supported, else in ``user``'s language."""
    code = supported(language) or language_of(user)
    with translation.override(code):
        yield code


class PersonLanguageMiddleware:
    """After authentication: a signed-in person's own language choice overrides the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = supported(getattr(user, "language", "")) if user is not None and user.is_authenticated else None
        if chosen and chosen != translation.get_language():
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)


@require_POST
def language_choose(request: HttpRequest) -> HttpResponse:
    """The language menu: remember the choice in a cookie (everyone) and, for a signed-in person,
    in their profile, so e-mails and text messages follow it too. An empty choice means "my browser's"."""
    code = supported(request.POST.get("language"))
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if request.user.is_authenticated and request.user.language != (code or ""):
        request.user.language = code or ""
        request.user.save(update_fields=["language"])
    if code:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, samesite=settings.LANGUAGE_COOKIE_SAMESITE)
    return response
