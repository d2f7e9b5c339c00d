"""OAuth 2.0 with ButterflyMX's accounts server: authorization code with PKCE (S256) and ``state``.

requests-oauthlib builds the authorization URL and performs the code exchange. Refresh is an explicit
call made by one service under a row lock (``tenants.services.link_access_token``); requests-oauthlib's
in-process auto-refresh is deliberately not used, because it cannot serialise refreshes across many
processes, and ButterflyMX rotates the refresh token on every refresh.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.utils import timezone
from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session

from . import transport
from .errors import BmxError, parse_error_body

SCOPES = ["public", "openid", "profile", "email"]


@dataclass
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: datetime
    scope: str

    @classmethod
    def from_response(cls, body: dict) -> TokenSet:
        if not body.get("access_token"):
            raise BmxError(status=200, code="invalid_token_response", message="no access_token in the answer")
        # Read expires_in, never assume it: v3-era tokens lived 2 h, v4 ones 24 h.
        expires_in = int(body.get("expires_in") or 7200)
        scope = body.get("scope") or ""
        if isinstance(scope, list):
            scope = " ".join(scope)
        return cls(
            access_token=body["access_token"],
            refresh_token=body.get("refresh_token") or "",
            expires_at=timezone.now() + timedelta(seconds=expires_in),
            scope=scope,
        )


@dataclass
class AuthorizationRequest:
    url: str
    state: str
    code_verifier: str


LOOPBACK_PREFIXES = ("http://127.0.0.1", "http://localhost", "http://[::1]")


def _accounts(path: str) -> str:
    base = settings.BMX_ACCOUNTS_BASE
    if base.startswith(LOOPBACK_PREFIXES):
        # oauthlib refuses plain http; the local sandbox on loopback is the one place it is fine.
        # Production's https base never reaches this line.
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    return f"{base}{path}"


def _refuse_unusable_answers(response: requests.Response) -> requests.Response:
    """requests-oauthlib compliance hook: a 429/5xx or non-JSON answer is ButterflyMX being down,
    not a refused grant, so it must not be parsed as an OAuth error (or worse, as a token)."""
    if response.status_code == 429 or response.status_code >= 500:
        raise parse_error_body(response.status_code, _json_or_none(response))
    return response


def make_code_verifier() -> str:
    return secrets.token_urlsafe(64)[:96]


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_request(redirect_uri: str, *, prompt_login: bool = True) -> AuthorizationRequest:
    """The URL to send a person to, with a fresh ``state`` and PKCE verifier to keep in their session."""
    verifier = make_code_verifier()
    session = OAuth2Session(settings.BMX_CLIENT_ID, redirect_uri=redirect_uri, scope=SCOPES)
    extra = {"code_challenge": code_challenge(verifier), "code_challenge_method": "S256"}
    if prompt_login:
        extra["prompt"] = "login"
    url, state = session.authorization_url(_accounts("/oauth/authorize"), **extra)
    return AuthorizationRequest(url=url, state=state, code_verifier=verifier)


def exchange_code(*, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
    """Trade an authorization code for tokens (client_secret_post plus the PKCE verifier)."""
    session = OAuth2Session(settings.BMX_CLIENT_ID, redirect_uri=redirect_uri)
    session.mount(settings.BMX_ACCOUNTS_BASE, transport.adapter())  # the process's pooled connections
    session.register_compliance_hook("access_token_response", _refuse_unusable_answers)
    token_url = _accounts("/oauth/token")
    try:
        with transport.transport_errors():
            body = session.fetch_token(
                token_url,
                code=code,
                client_secret=settings.BMX_CLIENT_SECRET,
                include_client_id=True,
                code_verifier=code_verifier,
                timeout=settings.BMX_TIMEOUT_S,
            )
    except OAuth2Error as exc:
        raise BmxError(
            status=exc.status_code or 400, code=exc.error or "invalid_grant", message=exc.description or ""
        ) from None
    return TokenSet.from_response(dict(body))


def _token_post(data: dict) -> dict:
    with transport.transport_errors():
        response = transport.session().post(
            _accounts("/oauth/token"),
            data={**data, "client_id": settings.BMX_CLIENT_ID, "client_secret": settings.BMX_CLIENT_SECRET},
            headers={"Accept": "application/json"},
            timeout=settings.BMX_TIMEOUT_S,
            allow_redirects=False,
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200:
        raise parse_error_body(response.status_code, body)
    return body or {}


def refresh(refresh_token: str) -> TokenSet:
    """One refresh. ButterflyMX rotates the refresh token: the caller must store both new tokens.

    A 400/401 (``invalid_grant``) means the link is dead: callers mark it for re-linking and never
    retry with the same token.
    """
    return TokenSet.from_response(_token_post({"grant_type": "refresh_token", "refresh_token": refresh_token}))


def password_grant(email: str, password: str) -> TokenSet:
    """The password grant ButterflyMX's discovery advertises. For scripts and the demo seed only."""
    return TokenSet.from_response(_token_post({"grant_type": "password", "username": email, "password": password}))


def revoke(token: str) -> None:
    """Revoke a token at ButterflyMX (RFC 7009). Errors are raised; callers decide whether they matter.

    Revoking the refresh token ends its access token too (Doorkeeper revokes the whole grant row).
    """
    with transport.transport_errors():
        response = transport.session().post(
            _accounts("/oauth/revoke"),
            data={"token": token, "client_id": settings.BMX_CLIENT_ID, "client_secret": settings.BMX_CLIENT_SECRET},
            timeout=settings.BMX_TIMEOUT_S,
            allow_redirects=False,
        )
    if response.status_code >= 400:
        raise parse_error_body(response.status_code, _json_or_none(response))


def userinfo(access_token: str) -> dict:
    with transport.transport_errors():
        response = transport.session().get(
            _accounts("/oauth/userinfo"),
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=settings.BMX_TIMEOUT_S,
            allow_redirects=False,
        )
    if response.status_code != 200:
        raise parse_error_body(response.status_code, _json_or_none(response))
    return response.json()


def _json_or_none(response: requests.Response):
    try:
        return response.json()
    except ValueError:
        return None
