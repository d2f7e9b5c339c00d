"""A notification's buttons: how the service worker POSTs an action without a CSRF token.

A click on "Open door" in a system notification runs in the service worker, not in a page: it can send
the session cookie (a same-origin ``fetch``) but cannot read the CSRF cookie (HttpOnly) nor any page's
token. So each action of a pushed notice carries a token of its own, minted for that person and that
action's path when the push is sent (:func:`action_token_mint`), and the service worker sends it in the
``X-Notice-Token`` header (a header, so it never lands in an access log). An action view wrapped in
:func:`csrf_or_action_token` accepts either Django's CSRF check (the page's own buttons) or that token.

Why that is as safe as CSRF: the token is signed with the portal's key (``django.core.signing``, its
own salt), names the person and the path, lives ``NOTIFICATIONS_ACTION_TOKEN_MAX_AGE_S`` and is spent on
first use (a unique row: a retried or replayed request is refused). It travels only inside the push
payload, which is encrypted to the person's own browser (RFC 8291), so another site cannot know it. It
is not a credential: the request must also carry the session of the person it was minted for.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from .models import SpentActionToken

HEADER = "X-Notice-Token"
SALT = "portal.notifications.action-token"


def action_token_mint(*, user_id: int, url: str) -> str:
    """A one-use token for ``user_id`` to POST to ``url``'s path."""
    payload = {"u": user_id, "p": urlsplit(url).path, "n": secrets.token_hex(12)}
    return signing.dumps(payload, salt=SALT)


def action_token_spend(request: HttpRequest) -> bool:
    """Whether the request's token is good for its person and path, spending it if so (once only)."""
    try:
        data = signing.loads(
            request.headers.get(HEADER, ""), salt=SALT, max_age=settings.NOTIFICATIONS_ACTION_TOKEN_MAX_AGE_S
        )
    except signing.BadSignature:  # forged, altered or expired (SignatureExpired is one)
        return False
    user = getattr(request, "user", None)
    if not isinstance(data, dict) or user is None or not user.is_authenticated:
        return False
    if data.get("u") != user.pk or data.get("p") != request.path or not isinstance(data.get("n"), str):
        return False
    try:
        with transaction.atomic():  # a savepoint: the request's own transaction goes on after a refusal
            SpentActionToken.objects.create(nonce=data["n"])
    except IntegrityError:
        return False
    return True


def csrf_or_action_token(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Protect a POST view with Django's CSRF check, or, for a notification's button, its action token.

    A request that sends a token is judged by it alone (a bad or spent one is a 403, never a fallback);
    one without is judged by ``csrf_protect`` exactly as the middleware would.
    """
    protected = csrf_protect(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if HEADER not in request.headers:
            return protected(request, *args, **kwargs)
        if not action_token_spend(request):
            expired = gettext("This notification's button has expired or was already used. Open the portal instead.")
            return JsonResponse({"detail": expired}, status=403)
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)
