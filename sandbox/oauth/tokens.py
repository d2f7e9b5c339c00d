"""Issuing, rotating and revoking tokens, and checking clients and PKCE."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from typing import Any

from django.db import transaction

from sandbox import clock, config
from sandbox.models import OAuthClient, OAuthGrant, OAuthToken, User

SCOPES = ["public", "openid", "profile", "os", "caterpillar", "email"]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jwt(claims: dict[str, Any], key: str) -> str:
    header = _b64(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(key.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(sig)}"


def pkce_ok(grant: OAuthGrant, verifier: str | None) -> bool:
    if not grant.code_challenge:
        return True
    if not verifier:
        return False
    if grant.code_challenge_method == "S256":
        computed = _b64(hashlib.sha256(verifier.encode()).digest())
    else:
        computed = verifier
    return hmac.compare_digest(computed, grant.code_challenge)


def normalize_scope(requested: str | None) -> str | None:
    """``public`` when none is asked for; None when a scope is unknown (-> ``invalid_scope``)."""
    parts = (requested or "").replace("+", " ").split()
    if not parts:
        return "public"
    if any(p not in SCOPES for p in parts):
        return None
    return " ".join(dict.fromkeys(parts))


def issue(
    client: OAuthClient,
    user: User | None,
    scope: str,
    issuer: str,
    nonce: str = "",
    with_refresh: bool = True,
) -> dict[str, Any]:
    now = clock.now()
    ttl = int(config.get("token_ttl"))
    claims = {
        "iss": issuer,
        "sub": str(user.id) if user else None,
        "aud": client.client_id,
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + ttl,
        "jti": secrets.token_hex(8),
        "scope": scope,
    }
    token = OAuthToken.objects.create(
        access_token=_jwt(claims, client.client_secret or client.client_id),
        refresh_token=secrets.token_urlsafe(32) if with_refresh else None,
        client=client,
        user=user,
        scope=scope,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=ttl),
    )
    body: dict[str, Any] = {
        "access_token": token.access_token,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": scope,
        "created_at": int(now.timestamp()),
    }
    if token.refresh_token:
        body["refresh_token"] = token.refresh_token
    if user is not None and "openid" in scope.split():
        id_claims = {
            "iss": issuer,
            "sub": str(user.id),
            "aud": client.client_id,
            "iat": claims["iat"],
            "exp": claims["exp"],
            "email": user.email,
            "email_verified": True,
        }
        if nonce:
            id_claims["nonce"] = nonce
        body["id_token"] = _jwt(id_claims, client.client_secret or client.client_id)
    return body


def rotate(refresh_token: str, client: OAuthClient, issuer: str) -> dict[str, Any] | None:
    """Refresh: the old access and refresh tokens die at once; a second use of the old one finds nothing.

    The conditional UPDATE makes concurrent refreshes with the same token yield exactly one winner.
    """
    with transaction.atomic():
        old = OAuthToken.objects.filter(refresh_token=refresh_token, client=client, revoked_at__isnull=True).first()
        if old is None:
            return None
        claimed = OAuthToken.objects.filter(id=old.id, revoked_at__isnull=True).update(revoked_at=clock.now())
        if claimed != 1:
            return None
        return issue(client, old.user, old.scope, issuer)


def find_any(raw: str) -> OAuthToken | None:
    return OAuthToken.objects.filter(access_token=raw).first() or OAuthToken.objects.filter(refresh_token=raw).first()


def is_active(token: OAuthToken) -> bool:
    return token.revoked_at is None and token.expires_at > clock.now()


def new_code() -> str:
    return secrets.token_urlsafe(32)
