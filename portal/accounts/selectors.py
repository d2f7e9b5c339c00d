"""Reads for accounts."""

from __future__ import annotations

from django.utils import timezone

from .models import ApiToken
from .services import current_password_fingerprints, password_fingerprint_matches


def api_tokens_of(user) -> list[ApiToken]:
    """``user``'s live tokens, newest first: not expired, and issued under the current password (a
    dead token no longer authenticates, so it is not listed)."""
    fingerprints = current_password_fingerprints(user)
    tokens = ApiToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")
    return [token for token in tokens if password_fingerprint_matches(token, fingerprints)]
