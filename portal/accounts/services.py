"""Writes for accounts: personal API tokens (django-rest-knox, model :class:`ApiToken`)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.formats import localize
from django.utils.text import get_text_list
from django.utils.translation import gettext, ngettext

from .models import ApiToken

# Lifetimes an owner may choose, in days; a token never lives longer than the longest.
TOKEN_LIFETIMES_DAYS = (7, 30, 90)
DEFAULT_TOKEN_LIFETIME_DAYS = 30
MAX_TOKENS_PER_USER = 20
# last_used_at is written at most this often per token: a busy script must not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)

_FINGERPRINT_SALT = "portal.accounts.ApiToken.password_fingerprint"


class TokenRefused(Exception):
    """A token the owner asked for cannot be made; the message says why, for a person."""


def password_fingerprint(user, secret: str | None = None) -> str:
    """An HMAC (keyed by ``SECRET_KEY``) of the user's password hash, as Django's session auth hash is:
    it changes whenever the password does, whatever changed it."""
    return salted_hmac(_FINGERPRINT_SALT, user.password, secret=secret, algorithm="sha256").hexdigest()


def current_password_fingerprints(user) -> list[str]:
    """The fingerprints of ``user``'s current password under ``SECRET_KEY`` and its fallbacks (so that
    rotating ``SECRET_KEY`` with ``SECRET_KEY_FALLBACKS`` keeps tokens alive, as it keeps sessions)."""
    return [password_fingerprint(user, secret) for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)]


def password_fingerprint_matches(token: ApiToken, fingerprints: list[str] | None = None) -> bool:
    """True while the owner's password is the one the token was issued under."""
    if fingerprints is None:
        fingerprints = current_password_fingerprints(token.user)
    return any(constant_time_compare(token.password_fingerprint, current) for current in fingerprints)


def api_tokens_prune(*, user) -> int:
    """Delete ``user``'s dead tokens: expired, or issued under a password since changed.

    Authentication only refuses such tokens (a refusal rolls the request's transaction back, so a
    delete there would not last); they are pruned here, whenever the person makes a token.
    """
    fingerprints = current_password_fingerprints(user)
    dead = [
        token.pk
        for token in ApiToken.objects.filter(user=user)
        if token.expiry is None
        or token.expiry <= timezone.now()
        or not password_fingerprint_matches(token, fingerprints)
    ]
    deleted, _ = ApiToken.objects.filter(pk__in=dead).delete()
    return deleted


def api_token_create(*, user, name: str, lifetime_days: int = DEFAULT_TOKEN_LIFETIME_DAYS) -> tuple[ApiToken, str]:
    """A new token for ``user``: the row (digest only) and the token itself, to be shown once."""
    name = name.strip()
    if not name:
        raise TokenRefused(gettext("Give the token a name, e.g. the script or device that will use it."))
    if lifetime_days not in TOKEN_LIFETIMES_DAYS:
        choices = get_text_list([localize(days) for days in TOKEN_LIFETIMES_DAYS])
        raise TokenRefused(gettext("Choose a lifetime of %(choices)s days.") % {"choices": choices})
    with transaction.atomic():
        # Serialise one person's token creations so that the limit below cannot be raced past.
        get_user_model()._default_manager.select_for_update().filter(pk=user.pk).first()
        api_tokens_prune(user=user)
        live = ApiToken.objects.filter(user=user).count()
        if live >= MAX_TOKENS_PER_USER:
            raise TokenRefused(
                ngettext(
                    "You have %(count)d token, the most allowed. Revoke one you no longer use first.",
                    "You have %(count)d tokens, the most allowed. Revoke one you no longer use first.",
                    live,
                )
                % {"count": live}
            )
        return ApiToken.objects.create(
            user=user,
            expiry=timedelta(days=lifetime_days),
            name=name[:100],
            password_fingerprint=password_fingerprint(user),
        )


def api_token_revoke(*, user, public_id) -> bool:
    """Revoke one of ``user``'s own tokens; False when they hold no such token."""
    deleted, _ = ApiToken.objects.filter(user=user, public_id=public_id).delete()
    return bool(deleted)


def api_tokens_revoke_all(*, user) -> int:
    """Revoke every token of ``user`` (on request, and whenever their password changes)."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def api_token_record_use(*, token: ApiToken) -> None:
    """Remember when a token was last used, to the minute (one conditional UPDATE, at most once a minute)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
